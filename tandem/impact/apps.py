from django.apps import AppConfig


class ImpactConfig(AppConfig):
    name = "tandem.impact"
    label = "impact"
