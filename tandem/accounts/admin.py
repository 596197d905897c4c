"""Accounts in the admin: users with their role grants inline (every change audited)."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from tandem.accounts.models import Role, RoleGrant, User
from tandem.audit.admin import AuditedInline, AuditedModelAdmin


class RoleGrantForm(forms.ModelForm):
    class Meta:
        model = RoleGrant
        fields = ("role", "org_units")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Same rule as role_grant(): a stakeholder without org units would see nobody; others carry none.
        if data.get("role") == Role.STAKEHOLDER and not data.get("org_units"):
            raise forms.ValidationError("A stakeholder role needs at least one org unit.")
        if data.get("role") and data.get("role") != Role.STAKEHOLDER and data.get("org_units"):
            raise forms.ValidationError("Only stakeholder roles carry org units.")
        return data


class RoleGrantInline(AuditedInline):
    model = RoleGrant
    form = RoleGrantForm
    fields = ("role", "org_units", "granted_at")
    readonly_fields = ("granted_at",)
    filter_horizontal = ("org_units",)
    audit_entity_type = "role_grant"


@admin.register(User)
class UserAdmin(AuditedModelAdmin):
    audit_entity_type = "user"
    list_display = ("email", "first_name", "last_name", "person", "roles", "is_active", "last_login")
    list_filter = ("is_active", "role_grants__role")
    search_fields = ("email", "first_name", "last_name", "person__employee_id")
    ordering = ("email",)
    raw_id_fields = ("person",)  # tens of thousands of people: no drop-down
    # No password, is_staff or permission fields: passwords are set by their owner (reset by email),
    # and access comes from role grants, not Django permissions.
    fields = (
        "email",
        "first_name",
        "last_name",
        "person",
        "is_active",
        "is_superuser",
        "last_login",
        "date_joined",
    )
    readonly_fields = ("is_superuser", "last_login", "date_joined")
    inlines = (RoleGrantInline,)

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("person").prefetch_related("role_grants")

    @admin.display(description="Roles")
    def roles(self, user: User) -> str:
        return ", ".join(grant.get_role_display() for grant in user.role_grants.all())

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if not change:
            # A random secret nobody knows, not an unusable password: Django's reset form skips unusable
            # ones, and "Forgot your password?" is how a new user sets theirs.
            obj.set_password(secrets.token_urlsafe(32))
        obj.email = obj.email.lower()
        super().save_model(request, obj, form, change)
