from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tandem.core"
    label = "tandem_core"

    def ready(self) -> None:
        from tandem.core import lookups  # noqa: F401  (registers the in_array lookup)
