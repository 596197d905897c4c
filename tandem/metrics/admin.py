"""Metric definitions in the admin (L&D admins). A save calls metric_define, the service the pages use, so
a grain or frequency changed here rebuilds the metric's series and is audited like any other change.
Observations come from imports and are not edited here; definitions are not deleted here (that would
delete their observations with them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.http import HttpRequest

from tandem.audit.admin import SiteAccessMixin
from tandem.core.scope import DomainError
from tandem.metrics.models import MetricDefinition
from tandem.metrics.services import metric_define, metric_definition_check


class MetricDefinitionForm(ModelForm):
    class Meta:
        model = MetricDefinition
        fields = ("code", "name", "description", "unit", "direction", "grain", "frequency", "decimals")

    def clean(self) -> dict[str, Any]:
        # The service's own checks, so that a refusal shows on the form instead of a 500 on save.
        data = super().clean() or {}
        code = data.get("code") or (self.instance.code if self.instance.pk else "")
        try:
            metric_definition_check(
                code=code,
                name=data.get("name", ""),
                unit=data.get("unit", ""),
                grain=data.get("grain", ""),
                direction=data.get("direction", ""),
                frequency=data.get("frequency", ""),
                decimals=data.get("decimals", 0),
            )
        except DomainError as error:
            raise ValidationError(str(error)) from error
        return data


@admin.register(MetricDefinition)
class MetricDefinitionAdmin(SiteAccessMixin, admin.ModelAdmin):
    form = MetricDefinitionForm
    list_display = ("code", "name", "unit", "direction", "grain", "frequency")
    list_filter = ("grain", "frequency", "direction")
    search_fields = ("code", "name")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("code",) if obj is not None else ()  # pages, imports and programs refer to the code

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: MetricDefinition, form: ModelForm, change: bool) -> None:
        data = form.cleaned_data
        saved = metric_define(
            actor_id=request.user.pk,
            code=obj.code,
            name=data["name"],
            unit=data["unit"],
            grain=data["grain"],
            direction=data["direction"],
            frequency=data["frequency"],
            description=data.get("description", ""),
            decimals=data["decimals"],
        )
        obj.pk = saved.pk  # the admin's redirect and message read it
