"""Learning data pages (L&D): learning records overview, and xAPI data quality with account mappings."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import Viewer, viewer_require
from tandem.core.charts import Bar, bar_chart_svg
from tandem.core.dates import today
from tandem.core.scope import DomainError
from tandem.lrs.learning import (
    activity_names,
    learning_completions_by_month,
    learning_overview,
    learning_record_list,
    learning_top_activities,
)
from tandem.lrs.matching import (
    actor_account_mapping_create,
    actor_account_mapping_list,
    statements_relink,
    unmatched_actor_list,
)
from tandem.lrs.models import ActorAccountMapping

PAGE_SIZE = 50
CHART_MONTHS = 12
# Adding mappings changes which person data is attributed to, like an import: the same (admin) capability.
MANAGE = Capability.RUN_IMPORTS


class MappingForm(forms.Form):
    home_page = forms.CharField(max_length=2048, label="Account homePage")
    source_name = forms.CharField(max_length=200, required=False, label="System name")
    match_by = forms.ChoiceField(choices=ActorAccountMapping.MatchBy.choices)


def _viewer(request: HttpRequest, capability: Capability = Capability.VIEW_LEARNING_DATA) -> Viewer:
    viewer: Viewer = request.viewer  # type: ignore[attr-defined]
    viewer_require(viewer=viewer, capability=capability)
    return viewer


def learning(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    page = Paginator(learning_record_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    names = activity_names(activity_ids={record.activity_id for record in page.object_list})
    since = (today().replace(day=1) - dt.timedelta(days=31 * (CHART_MONTHS - 1))).replace(day=1)
    months = learning_completions_by_month(since=since)
    chart = bar_chart_svg(
        bars=[Bar(category=month.strftime("%b %y"), value=count) for month, count in months],
        y_title="Completions",
        description="Completions per month",
        empty_message="No completions yet.",
    )
    context = {
        "overview": learning_overview(),
        "can_manage_clients": viewer.can(Capability.MANAGE_LRS_CLIENTS),
        "chart": chart if any(count for _m, count in months) else None,
        "top": learning_top_activities(),
        "page": page,
        "rows": [
            {"record": record, "name": names.get(record.activity_id, "")} for record in page.object_list
        ],
    }
    return render(request, "web/lrs/overview.html", context)


def data_quality(request: HttpRequest, form: MappingForm | None = None) -> HttpResponse:
    viewer = _viewer(request)
    context = {
        "unmatched": unmatched_actor_list(),
        "mappings": actor_account_mapping_list(),
        "can_manage": viewer.can(MANAGE),
        "form": form or MappingForm(),
    }
    return render(request, "web/lrs/data_quality.html", context, status=400 if form and form.errors else 200)


@require_POST
def mapping_add(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request, MANAGE)
    form = MappingForm(request.POST)
    if form.is_valid():
        try:
            mapping, result = actor_account_mapping_create(actor_id=viewer.user_id, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"{mapping.source_name} mapped; {result.matched} actor(s) matched, "
                f"{result.statements} statement(s) and {result.records} learning record(s) linked.",
            )
            return redirect("learning_data_quality")
    return data_quality(request, form=form)


@require_POST
def relink(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request, MANAGE)
    result = statements_relink(actor_id=viewer.user_id)
    messages.success(
        request,
        f"{result.matched} of {result.actors} unmatched actor(s) now match a person; "
        f"{result.statements} statement(s) and {result.records} learning record(s) linked.",
    )
    return redirect("learning_data_quality")


urlpatterns = [
    path("", learning, name="learning"),
    path("data-quality/", data_quality, name="learning_data_quality"),
    path("data-quality/mappings/", mapping_add, name="learning_mapping_add"),
    path("data-quality/relink/", relink, name="learning_relink"),
]
