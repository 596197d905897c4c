"""Programs in the admin, read-only: programs, cohorts and everything under them are created and edited on
the program pages and the API, through tandem.impact.services (validated, audited, one transaction), which
a hand edit here would bypass. L&D admins may still look."""

from __future__ import annotations

from django.contrib import admin

from tandem.audit.admin import ReadOnlyInline, ReadOnlyModelAdmin
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


class ProgramMetricInline(ReadOnlyInline):
    model = ProgramMetric


class ProgramActivityInline(ReadOnlyInline):
    model = ProgramActivity


class CostItemInline(ReadOnlyInline):
    model = CostItem


@admin.register(Program)
class ProgramAdmin(ReadOnlyModelAdmin):
    list_display = ("code", "name", "status", "is_pilot", "start_date", "end_date")
    list_filter = ("status", "is_pilot")
    search_fields = ("code", "name", "request_ref")
    inlines = (ProgramMetricInline, ProgramActivityInline, CostItemInline)


@admin.register(Cohort)
class CohortAdmin(ReadOnlyModelAdmin):
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
