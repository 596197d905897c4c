"""Creating and editing metric definitions (MANAGE_METRICS), through tandem.metrics.services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import Viewer, viewer_require
from tandem.core.scope import DomainError
from tandem.metrics.models import MetricDefinition
from tandem.metrics.selectors import metric_get
from tandem.metrics.services import MAX_DECIMALS, metric_create, metric_update
from tandem.web.viewer import viewer_of

Definition = MetricDefinition


class MetricForm(forms.Form):
    code = forms.SlugField(
        max_length=60, help_text="Letters, digits and hyphens, e.g. cx-csat. Imports use it."
    )
    name = forms.CharField(max_length=200)
    unit = forms.CharField(max_length=40, help_text="e.g. %, tickets, EUR, minutes")
    grain = forms.ChoiceField(
        choices=Definition.Grain.choices,
        help_text="Who a value belongs to: a person, a team or org unit, or the company",
    )
    frequency = forms.ChoiceField(choices=Definition.Frequency.choices, initial=Definition.Frequency.MONTHLY)
    direction = forms.ChoiceField(choices=Definition.Direction.choices)
    decimals = forms.IntegerField(min_value=0, max_value=MAX_DECIMALS, initial=1)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]
            self.fields[
                "grain"
            ].help_text += (
                ". Changing grain or frequency rebuilds the metric's monthly series for program impact."
            )


def _viewer(request: HttpRequest) -> Viewer:
    viewer = viewer_of(request)
    viewer_require(viewer=viewer, capability=Capability.MANAGE_METRICS)
    return viewer


def _page(
    request: HttpRequest, *, form: MetricForm, metric: MetricDefinition | None = None, status: int = 200
) -> HttpResponse:
    return render(request, "web/metrics/form.html", {"form": form, "metric": metric}, status=status)


def metric_new(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if request.method != "POST":
        return _page(request, form=MetricForm())
    form = MetricForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    try:
        metric = metric_create(actor_id=viewer.user_id, **form.cleaned_data)
    except DomainError as error:
        form.add_error(None, str(error))
        return _page(request, form=form, status=400)
    messages.success(request, f"Metric “{metric.name}” created. Import its values from a file.")
    return redirect("metric_detail", code=metric.code)


def metric_edit(request: HttpRequest, code: str) -> HttpResponse:
    viewer = _viewer(request)
    metric = metric_get(code=code)
    if request.method != "POST":
        initial = {name: getattr(metric, name) for name in MetricForm.base_fields if name != "code"}
        return _page(request, form=MetricForm(editing=True, initial=initial), metric=metric)
    form = MetricForm(request.POST, editing=True)
    if not form.is_valid():
        return _page(request, form=form, metric=metric, status=400)
    try:
        metric_update(actor_id=viewer.user_id, code=code, **form.cleaned_data)
    except DomainError as error:
        form.add_error(None, str(error))
        return _page(request, form=form, metric=metric, status=400)
    messages.success(request, "Metric saved.")
    return redirect("metric_detail", code=code)


urlpatterns = [
    path("new/", metric_new, name="metric_new"),
    path("<slug:code>/edit/", metric_edit, name="metric_edit"),
]
