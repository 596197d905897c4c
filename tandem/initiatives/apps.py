from django.apps import AppConfig


class InitiativesConfig(AppConfig):
    name = "tandem.initiatives"
    label = "initiatives"
