from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "tandem.metrics"
    label = "metrics"
