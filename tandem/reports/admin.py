"""Case studies and business cases in the admin: read-only. Their services track edited sections and
store the valuation snapshot (and audit both), which a hand edit here would bypass."""

from __future__ import annotations

from django.contrib import admin

from tandem.audit.admin import ReadOnlyModelAdmin
from tandem.reports.models import BusinessCase, CaseStudy


@admin.register(CaseStudy)
class CaseStudyAdmin(ReadOnlyModelAdmin):
    list_display = ("title", "program", "status", "updated_at", "updated_by")
    list_filter = ("status",)
    search_fields = ("title", "program__code", "program__name")


@admin.register(BusinessCase)
class BusinessCaseAdmin(ReadOnlyModelAdmin):
    list_display = ("name", "target_metric", "audience_size", "cost_total", "computed_at")
    search_fields = ("name",)
