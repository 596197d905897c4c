"""Learning programs and their impact on business metrics, written for a department head.

L&D sees every program; a stakeholder sees the programs with participants in their scope. Figures are
aggregates of whole groups (never individual values) and groups under the minimum size get none.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.safestring import SafeString

from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import viewer_require
from tandem.core.charts import Marker, Series, XYPoint, XYSeries, line_chart_svg, xy_chart_svg
from tandem.core.scope import DomainError
from tandem.impact.estimates import (
    COMPARISONS,
    METHODS,
    ImpactEstimate,
    primary_metric_code,
    program_impact_estimate,
    program_require_visible,
    programs_visible_ids,
)
from tandem.impact.models import Program
from tandem.impact.records import PilotPlanView, ProgramDetail
from tandem.impact.selectors import pilot_plan_get, program_balance, program_get, program_list
from tandem.metrics.selectors import min_group_size

EVENT_WINDOW = 12  # months shown before the start in the event-study chart


def _viewer(request: HttpRequest):  # type: ignore[no-untyped-def]
    viewer = request.viewer  # type: ignore[attr-defined]
    viewer_require(viewer=viewer, capability=Capability.VIEW_PROGRAMS)
    return viewer


def programs(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    status = request.GET.get("status", "")
    visible = programs_visible_ids(scope=viewer.scope)
    items = [
        p
        for p in program_list(status=status if status in Program.Status.values else "")
        if visible is None or p.id in visible
    ]
    context = {"programs": items, "status": status, "statuses": Program.Status.choices}
    return render(request, "web/programs/list.html", context)


def _visible_program(request: HttpRequest, code: str) -> ProgramDetail:
    viewer = _viewer(request)
    detail = program_get(code=code)
    program_require_visible(scope=viewer.scope, program_id=detail.summary.id)
    return detail


def _estimate(
    *, detail: ProgramDetail, metric_code: str | None, method: str = "staggered", comparison: str = "never"
) -> tuple[ImpactEstimate | None, str]:
    if metric_code is None:
        return None, "No primary metric is set for this program yet."
    try:
        return (
            program_impact_estimate(
                program_id=detail.summary.id,
                metric_code=metric_code,
                method=method,  # type: ignore[arg-type]
                comparison=comparison,  # type: ignore[arg-type]
                detail=detail,
            ),
            "",
        )
    except DomainError as error:
        return None, str(error)


def program_headline(request: HttpRequest, code: str) -> HttpResponse:
    """The primary metric's headline sentence, loaded into the list one program at a time."""
    detail = _visible_program(request, code)
    estimate, problem = _estimate(detail=detail, metric_code=primary_metric_code(detail=detail))
    return render(
        request,
        "web/programs/_headline.html",
        {
            "program": detail.summary,
            "metric": detail.primary_metric,
            "estimate": estimate,
            "problem": problem,
        },
    )


def _event_chart(estimate: ImpactEstimate) -> SafeString:
    shown = [p for p in estimate.event_study if p.relative_month >= -EVENT_WINDOW]
    before = [
        XYPoint(p.relative_month, p.estimate, p.ci_low, p.ci_high) for p in shown if p.relative_month < 0
    ]
    after = [
        XYPoint(p.relative_month, p.estimate, p.ci_low, p.ci_high) for p in shown if p.relative_month >= 0
    ]
    return xy_chart_svg(
        series=[
            XYSeries("Before the start (should hover around zero)", before),
            XYSeries("After the start", after),
        ],
        x_title="Months since the team started (0 = first month)",
        y_title=f"Difference ({estimate.unit})",
        markers=[Marker("No difference", 0.0, "y"), Marker("Start", -0.5, "x")],
        width=720,
        height=280,
        x_format="d",
        description=f"Event study: difference between participants and comparison in {estimate.metric_name} "
        "by month since the start, with 95% confidence intervals",
    )


def _trend_chart(estimate: ImpactEstimate) -> SafeString:
    return line_chart_svg(
        series=[
            Series(name=f"{line.label}, {line.people} people", points=line.points) for line in estimate.trends
        ],
        y_title=f"{estimate.metric_name} ({estimate.unit}), mean",
        width=720,
        height=280,
        description=f"Average {estimate.metric_name} per month for each wave and the comparison group",
        empty_message="No group is large enough to chart.",
    )


def _power_chart(plan: PilotPlanView, pilot_people: int | None) -> SafeString:
    markers = [
        Marker(f"Target power {plan.power:.0%}", plan.power, "y"),
        Marker(f"Needed: {plan.required_per_group}", float(plan.required_per_group), "x"),
    ]
    if pilot_people:
        markers.append(Marker(f"Pilot: {pilot_people}", float(pilot_people), "x"))
    return xy_chart_svg(
        series=[XYSeries("Power", [XYPoint(float(n), p) for n, p in plan.power_curve])],
        x_title="Participants in the pilot",
        y_title="Chance of detecting the effect",
        markers=markers,
        y_format="%",
        x_format="d",
        width=560,
        height=220,
        description="Power curve of the pilot plan: chance of detecting the minimum effect by group size",
    )


def _sensitivity_chart(estimate: ImpactEstimate) -> SafeString:
    assert estimate.roi is not None
    values = sorted({cell.value_per_unit for cell in estimate.roi.sensitivity})
    series = [
        XYSeries(
            f"{value:,.2f} per {estimate.unit.rstrip('s') or 'unit'}",
            [XYPoint(c.effect, c.roi_percent) for c in estimate.roi.sensitivity if c.value_per_unit == value],
        )
        for value in values
    ]
    return xy_chart_svg(
        series=series,
        x_title=f"Effect per person and month ({estimate.unit})",
        y_title="Return on investment (%)",
        markers=[
            Marker("Break-even", 0.0, "y"),
            Marker("Cautious estimate", estimate.roi.effect_used, "x"),
        ],
        width=560,
        height=240,
        description="ROI for a range of effects and money values per unit",
    )


def program_detail(request: HttpRequest, code: str) -> HttpResponse:
    detail = _visible_program(request, code)
    codes = [m.metric_code for m in detail.metrics]
    metric_code = request.GET.get("metric", "")
    metric_code = metric_code if metric_code in codes else (primary_metric_code(detail=detail) or "")
    method = request.GET.get("method", "staggered")
    method = method if method in METHODS else "staggered"
    comparison = request.GET.get("comparison", "never")
    comparison = comparison if comparison in COMPARISONS else "never"
    estimate, problem = _estimate(
        detail=detail, metric_code=metric_code or None, method=method, comparison=comparison
    )
    plan = pilot_plan_get(program_id=detail.summary.id)
    pilot_people = detail.cohorts[0].participants if detail.cohorts else None
    verdict = None
    if (
        plan is not None
        and estimate is not None
        and estimate.overall is not None
        and plan.metric_code == metric_code
    ):
        verdict = plan.decide(
            effect=estimate.overall.estimate, ci_low=estimate.overall.ci_low, ci_high=estimate.overall.ci_high
        )
    figure = estimate is not None and estimate.overall is not None
    by_start = {c.start: c for c in estimate.cohorts} if estimate is not None else {}
    cohort_rows = [
        {"cohort": c, "estimate": by_start.get(c.start_date.replace(day=1))} for c in detail.cohorts
    ]
    context = {
        "program": detail,
        "metric": next((m for m in detail.metrics if m.metric_code == metric_code), None),
        "estimate": estimate,
        "problem": problem,
        "method": method,
        "comparison": comparison,
        "event_chart": _event_chart(estimate) if figure and estimate else None,
        "trend_chart": _trend_chart(estimate) if estimate is not None and estimate.trends else None,
        "sensitivity_chart": _sensitivity_chart(estimate) if estimate is not None and estimate.roi else None,
        "cohort_rows": cohort_rows,
        "balance": program_balance(program_id=detail.summary.id),
        "plan": plan,
        "pilot_people": pilot_people,
        "power_chart": _power_chart(plan, pilot_people) if plan is not None and plan.power_curve else None,
        "verdict": verdict,
        "min_group": min_group_size(),
    }
    return render(request, "web/programs/detail.html", context)


urlpatterns = [
    path("", programs, name="programs"),
    path("<slug:code>/", program_detail, name="program_detail"),
    path("<slug:code>/headline/", program_headline, name="program_headline"),
]
