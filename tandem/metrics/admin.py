"""Metric definitions in the admin (L&D admins). Observations come from imports and are not edited here."""

from __future__ import annotations

from django.contrib import admin

from tandem.audit.admin import AuditedModelAdmin
from tandem.metrics.models import MetricDefinition


@admin.register(MetricDefinition)
class MetricDefinitionAdmin(AuditedModelAdmin):
    audit_entity_type = "metric"
    list_display = ("code", "name", "unit", "direction", "grain", "frequency")
    list_filter = ("grain", "frequency", "direction")
    search_fields = ("code", "name")
