from django.apps import AppConfig


class LrsConfig(AppConfig):
    name = "tandem.lrs"
    label = "lrs"
