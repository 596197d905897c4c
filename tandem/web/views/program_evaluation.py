"""Comparison groups and pilot plans (pages): preview a group's balance before saving it, compare a
re-match with the group it replaces, size a pilot while typing and freeze its plan.

Reads need VIEW_PROGRAMS and the program in the viewer's scope; writes need MANAGE_PROGRAMS and are one
service call each (tandem.impact.services). A refusal (DomainError) is shown on the form, input kept.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_POST

from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import Viewer, viewer_require
from tandem.core.charts import Marker, XYPoint, XYSeries, xy_chart_svg
from tandem.core.scope import DomainError
from tandem.impact.records import BalanceView, ComparisonProposal, PilotPlanView, PilotSizing, ProgramDetail
from tandem.impact.selectors import (
    metric_sd_measured,
    pilot_plan_get,
    pilot_sizing_get,
    program_balance,
    program_get,
)
from tandem.impact.services import (
    comparison_group_propose,
    comparison_group_save,
    pilot_plan_freeze,
    pilot_plan_set,
)
from tandem.web.viewer import viewer_of
from tandem.web.views.program_evaluation_forms import METHOD_HELP, ComparisonForm, PilotPlanForm


def _program(request: HttpRequest, code: str, capability: Capability) -> tuple[Viewer, ProgramDetail]:
    viewer = viewer_of(request)
    viewer_require(viewer=viewer, capability=Capability.VIEW_PROGRAMS)
    viewer_require(viewer=viewer, capability=capability)
    return viewer, program_get(scope=viewer.scope, code=code)


def _can_manage(viewer: Viewer) -> bool:
    return viewer.can(Capability.MANAGE_PROGRAMS)


@require_GET
def program_comparison(request: HttpRequest, code: str) -> HttpResponse:
    """The program's comparison groups: the current ones (used by the estimate) and those they replaced."""
    viewer, program = _program(request, code, Capability.VIEW_PROGRAMS)
    groups = program_balance(program_id=program.summary.id, superseded=True)
    context = {
        "program": program,
        "current": [g for g in groups if g.is_current],
        "previous": [g for g in groups if not g.is_current],
        "can_manage": _can_manage(viewer),
        "covered": {g.cohort_id for g in groups if g.is_current},
    }
    return render(request, "web/programs/evaluation/comparison.html", context)


def _current_for(program: ProgramDetail, cohort_id: int | None) -> BalanceView | None:
    for group in program_balance(program_id=program.summary.id, cohort_id=cohort_id):
        if group.cohort_id == cohort_id:
            return group
    return None


def _initial_from(group: BalanceView | None, cohort: str) -> dict[str, Any]:
    """A re-match starts from the settings of the group it replaces."""
    initial: dict[str, Any] = {"cohort": cohort}
    if group is not None:
        initial["method"] = group.method
        if group.caliper is not None:
            initial["caliper"] = group.caliper
        exact = [s.removesuffix(" (exact)") for s in group.strata if s.endswith(" (exact)")]
        if exact:
            initial["exact_on"] = exact
    return initial


def program_comparison_new(request: HttpRequest, code: str) -> HttpResponse:
    """Choose how the group is formed, preview its balance table, then save. With a current group for the
    cohort, the preview stands beside it (the re-match page)."""
    viewer, program = _program(request, code, Capability.MANAGE_PROGRAMS)
    proposal: ComparisonProposal | None = None
    status = 200
    if request.method != "POST":
        cohort = request.GET.get("cohort", "")
        cohort_id = int(cohort) if cohort.isdigit() else None
        form = ComparisonForm(
            initial=_initial_from(_current_for(program, cohort_id), cohort), program=program
        )
        previous = _current_for(program, cohort_id) if "cohort" in request.GET else None
    else:
        form = ComparisonForm(request.POST, program=program)
        previous = None
        if form.is_valid():
            spec = form.spec(program_id=program.summary.id)
            previous = _current_for(program, spec.cohort_id)
            try:
                if request.POST.get("action") == "save":
                    group = comparison_group_save(actor_id=viewer.user_id, spec=spec)
                    messages.success(
                        request,
                        f"Comparison group saved: {group.members.count()} people"
                        + (" (the previous group is kept for comparison)." if previous else "."),
                    )
                    return redirect("program_comparison", code=program.code)
                proposal = comparison_group_propose(spec=spec)
                # Saving repeats this draw: the seed drawn for the preview goes back into the form.
                data = request.POST.copy()
                if proposal.seed is not None:
                    data["seed"] = str(proposal.seed)
                form = ComparisonForm(data, program=program)
                form.is_valid()
            except DomainError as error:
                form.add_error(None, str(error))
                status = 400
        else:
            status = 400
    context = {
        "program": program,
        "form": form,
        "proposal": proposal,
        "previous": previous,
        "method_help": METHOD_HELP,
    }
    return render(request, "web/programs/evaluation/comparison_form.html", context, status=status)


def _number(data: QueryDict, name: str) -> float | None:
    try:
        value = float(data.get(name, ""))
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _sizing_chart(sizing: PilotSizing, power: float) -> SafeString:
    return xy_chart_svg(
        series=[XYSeries("Power", [XYPoint(float(n), p) for n, p in sizing.power_curve])],
        x_title="Participants in the pilot",
        y_title="Chance of detecting the effect",
        markers=[
            Marker(f"Target power {power:.0%}", power, "y"),
            Marker(f"Needed: {sizing.required_per_group}", float(sizing.required_per_group), "x"),
        ],
        y_format="%",
        x_format="d",
        width=560,
        height=220,
        description="Power curve: chance of detecting the minimum effect by the number of participants",
    )


def _sizing(data: QueryDict) -> tuple[PilotSizing | None, str | None, float]:
    """The sizing for the numbers typed so far, or what is missing or wrong in words."""
    effect, sd = _number(data, "minimum_detectable_effect"), _number(data, "outcome_sd")
    power = _number(data, "power") or 0.8
    if effect is None or sd is None:
        return None, "Give the minimum detectable effect and the outcome SD to see the people needed.", power
    try:
        sizing = pilot_sizing_get(
            design=data.get("design") or None,
            minimum_detectable_effect=effect,
            outcome_sd=sd,
            correlation=_number(data, "correlation"),
            alpha=_number(data, "alpha") or 0.05,
            power=power,
            ratio=_number(data, "ratio") or 1.0,
        )
    except DomainError as error:
        return None, str(error), power
    return sizing, None, power


def _sizing_context(data: QueryDict) -> dict[str, Any]:
    sizing, problem, power = _sizing(data)
    return {
        "sizing": sizing,
        "sizing_problem": problem,
        "sizing_chart": _sizing_chart(sizing, power) if sizing is not None and sizing.power_curve else None,
    }


@require_GET
def program_pilot_power(request: HttpRequest, code: str) -> HttpResponse:
    """The people needed and the power curve for the numbers in the query (no write; htmx while typing)."""
    _program(request, code, Capability.VIEW_PROGRAMS)
    return render(request, "web/programs/evaluation/_sizing.html", _sizing_context(request.GET))


def _plan_initial(program: ProgramDetail, plan: PilotPlanView | None) -> dict[str, Any]:
    if plan is not None:
        return {
            "design": plan.design,
            "metric": plan.metric_code,
            "minimum_detectable_effect": plan.minimum_detectable_effect,
            "outcome_sd": plan.outcome_sd,
            "correlation": plan.correlation,
            "alpha": plan.alpha,
            "power": plan.power,
            "ratio": plan.ratio,
            "duration_weeks": plan.duration_weeks,
            "scale_threshold": plan.scale_threshold,
            "stop_threshold": plan.stop_threshold,
        }
    primary = next((m.metric_code for m in program.metrics if m.is_primary), "")
    return {"metric": primary}


def _measured_sds(program: ProgramDetail) -> dict[str, float]:
    before = program.summary.start_date or timezone.localdate()
    found = {
        m.metric_code: metric_sd_measured(metric_code=m.metric_code, before=before) for m in program.metrics
    }
    return {code: sd for code, sd in found.items() if sd is not None}


def program_pilot_plan(request: HttpRequest, code: str) -> HttpResponse:
    """The pilot plan: its inputs with the people needed shown while typing; read-only once frozen."""
    viewer, program = _program(request, code, Capability.VIEW_PROGRAMS)
    plan = pilot_plan_get(program_id=program.summary.id)
    measured = _measured_sds(program)
    status = 200
    if request.method == "POST":
        viewer_require(viewer=viewer, capability=Capability.MANAGE_PROGRAMS)
        form = PilotPlanForm(request.POST, program=program)
        if plan is not None and plan.is_frozen:
            form.is_valid()
            form.add_error(None, "The pilot plan was frozen at launch and cannot change")
            status = 400
        elif form.is_valid():
            data = form.cleaned_data
            try:
                pilot_plan_set(
                    actor_id=viewer.user_id,
                    program_id=program.summary.id,
                    design=data["design"],
                    metric_code=data["metric"],
                    minimum_detectable_effect=data["minimum_detectable_effect"],
                    outcome_sd=data["outcome_sd"],
                    correlation=data["correlation"],
                    alpha=data["alpha"],
                    power=data["power"],
                    ratio=data["ratio"],
                    duration_weeks=data["duration_weeks"],
                    scale_threshold=data["scale_threshold"],
                    stop_threshold=data["stop_threshold"],
                )
                messages.success(request, "Pilot plan saved. Freeze it before the pilot starts.")
                return redirect("program_pilot_plan", code=program.code)
            except DomainError as error:
                form.add_error(None, str(error))
                status = 400
        else:
            status = 400
        sizing_data: QueryDict = request.POST
    else:
        initial = _plan_initial(program, plan)
        if plan is None and initial["metric"] in measured:
            initial["outcome_sd"] = round(measured[initial["metric"]], 4)
        form = PilotPlanForm(initial=initial, program=program)
        sizing_data = QueryDict(mutable=True)
        sizing_data.update({k: "" if v is None else str(v) for k, v in initial.items()})
    context = {
        "program": program,
        "plan": plan,
        "form": form,
        "measured": measured,
        "can_manage": _can_manage(viewer),
        **_sizing_context(sizing_data),
    }
    return render(request, "web/programs/evaluation/pilot_plan.html", context, status=status)


@require_POST
def program_pilot_freeze(request: HttpRequest, code: str) -> HttpResponse:
    viewer, program = _program(request, code, Capability.MANAGE_PROGRAMS)
    try:
        pilot_plan_freeze(actor_id=viewer.user_id, program_id=program.summary.id)
        messages.success(request, "Pilot plan frozen: it can no longer change.")
    except DomainError as error:
        messages.error(request, str(error))
    return redirect("program_pilot_plan", code=program.code)


urlpatterns = [
    path("<slug:code>/comparison/", program_comparison, name="program_comparison"),
    path("<slug:code>/comparison/new/", program_comparison_new, name="program_comparison_new"),
    path("<slug:code>/pilot-plan/", program_pilot_plan, name="program_pilot_plan"),
    path("<slug:code>/pilot-plan/power/", program_pilot_power, name="program_pilot_power"),
    path("<slug:code>/pilot-plan/freeze/", program_pilot_freeze, name="program_pilot_freeze"),
]
