"""Initiatives in the admin (L&D admins): read-only. They are created and changed on the initiative pages
and the API through tandem.initiatives.services, which validate and audit every change."""

from __future__ import annotations

from django.contrib import admin

from tandem.audit.admin import ReadOnlyInline, ReadOnlyModelAdmin
from tandem.initiatives.models import Initiative, InitiativeMetric


class InitiativeMetricInline(ReadOnlyInline):
    model = InitiativeMetric
    fields = ("metric", "org_unit", "baseline", "baseline_date", "target", "target_date")


@admin.register(Initiative)
class InitiativeAdmin(ReadOnlyModelAdmin):
    list_display = ("code", "name", "status", "start_date", "end_date", "sponsor_org_unit")
    list_filter = ("status",)
    search_fields = ("code", "name")
    inlines = (InitiativeMetricInline,)
