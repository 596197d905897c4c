"""Org reference data in the admin (L&D admins). People and assignments come from HR imports: read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from tandem.audit.admin import AuditedInline, AuditedModelAdmin, ReadOnlyInline, ReadOnlyModelAdmin
from tandem.org.models import Assignment, JobFamily, JobRole, OrgUnit, OrgUnitVersion, Person


class OrgUnitVersionInline(AuditedInline):
    model = OrgUnitVersion
    fk_name = "org_unit"
    fields = ("valid_from", "valid_to", "name", "parent", "cost_centre")
    audit_entity_type = "org_unit_version"


class OrgUnitForm(forms.ModelForm):
    class Meta:
        model = OrgUnit
        fields = ("code", "name", "kind", "parent", "cost_centre", "valid_from", "valid_to")

    def clean_parent(self) -> OrgUnit | None:
        parent: OrgUnit | None = self.cleaned_data.get("parent")
        unit = self.instance
        if parent is not None and unit.pk is not None and f"/{unit.pk}/" in parent.path:
            raise forms.ValidationError("An org unit cannot move under itself or one of its own units.")
        return parent


@admin.register(OrgUnit)
class OrgUnitAdmin(AuditedModelAdmin):
    form = OrgUnitForm
    audit_entity_type = "org_unit"
    list_display = ("code", "name", "kind", "parent", "cost_centre", "valid_from", "valid_to")
    list_filter = ("kind",)
    search_fields = ("code", "name", "cost_centre")
    inlines = (OrgUnitVersionInline,)

    @transaction.atomic
    def save_model(self, request: HttpRequest, obj: OrgUnit, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # The materialised path drives every "this unit and below" query; keep it (and the subtree's) true.
        old_path = obj.path
        new_path = f"{obj.parent.path if obj.parent else '/'}{obj.pk}/"
        if new_path != old_path:
            obj.path = new_path
            obj.save(update_fields=["path"])
            if change:
                below = list(OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=obj.pk))
                for unit in below:
                    unit.path = new_path + unit.path[len(old_path) :]
                OrgUnit.objects.bulk_update(below, ["path"])


@admin.register(JobFamily)
class JobFamilyAdmin(AuditedModelAdmin):
    audit_entity_type = "job_family"
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(JobRole)
class JobRoleAdmin(AuditedModelAdmin):
    audit_entity_type = "job_role"
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
