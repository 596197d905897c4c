from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "tandem.audit"
    label = "audit"
