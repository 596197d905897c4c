"""Learning data pages.

L&D: learning records overview, the statements browser, xAPI data quality with account mappings. A learner:
their own records and statements ("My learning"). A department head: group figures of their department only
(no individual statement, no group under the minimum size).
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from tandem.accounts.models import Role
from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import Viewer, viewer_require
from tandem.core.charts import Bar, bar_chart_svg
from tandem.core.dates import today
from tandem.core.scope import AccessDenied, DomainError
from tandem.lrs.learning import (
    activity_names,
    learning_completions_by_month,
    learning_overview,
    learning_record_list,
    learning_records_of_person,
    learning_top_activities,
    survey_activity_ids,
)
from tandem.lrs.matching import (
    actor_account_mapping_create,
    actor_account_mapping_list,
    statements_relink,
    unmatched_actor_list,
    unmatched_actor_summary,
)
from tandem.lrs.models import ActorAccountMapping
from tandem.lrs.selectors import agent_key, learning_aggregates, statements_browse
from tandem.metrics.selectors import min_group_size
from tandem.org.selectors import assignment_overlap_list
from tandem.web.viewer import viewer_of

PAGE_SIZE = 50
CHART_MONTHS = 12
# Adding mappings changes which person data is attributed to, like an import: the same (admin) capability.
MANAGE = Capability.RUN_IMPORTS


class MappingForm(forms.Form):
    home_page = forms.CharField(max_length=2048, label="Account homePage")
    source_name = forms.CharField(max_length=200, required=False, label="System name")
    match_by = forms.ChoiceField(choices=ActorAccountMapping.MatchBy.choices)


def _viewer(request: HttpRequest, capability: Capability = Capability.VIEW_LEARNING_DATA) -> Viewer:
    viewer = viewer_of(request)
    viewer_require(viewer=viewer, capability=capability)
    return viewer


def learning(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    page = Paginator(learning_record_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    ids = {record.activity_id for record in page.object_list}
    names, surveys = activity_names(activity_ids=ids), survey_activity_ids(activity_ids=ids)
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
            {
                "record": record,
                "name": names.get(record.activity_id, ""),
                "survey": record.activity_id in surveys,
            }
            for record in page.object_list
        ],
    }
    return render(request, "web/lrs/overview.html", context)


def data_quality(request: HttpRequest, form: MappingForm | None = None) -> HttpResponse:
    viewer = _viewer(request)
    context = {
        "unmatched": unmatched_actor_list(),
        "summary": unmatched_actor_summary(),
        "mappings": actor_account_mapping_list(),
        # Someone in two teams at once has each statement counted for both on the learning pages.
        "overlaps": assignment_overlap_list(scope=viewer.scope),
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


def _before(request: HttpRequest) -> int | None:
    value = request.GET.get("before", "")
    return int(value) if value.isdigit() and len(value) < 19 else None


def my_learning(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own learning records and statements; nobody else's, whatever the role."""
    viewer = viewer_of(request)
    person_id = viewer.person_id
    context: dict[str, object] = {"linked": person_id is not None}
    if person_id is not None:
        records = learning_records_of_person(person_id=person_id)
        page = statements_browse(person_id=person_id, before=_before(request))
        context.update(
            records=records,
            completed=sum(1 for row in records if row.record.completed),
            page=page,
            first_page=_before(request) is None,
        )
    return render(request, "web/lrs/me.html", context)


class StatementFilterForm(forms.Form):
    agent = forms.CharField(
        required=False, max_length=512, help_text="E-mail address, or an identifier such as account:…|name"
    )
    verb = forms.CharField(required=False, max_length=2048, label="Verb IRI")
    activity = forms.CharField(required=False, max_length=2048, label="Activity IRI")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


def _agent_ifi(value: str) -> str:
    value = value.strip()
    if "@" in value and ":" not in value:  # a bare e-mail address: compare as the mbox IFI does
        return agent_key({"mbox": f"mailto:{value}"}) or value
    if value.startswith("mailto:"):
        return agent_key({"mbox": value}) or value
    return value


def statements(request: HttpRequest) -> HttpResponse:
    """L&D: every statement, filtered by agent, verb, activity and stored date, newest first."""
    _viewer(request)
    form = StatementFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    since = filters.get("since")
    page = statements_browse(
        agent_ifi=_agent_ifi(filters.get("agent") or "") or None,
        verb=filters.get("verb") or None,
        activity=filters.get("activity") or None,
        since=dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC) if since else None,
        before=_before(request),
    )
    query = request.GET.copy()
    query.pop("before", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "first_page": _before(request) is None}
    return render(request, "web/lrs/statements.html", context)


def department(request: HttpRequest) -> HttpResponse:
    """Group figures of the viewer's department(s): L&D sees the company, a stakeholder their units."""
    viewer = viewer_of(request)
    scope = viewer.scope
    if viewer.can(Capability.VIEW_LEARNING_DATA):
        units: frozenset[int] | None = None
    elif viewer.has_role(Role.STAKEHOLDER) and scope.org_unit_ids:
        units = scope.org_unit_ids
    else:
        raise AccessDenied("Learning figures by department are for department heads and L&D")
    since = (today().replace(day=1) - dt.timedelta(days=31 * (CHART_MONTHS - 1))).replace(day=1)
    figures = learning_aggregates(org_unit_ids=units, since=since, minimum=min_group_size())
    bars = []
    for _month, month in figures.by_month:
        if not month.suppressed:
            bars.append(Bar(category=month.label, value=month.people or 0, group="Active learners"))
            bars.append(Bar(category=month.label, value=month.completions or 0, group="Completions"))
    chart = bar_chart_svg(
        bars=bars,
        y_title="People or completions",
        description="Active learners and completions per month",
        empty_message="No month has enough learners to show.",
    )
    context = {"figures": figures, "chart": chart, "company_wide": units is None, "since": since}
    return render(request, "web/lrs/department.html", context)


urlpatterns = [
    path("", learning, name="learning"),
    path("me/", my_learning, name="learning_me"),
    path("statements/", statements, name="learning_statements"),
    path("department/", department, name="learning_department"),
    path("data-quality/", data_quality, name="learning_data_quality"),
    path("data-quality/mappings/", mapping_add, name="learning_mapping_add"),
    path("data-quality/relink/", relink, name="learning_relink"),
]
