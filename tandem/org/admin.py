"""Org data in the admin (L&D admins): read-only. Org units, job families and roles are created and
changed on the org pages and by imports, through tandem.org.services (which keep unit paths, versions
and the audit log true); people and assignments come from HR imports."""

from __future__ import annotations

from django.contrib import admin

from tandem.audit.admin import ReadOnlyInline, ReadOnlyModelAdmin
from tandem.org.models import Assignment, JobFamily, JobRole, OrgUnit, OrgUnitVersion, Person


class OrgUnitVersionInline(ReadOnlyInline):
    model = OrgUnitVersion
    fk_name = "org_unit"
    fields = ("valid_from", "valid_to", "name", "parent", "cost_centre")


@admin.register(OrgUnit)
class OrgUnitAdmin(ReadOnlyModelAdmin):
    list_display = ("code", "name", "kind", "parent", "cost_centre", "valid_from", "valid_to")
    list_filter = ("kind",)
    search_fields = ("code", "name", "cost_centre")
    inlines = (OrgUnitVersionInline,)


@admin.register(JobFamily)
class JobFamilyAdmin(ReadOnlyModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(JobRole)
class JobRoleAdmin(ReadOnlyModelAdmin):
    list_display = ("code", "name", "family", "level", "is_people_manager")
    list_filter = ("family", "is_people_manager")
    search_fields = ("code", "name")


class AssignmentInline(ReadOnlyInline):
    model = Assignment
    fk_name = "person"
    fields = ("valid_from", "valid_to", "org_unit", "job_role", "manager", "job_title")
    ordering = ("-valid_from",)


@admin.register(Person)
class PersonAdmin(ReadOnlyModelAdmin):
    list_display = ("employee_id", "first_name", "last_name", "org_unit", "job_title", "status")
    list_filter = ("status", "employment_type")
    search_fields = ("employee_id", "first_name", "last_name", "work_email")
    list_select_related = ("org_unit",)
    show_full_result_count = False  # counting 100k rows on every page load is wasted work
    inlines = (AssignmentInline,)
