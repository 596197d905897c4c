"""Creating and editing programs: fields, activities, costs and metrics (pages, MANAGE_PROGRAMS).

Every write is one service call (tandem.impact.services: validated, audited, one transaction). A refusal
(DomainError) is shown on the form it came from, with what was typed kept. The setup page gathers a
program's fields, activities, costs and metrics, and includes the cohorts and evaluation sections
(web/programs/setup/_cohorts.html and _evaluation.html, their own modules).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import Viewer, viewer_require
from tandem.core.scope import DomainError
from tandem.impact.models import Program
from tandem.impact.records import ProgramDetail
from tandem.impact.selectors import program_get
from tandem.impact.services import (
    cost_item_add,
    cost_item_remove,
    program_activity_add,
    program_activity_remove,
    program_create,
    program_metric_remove,
    program_metric_set,
    program_update,
)
from tandem.lrs.selectors import activity_search
from tandem.org.selectors import person_list
from tandem.reports.present import currency_code
from tandem.web.viewer import viewer_of
from tandem.web.views.programs_forms import ActivityForm, CostForm, MetricLinkForm, ProgramForm

SEARCH_LIMIT = 15
PEOPLE_FIELDS = ("owner_employee_id", "sponsor_employee_id", "q")


def _viewer(request: HttpRequest) -> Viewer:
    viewer = viewer_of(request)
    viewer_require(viewer=viewer, capability=Capability.MANAGE_PROGRAMS)
    return viewer


def _program(request: HttpRequest, code: str) -> tuple[Viewer, ProgramDetail]:
    viewer = _viewer(request)
    return viewer, program_get(scope=viewer.scope, code=code)


def _form_page(
    request: HttpRequest, *, form: ProgramForm, program: ProgramDetail | None = None, status: int = 200
) -> HttpResponse:
    return render(request, "web/programs/form.html", {"form": form, "program": program}, status=status)


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    """The service arguments of the program form (blank pickers clear the person or initiative)."""
    return {
        "name": data["name"],
        "description": data["description"],
        "owner_employee_id": data["owner_employee_id"].strip() or None,
        "sponsor_employee_id": data["sponsor_employee_id"].strip() or None,
        "initiative_code": data["initiative_code"] or None,
        "audience": data["audience"],
        "delivery_modes": list(data["delivery_modes"]),
        "start_date": data["start_date"],
        "end_date": data["end_date"],
        "status": data["status"],
        "is_pilot": data["is_pilot"],
    }


def program_new(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if request.method != "POST":
        return _form_page(request, form=ProgramForm())
    form = ProgramForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form=form, status=400)
    try:
        program = program_create(
            actor_id=viewer.user_id, code=form.cleaned_data["code"], **_fields(form.cleaned_data)
        )
    except DomainError as error:
        form.add_error(None, str(error))
        return _form_page(request, form=form, status=400)
    messages.success(request, f"Program “{program.name}” created. Add its activities, costs and metrics.")
    return redirect("program_setup", code=program.code)


def program_edit(request: HttpRequest, code: str) -> HttpResponse:
    viewer, program = _program(request, code)
    if request.method != "POST":
        initial = {
            "name": program.summary.name,
            "description": program.description,
            "owner_employee_id": program.owner_employee_id or "",
            "sponsor_employee_id": program.sponsor_employee_id or "",
            "initiative_code": program.initiative_code or "",
            "audience": program.audience,
            "delivery_modes": list(program.delivery_modes),
            "start_date": program.summary.start_date,
            "end_date": program.summary.end_date,
            "status": program.summary.status,
            "is_pilot": program.summary.is_pilot,
        }
        return _form_page(request, form=ProgramForm(editing=True, initial=initial), program=program)
    form = ProgramForm(request.POST, editing=True)
    if not form.is_valid():
        return _form_page(request, form=form, program=program, status=400)
    try:
        program_update(actor_id=viewer.user_id, program_id=program.summary.id, **_fields(form.cleaned_data))
    except DomainError as error:
        form.add_error(None, str(error))
        return _form_page(request, form=form, program=program, status=400)
    messages.success(request, "Program saved.")
    return redirect("program_setup", code=code)


def _setup_page(
    request: HttpRequest,
    program: ProgramDetail,
    *,
    activity_form: ActivityForm | None = None,
    cost_form: CostForm | None = None,
    metric_form: MetricLinkForm | None = None,
    status: int = 200,
) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    context = {
        "program": program,
        "activity_form": activity_form or ActivityForm(),
        "cost_form": cost_form or CostForm(),
        "metric_form": metric_form or _metric_form(program, request.GET.get("metric", "")),
        "activity_query": query,
        # Without a search: the activities with the most statements, so the common ones are one click away.
        "activity_results": _activity_results(program, query),
        "currency": currency_code(),
        "delivery_labels": [
            str(Program.DeliveryMode(m).label)
            for m in program.delivery_modes
            if m in Program.DeliveryMode.values
        ],
    }
    return render(request, "web/programs/setup.html", context, status=status)


def _activity_results(program: ProgramDetail, query: str) -> list[Any]:
    taken = {activity.activity_iri for activity in program.activities}
    return [
        a for a in activity_search(query=query, limit=SEARCH_LIMIT + len(taken)) if a.activity_id not in taken
    ][:SEARCH_LIMIT]


def _metric_form(program: ProgramDetail, metric_code: str) -> MetricLinkForm:
    """The metric form, filled in with the stored link when one is picked (?metric=code)."""
    link = next((m for m in program.metrics if m.metric_code == metric_code), None)
    if link is None:
        return MetricLinkForm()
    return MetricLinkForm(
        initial={
            "metric_code": link.metric_code,
            "role": "primary" if link.is_primary else "secondary",
            "expected_direction": link.expected_direction,
            "baseline": link.baseline,
            "baseline_date": link.baseline_date,
            "goal": link.goal,
            "value_per_unit": link.value_per_unit,
        }
    )


@require_GET
def program_setup(request: HttpRequest, code: str) -> HttpResponse:
    _, program = _program(request, code)
    return _setup_page(request, program)


@require_GET
def program_activity_search(request: HttpRequest, code: str) -> HttpResponse:
    """The activity search results (htmx swaps them under the search box)."""
    _, program = _program(request, code)
    query = request.GET.get("q", "").strip()
    context = {
        "program": program,
        "activity_query": query,
        "activity_results": _activity_results(program, query),
    }
    return render(request, "web/programs/_activity_results.html", context)


@require_GET
def program_people_search(request: HttpRequest) -> HttpResponse:
    """Datalist options for a person picker: people whose name, employee id or email match."""
    viewer = _viewer(request)
    field = request.GET.get("field", "q")
    query = request.GET.get(field if field in PEOPLE_FIELDS else "q", "").strip()
    people = list(person_list(scope=viewer.scope, search=query)[:SEARCH_LIMIT]) if len(query) >= 2 else []
    return render(request, "web/programs/_people_options.html", {"people": people})


def _refused(form: forms.Form, error: DomainError) -> None:
    form.add_error(None, str(error))


@require_POST
def program_activity_add_view(request: HttpRequest, code: str) -> HttpResponse:
    viewer, program = _program(request, code)
    form = ActivityForm(request.POST)
    if form.is_valid():
        try:
            program_activity_add(
                actor_id=viewer.user_id,
                program_id=program.summary.id,
                activity_iri=form.cleaned_data["activity_iri"].strip(),
                name=form.cleaned_data["name"].strip(),
            )
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, "Activity added.")
            return redirect("program_setup", code=code)
    return _setup_page(request, program, activity_form=form, status=400)


@require_POST
def program_activity_remove_view(request: HttpRequest, code: str, activity_id: int) -> HttpResponse:
    viewer, program = _program(request, code)
    try:
        program_activity_remove(
            actor_id=viewer.user_id, program_id=program.summary.id, activity_id=activity_id
        )
        messages.success(request, "Activity removed.")
    except DomainError as error:
        messages.error(request, str(error))
    return redirect("program_setup", code=code)


@require_POST
def program_cost_add(request: HttpRequest, code: str) -> HttpResponse:
    viewer, program = _program(request, code)
    form = CostForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            cost_item_add(
                actor_id=viewer.user_id,
                program_id=program.summary.id,
                kind=data["kind"],
                description=data["description"],
                amount=data["amount"],
                hours=data["hours"],
                rate=data["rate"],
                currency=currency_code(),
            )
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, "Cost line added.")
            return redirect("program_setup", code=code)
    return _setup_page(request, program, cost_form=form, status=400)


@require_POST
def program_cost_remove(request: HttpRequest, code: str, cost_id: int) -> HttpResponse:
    viewer, program = _program(request, code)
    try:
        cost_item_remove(actor_id=viewer.user_id, program_id=program.summary.id, cost_item_id=cost_id)
        messages.success(request, "Cost line removed.")
    except DomainError as error:
        messages.error(request, str(error))
    return redirect("program_setup", code=code)


@require_POST
def program_metric_set_view(request: HttpRequest, code: str) -> HttpResponse:
    viewer, program = _program(request, code)
    form = MetricLinkForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            program_metric_set(
                actor_id=viewer.user_id,
                program_id=program.summary.id,
                metric_code=data["metric_code"],
                baseline=data["baseline"],
                baseline_date=data["baseline_date"],
                goal=data["goal"],
                value_per_unit=data["value_per_unit"],
                is_primary=data["role"] == "primary",
                expected_direction=data["expected_direction"] or None,
            )
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, "Metric saved.")
            return redirect("program_setup", code=code)
    return _setup_page(request, program, metric_form=form, status=400)


@require_POST
def program_metric_remove_view(request: HttpRequest, code: str, metric_code: str) -> HttpResponse:
    viewer, program = _program(request, code)
    try:
        program_metric_remove(actor_id=viewer.user_id, program_id=program.summary.id, metric_code=metric_code)
        messages.success(request, "Metric unlinked.")
    except DomainError as error:
        messages.error(request, str(error))
    return redirect("program_setup", code=code)


urlpatterns = [
    path("new/", program_new, name="program_new"),
    path("people/search/", program_people_search, name="program_people_search"),
    path("<slug:code>/edit/", program_edit, name="program_edit"),
    path("<slug:code>/setup/", program_setup, name="program_setup"),
    path("<slug:code>/activities/", program_activity_add_view, name="program_activity_add"),
    path("<slug:code>/activities/search/", program_activity_search, name="program_activity_search"),
    path(
        "<slug:code>/activities/<int:activity_id>/remove/",
        program_activity_remove_view,
        name="program_activity_remove",
    ),
    path("<slug:code>/costs/", program_cost_add, name="program_cost_add"),
    path("<slug:code>/costs/<int:cost_id>/remove/", program_cost_remove, name="program_cost_remove"),
    path("<slug:code>/metrics/", program_metric_set_view, name="program_metric_set"),
    path(
        "<slug:code>/metrics/<slug:metric_code>/remove/",
        program_metric_remove_view,
        name="program_metric_remove",
    ),
]
