"""Learning programs and their impact on business metrics, written for a department head.

L&D sees every program; a stakeholder sees the programs with participants in their scope. Figures are
aggregates of whole groups (never individual values) and groups under the minimum size get none.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path
from django.utils.safestring import SafeString

from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import viewer_require
from tandem.core.charts import (
    Bar,
    Marker,
    XYPoint,
    XYSeries,
    bar_chart_svg,
    xy_chart_svg,
)
from tandem.impact.assembly import ProgramImpact, program_impact_get
from tandem.impact.estimates import (
    COMPARISONS,
    METHODS,
    ImpactEstimate,
    primary_metric_code,
)
from tandem.impact.models import Program
from tandem.impact.records import PilotPlanView, ProgramDetail
from tandem.impact.selectors import program_get, program_list
from tandem.metrics.selectors import min_group_size
from tandem.reports.charts import event_chart_svg, trend_chart_svg
from tandem.reports.present import impact_text, money, tier_interval, tier_value
from tandem.reports.records import TIER_BUSINESS, TIER_LEARNER, TIER_OPERATIONAL, ProgramTiers, TierFigure
from tandem.reports.tiers import GROUP_BYS, program_tiers
from tandem.web.viewer import viewer_of

TIERS = (
    (
        TIER_OPERATIONAL,
        "Taking part",
        "Who enrolled, started and finished, what they thought of it, and what it cost.",
    ),
    (TIER_LEARNER, "Learning", "What participants learned and how much of it they use in their work."),
    (
        TIER_BUSINESS,
        "Business results",
        "What changed in the work itself, compared with colleagues who did not take part.",
    ),
)
GROUPINGS = (("", "Whole program"), ("org_unit", "By org unit"), ("cohort", "By wave"))
FUNNEL = ("enrolled", "started", "completed", "passed")
# What n counts, for "Based on n …" under each figure (people unless said here).
BASIS = {"response_rate": "invitations"} | dict.fromkeys(
    (
        "satisfaction",
        "relevance",
        "engagement",
        "nps",
        "confidence",
        "commitment",
        "applied_rate",
        "scrap_learning",
        "manager_observed_change",
    ),
    "answers",
)
REACTION = ("satisfaction", "relevance", "engagement", "confidence", "commitment", "manager_observed_change")


def _viewer(request: HttpRequest):  # type: ignore[no-untyped-def]
    viewer = viewer_of(request)
    viewer_require(viewer=viewer, capability=Capability.VIEW_PROGRAMS)
    return viewer


def programs(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    status = request.GET.get("status", "")
    items = program_list(scope=viewer.scope, status=status if status in Program.Status.values else "")
    context = {
        "programs": items,
        "status": status,
        "statuses": Program.Status.choices,
        "can_manage": viewer.can(Capability.MANAGE_PROGRAMS),
    }
    return render(request, "web/programs/list.html", context)


def _visible_program(request: HttpRequest, code: str) -> ProgramDetail:
    viewer = _viewer(request)
    return program_get(scope=viewer.scope, code=code)


def _impact(
    request: HttpRequest, detail: ProgramDetail, choices: tuple[str, str, str] = ("", "", "")
) -> ProgramImpact:
    """The program's impact as every page and export shows it (tandem.impact.assembly)."""
    metric_code, method, comparison = choices
    return program_impact_get(
        scope=viewer_of(request).scope,
        detail=detail,
        metric_code=metric_code,
        method=method or "staggered",
        comparison=comparison or "never",
    )


def program_headline(request: HttpRequest, code: str) -> HttpResponse:
    """The primary metric's headline sentence, loaded into the list one program at a time."""
    detail = _visible_program(request, code)
    impact = _impact(request, detail)
    return render(
        request,
        "web/programs/_headline.html",
        {
            "program": detail.summary,
            "metric": impact.metric,
            "estimate": impact.estimate,
            "problem": impact.problem,
            "impact": impact,
            "shown": impact_text(impact),
        },
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
            f"{money(value)} per {estimate.unit.rstrip('s') or 'unit'}",
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


def _choices(request: HttpRequest, detail: ProgramDetail) -> tuple[str, str, str]:
    """The metric, method and comparison asked for; unknown values fall back to the defaults."""
    codes = [m.metric_code for m in detail.metrics]
    metric_code = request.GET.get("metric", "")
    metric_code = metric_code if metric_code in codes else (primary_metric_code(detail=detail) or "")
    method = request.GET.get("method", "staggered")
    comparison = request.GET.get("comparison", "never")
    return (
        metric_code,
        method if method in METHODS else "staggered",
        comparison if comparison in COMPARISONS else "never",
    )


def _cell(figure: TierFigure) -> dict[str, object]:
    return {"text": tier_value(figure), "interval": tier_interval(figure), "figure": figure}


def _tier_tables(tiers: ProgramTiers) -> list[dict[str, object]]:
    """One table per tier: a row per figure, a column for the whole program and one per group."""
    by_group = [{f.key: f for f in group.figures} for group in tiers.groups]
    tables: list[dict[str, object]] = []
    for tier, title, intro in TIERS:
        rows = [
            {
                "figure": figure,
                "basis": BASIS.get(figure.key, "people"),
                "cells": [_cell(figure), *(_cell(figures[figure.key]) for figures in by_group)],
            }
            for figure in tiers.overall
            if figure.tier == tier
        ]
        tables.append({"tier": tier, "title": title, "intro": intro, "rows": rows})
    return tables


def _tiers_context(
    *,
    request: HttpRequest,
    detail: ProgramDetail,
    impact: ProgramImpact,
    choices: tuple[str, str, str],
) -> tuple[ProgramTiers, dict[str, object]]:
    """The viewer's tiers (grouped as asked) and what _tiers.html needs to show them."""
    viewer = viewer_of(request)
    group_by = request.GET.get("group_by", "")
    group_by = group_by if group_by in GROUP_BYS else ""
    tiers = program_tiers(
        program_id=detail.summary.id, scope=viewer.scope, group_by=group_by, detail=detail, impact=impact
    )
    metric_code, method, comparison = choices
    links = []
    for key, label in GROUPINGS:
        query = urlencode(
            {
                k: v
                for k, v in (
                    ("metric", metric_code),
                    ("method", method),
                    ("comparison", comparison),
                    ("group_by", key),
                )
                if v
            }
        )
        links.append({"key": key, "label": label, "query": query})
    return tiers, {
        "tiers": tiers,
        "tier_tables": _tier_tables(tiers),
        "group_by": group_by,
        "groupings": links,
        "scoped": not viewer.scope.everyone,
    }


def _funnel_chart(tiers: ProgramTiers) -> SafeString | None:
    figures = {f.key: f for f in tiers.overall}
    bars = [Bar(figures[key].label, value) for key in FUNNEL if (value := figures[key].value) is not None]
    if len(bars) < 2:
        return None  # nothing to compare the enrolment with (no activities, or a small group)
    return bar_chart_svg(
        bars=bars,
        horizontal=True,
        x_title="",
        y_title="People",
        width=560,
        height=36 * len(bars),
        description="Completion funnel: people enrolled, started, completed and passed",
    )


def _survey_chart(tiers: ProgramTiers) -> SafeString | None:
    bars = [Bar(f.label, f.value) for f in tiers.overall if f.key in REACTION and f.value is not None]
    if not bars:
        return None
    return bar_chart_svg(
        bars=bars,
        horizontal=True,
        y_title="Average answer (1 to 5, higher is better)",
        width=560,
        height=32 * len(bars),
        description="Survey results: average answer per question on a 1 to 5 scale",
    )


def program_tiers_fragment(request: HttpRequest, code: str) -> HttpResponse:
    """The tier tables only, for the drill-down links (htmx swaps them in place)."""
    detail = _visible_program(request, code)
    choices = _choices(request, detail)
    impact = _impact(request, detail, choices)
    _tiers, context = _tiers_context(request=request, detail=detail, impact=impact, choices=choices)
    return render(request, "web/programs/_tiers.html", {"program": detail, **context})


def program_detail(request: HttpRequest, code: str) -> HttpResponse:
    detail = _visible_program(request, code)
    choices = _choices(request, detail)
    impact = _impact(request, detail, choices)
    estimate, plan = impact.estimate, impact.plan
    figure = impact.has_figure
    pilot_people = impact.pilot.actual if impact.pilot is not None else None
    by_start = {c.start: c for c in estimate.cohorts} if estimate is not None else {}
    cohort_rows = [
        {"cohort": c, "estimate": by_start.get(c.start_date.replace(day=1))} for c in detail.cohorts
    ]
    tiers, tiers_context = _tiers_context(request=request, detail=detail, impact=impact, choices=choices)
    context = {
        "program": detail,
        "impact": impact,
        "shown": impact_text(impact),
        "metric": impact.metric,
        "estimate": estimate,
        "problem": impact.problem,
        "method": impact.method,
        "comparison": impact.comparison,
        "event_chart": event_chart_svg(estimate=estimate, height=280) if figure and estimate else None,
        "trend_chart": trend_chart_svg(estimate=estimate, height=280)
        if estimate is not None and estimate.trends
        else None,
        "sensitivity_chart": _sensitivity_chart(estimate) if estimate is not None and estimate.roi else None,
        "cohort_rows": cohort_rows,
        "balance": impact.balance,
        "plan": plan,
        "pilot_people": pilot_people,
        "power_chart": _power_chart(plan, pilot_people) if plan is not None and plan.power_curve else None,
        "verdict": impact.verdict,
        "min_group": min_group_size(),
        "funnel_chart": _funnel_chart(tiers),
        "survey_chart": _survey_chart(tiers),
        "overall": {f.key: _cell(f) for f in tiers.overall},
        **tiers_context,
        "can_manage": viewer_of(request).can(Capability.MANAGE_PROGRAMS),
    }
    return render(request, "web/programs/detail.html", context)


urlpatterns = [
    path("", programs, name="programs"),
    # Setting programs up (their own modules) comes before <code>/ so "new/" is not read as a program code.
    path("", include("tandem.web.views.programs_edit")),
    path("", include("tandem.web.views.program_cohorts")),
    path("", include("tandem.web.views.program_evaluation")),
    path("<slug:code>/", program_detail, name="program_detail"),
    path("<slug:code>/headline/", program_headline, name="program_headline"),
    path("<slug:code>/tiers/", program_tiers_fragment, name="program_tiers"),
]
