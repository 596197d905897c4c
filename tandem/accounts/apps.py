from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tandem.accounts"
    label = "accounts"

    def ready(self) -> None:
        from tandem.accounts import signals  # noqa: F401  (connects the security-event receivers)
