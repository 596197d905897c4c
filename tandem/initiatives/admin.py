"""Initiatives and the metrics that show their progress, in the admin (L&D admins; audited)."""

from __future__ import annotations

from django.contrib import admin

from tandem.audit.admin import AuditedInline, AuditedModelAdmin
from tandem.initiatives.models import Initiative, InitiativeMetric


class InitiativeMetricInline(AuditedInline):
    model = InitiativeMetric
    fields = ("metric", "baseline", "baseline_date", "target", "target_date")
    audit_entity_type = "initiative_metric"


@admin.register(Initiative)
class InitiativeAdmin(AuditedModelAdmin):
    audit_entity_type = "initiative"
    list_display = ("code", "name", "status", "start_date", "end_date", "sponsor_org_unit")
    list_filter = ("status",)
    search_fields = ("code", "name")
    raw_id_fields = ("owner",)  # people: too many for a drop-down
    inlines = (InitiativeMetricInline,)
