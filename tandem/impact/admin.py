"""Programs in the admin (L&D admins; audited). Draws, plans and feedback are read-only here: their
services seed, freeze and audit them, which a hand edit would bypass."""

from __future__ import annotations

from django.contrib import admin

from tandem.audit.admin import AuditedInline, AuditedModelAdmin, ReadOnlyModelAdmin
from tandem.impact.models import (
    Cohort,
    ComparisonGroup,
    CostItem,
    Feedback,
    Participant,
    PilotPlan,
    Program,
    ProgramActivity,
    ProgramMetric,
)


class ProgramMetricInline(AuditedInline):
    model = ProgramMetric
    extra = 0
    audit_entity_type = "program_metric"


class ProgramActivityInline(AuditedInline):
    model = ProgramActivity
    extra = 0
    audit_entity_type = "program_activity"


class CostItemInline(AuditedInline):
    model = CostItem
    extra = 0
    audit_entity_type = "cost_item"


@admin.register(Program)
class ProgramAdmin(AuditedModelAdmin):
    audit_entity_type = "program"
    list_display = ("code", "name", "status", "is_pilot", "start_date", "end_date")
    list_filter = ("status", "is_pilot")
    search_fields = ("code", "name", "request_ref")
    raw_id_fields = ("owner", "initiative")
    inlines = (ProgramMetricInline, ProgramActivityInline, CostItemInline)


@admin.register(Cohort)
class CohortAdmin(AuditedModelAdmin):
    audit_entity_type = "cohort"
    list_display = ("name", "program", "start_date")
    list_filter = ("program",)


@admin.register(Participant)
class ParticipantAdmin(ReadOnlyModelAdmin):
    list_display = ("person", "program", "cohort", "assigned_by", "joined_on")
    list_filter = ("assigned_by",)


@admin.register(ComparisonGroup)
class ComparisonGroupAdmin(ReadOnlyModelAdmin):
    list_display = ("program", "cohort", "method", "as_of", "balance_warning", "created_at")
    list_filter = ("method", "balance_warning")


@admin.register(PilotPlan)
class PilotPlanAdmin(ReadOnlyModelAdmin):
    list_display = ("program", "metric", "required_per_group", "frozen_at")


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyModelAdmin):
    list_display = ("program", "cohort", "published_at")
