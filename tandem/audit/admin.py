"""Base classes for every Tandem ModelAdmin: access follows the admin site, and every save is audited.

Who may use the admin at all is the site's decision (accounts restricts it to L&D admins); these
classes defer to it instead of Django's per-model permissions, which Tandem does not hand out.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from django.contrib import admin
from django.db import models
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest

from tandem.audit.models import AuditEvent
from tandem.audit.services import audit_record, diff_fields

_PENDING = "_tandem_audit_pending"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [_jsonable(item) for item in value]
    return value


def model_snapshot(obj: models.Model) -> dict[str, Any]:
    """Field values of a saved row, JSON-ready: foreign keys as their label, many-to-many as sorted labels."""
    values: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in {"password", "id"}:
            continue  # never put a password hash in the log; the id is the entity id already
        if field.is_relation:
            related = getattr(obj, field.name)
            values[field.name] = str(related) if related is not None else None
        else:
            values[field.name] = _jsonable(field.value_from_object(obj))
    if obj.pk is not None:
        for m2m in obj._meta.many_to_many:
            values[m2m.name] = sorted(str(item) for item in getattr(obj, m2m.name).all())
    return values


def _stored_snapshot(obj: models.Model) -> dict[str, Any]:
    if obj.pk is None:
        return {}
    stored = type(obj)._default_manager.filter(pk=obj.pk).first()
    return model_snapshot(stored) if stored is not None else {}


def _entity_type(obj: models.Model, entity_type: str | None) -> str:
    return entity_type or obj._meta.model_name or type(obj).__name__.lower()


def admin_audit(
    *,
    request: HttpRequest,
    obj: models.Model,
    action: str,
    before: dict[str, Any],
    entity_type: str | None = None,
    entity_id: Any = None,
) -> AuditEvent | None:
    """Record an admin create / update / delete with its field diff. Nothing when nothing changed."""
    after = model_snapshot(obj) if action != AuditEvent.Action.DELETE else {}
    if action == AuditEvent.Action.UPDATE:
        changes: dict[str, Any] = diff_fields(before, after)
        if not changes:
            return None
    else:
        changes = after if action == AuditEvent.Action.CREATE else before
    return audit_record(
        actor_id=request.user.pk,
        action=action,
        entity_type=_entity_type(obj, entity_type),
        entity_id=entity_id if entity_id is not None else obj.pk,
        entity_label=str(obj),
        changes=changes,
        summary=f"Changed in the admin site ({obj._meta.verbose_name})",
    )


class SiteAccessMixin:
    """Every permission is the admin site's: L&D admins may do everything it shows, others nothing."""

    admin_site: admin.AdminSite

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.admin_site.has_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.admin_site.has_permission(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.admin_site.has_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.admin_site.has_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.admin_site.has_permission(request)


class ReadOnlyMixin(SiteAccessMixin):
    """Rows that come from imports: L&D admins may look, never edit (the next import would undo it)."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedModelAdmin(SiteAccessMixin, admin.ModelAdmin):
    """A ModelAdmin whose saves and deletes (inlines included) land in the audit log with field diffs."""

    audit_entity_type: str | None = None  # e.g. "org_unit"; default: the model name

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        # The stored row is read before saving; the audit waits for save_related so that
        # many-to-many changes (saved after the row) are part of the diff.
        setattr(request, _PENDING, (_stored_snapshot(obj) if change else {}, change))
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        before, was_change = getattr(request, _PENDING, ({}, change))
        action = AuditEvent.Action.UPDATE if was_change else AuditEvent.Action.CREATE
        admin_audit(
            request=request,
            obj=form.instance,
            action=action,
            before=before,
            entity_type=self.audit_entity_type,
        )

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        # Keyed by object identity: deleting a row clears its pk before we get to record it.
        before = {
            id(inline_form.instance): (inline_form.instance.pk, _stored_snapshot(inline_form.instance))
            for inline_form in formset.initial_forms
            if inline_form.instance.pk is not None
        }
        super().save_formset(request, form, formset, change)
        inline_type = getattr(formset, "audit_entity_type", None)
        for obj in formset.new_objects:
            admin_audit(request=request, obj=obj, action="create", before={}, entity_type=inline_type)
        for obj, _fields in formset.changed_objects:
            _pk, snapshot = before.get(id(obj), (obj.pk, {}))
            admin_audit(request=request, obj=obj, action="update", before=snapshot, entity_type=inline_type)
        for obj in formset.deleted_objects:
            pk, snapshot = before.get(id(obj), (None, {}))
            admin_audit(
                request=request,
                obj=obj,
                action="delete",
                before=snapshot,
                entity_type=inline_type,
                entity_id=pk,
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        before, pk = _stored_snapshot(obj), obj.pk
        super().delete_model(request, obj)  # clears obj.pk, hence the copy above
        admin_audit(
            request=request,
            obj=obj,
            action="delete",
            before=before,
            entity_type=self.audit_entity_type,
            entity_id=pk,
        )

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        rows = [(obj, obj.pk, _stored_snapshot(obj)) for obj in queryset]
        super().delete_queryset(request, queryset)
        for obj, pk, before in rows:
            admin_audit(
                request=request,
                obj=obj,
                action="delete",
                before=before,
                entity_type=self.audit_entity_type,
                entity_id=pk,
            )


class AuditedInline(SiteAccessMixin, admin.TabularInline):
    """Inline rows are audited by the parent AuditedModelAdmin.save_formset."""

    extra = 0
    audit_entity_type: str | None = None

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset: Any = super().get_formset(request, obj, **kwargs)
        formset.audit_entity_type = self.audit_entity_type  # read back by AuditedModelAdmin.save_formset
        return formset


class ReadOnlyModelAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
