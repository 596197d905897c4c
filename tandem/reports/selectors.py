"""Reads for stakeholder reports: a program's impact report, its case study, business cases.

Every read that shows a program checks the viewer's scope the way the impact page does (a department
head sees only programs with participants in their department). Results are frozen dataclasses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tandem.core.dates import today
from tandem.core.scope import AccessDenied, DomainError, PersonScope
from tandem.impact.assembly import ProgramImpact, program_impact_get
from tandem.impact.estimates import ImpactEstimate
from tandem.impact.records import PilotPlanView, ProgramDetail, ProgramMetricView
from tandem.impact.selectors import program_get
from tandem.metrics.models import MetricDefinition
from tandem.metrics.selectors import min_group_size
from tandem.org.models import OrgUnit
from tandem.reports.business_case import BusinessCaseResult, ComparableEffect, Scenario
from tandem.reports.case_study import Quote
from tandem.reports.models import BusinessCase, CaseStudy
from tandem.reports.present import ImpactText, impact_text
from tandem.reports.records import ProgramTiers
from tandem.reports.tiers import program_tiers
from tandem.surveys.records import SurveyAnswerRow
from tandem.surveys.selectors import survey_answers_for_program


@dataclass(frozen=True)
class ProgramReport:
    """Everything an export of a program's impact shows, for one metric, method and comparison."""

    impact: ProgramImpact
    text: ImpactText  # every figure of the impact as the page shows it
    tiers: ProgramTiers | None
    minimum_group: int
    generated_on: dt.date

    @property
    def program(self) -> ProgramDetail:
        return self.impact.detail

    @property
    def metric(self) -> ProgramMetricView | None:
        return self.impact.metric

    @property
    def estimate(self) -> ImpactEstimate | None:
        return self.impact.estimate

    @property
    def problem(self) -> str:
        return self.impact.problem

    @property
    def method(self) -> str:
        return self.impact.method

    @property
    def comparison(self) -> str:
        return self.impact.comparison

    @property
    def plan(self) -> PilotPlanView | None:
        return self.impact.plan

    @property
    def verdict(self) -> str | None:
        return self.impact.verdict


@dataclass(frozen=True)
class CaseStudyView:
    id: int
    program_id: int
    program_code: str
    program_name: str
    title: str
    what_happened: str
    impact: str
    success_quotes: tuple[Quote, ...]
    non_success_quotes: tuple[Quote, ...]
    differently: str
    alternative_scenario: str
    status: str
    edited_sections: tuple[str, ...]
    drafted_at: dt.datetime | None
    updated_at: dt.datetime
    updated_by: str | None

    @property
    def is_final(self) -> bool:
        return self.status == CaseStudy.Status.FINAL


@dataclass(frozen=True)
class CostLine:
    name: str
    amount: Decimal


@dataclass(frozen=True)
class BusinessCaseView:
    id: int
    name: str
    description: str
    audience_size: int
    cost_items: tuple[CostLine, ...]
    cost_total: Decimal
    metric_code: str
    metric_name: str
    unit: str
    decimals: int
    value_per_unit: Decimal
    benefit_months: int
    comparable_codes: tuple[str, ...]
    comparables: tuple[ComparableEffect, ...]  # as estimated when the case was last computed
    result: BusinessCaseResult | None
    problem: str  # why there is no result
    computed_at: dt.datetime | None
    updated_at: dt.datetime
    updated_by: str | None


# --- inputs from other apps -----------------------------------------------------------------------


def program_tiers_or_none(
    *,
    program_id: int,
    scope: PersonScope,
    detail: ProgramDetail | None = None,
    impact: ProgramImpact | None = None,
) -> ProgramTiers | None:
    try:
        return program_tiers(program_id=program_id, scope=scope, detail=detail, impact=impact)
    except DomainError:
        return None


def program_survey_answers(*, program_id: int) -> list[SurveyAnswerRow]:
    return survey_answers_for_program(program_id=program_id)


def org_unit_names(*, org_unit_ids: Sequence[int | None]) -> dict[int, str]:
    ids = {i for i in org_unit_ids if i is not None}
    if not ids:
        return {}
    return dict(OrgUnit.objects.filter(pk__in=ids).values_list("id", "name"))


# --- program impact report ------------------------------------------------------------------------


def program_visible_get(*, scope: PersonScope, code: str) -> ProgramDetail:
    """The program if the viewer may see it (AccessDenied otherwise, also for an unknown code)."""
    return program_get(scope=scope, code=code)


def program_report_get(
    *,
    scope: PersonScope,
    code: str,
    metric_code: str = "",
    method: str = "staggered",
    comparison: str = "never",
) -> ProgramReport:
    """The impact report of a visible program. Unknown metric/method/comparison fall back to defaults."""
    detail = program_get(scope=scope, code=code)
    impact = program_impact_get(
        scope=scope, detail=detail, metric_code=metric_code, method=method, comparison=comparison
    )
    return ProgramReport(
        impact=impact,
        text=impact_text(impact),
        tiers=program_tiers_or_none(program_id=detail.summary.id, scope=scope, detail=detail, impact=impact),
        minimum_group=min_group_size(),
        generated_on=today(),
    )


# --- case studies ---------------------------------------------------------------------------------


def _quotes(values: object) -> tuple[Quote, ...]:
    if not isinstance(values, list):
        return ()
    return tuple(
        Quote(text=str(v.get("text", "")), who_label=str(v.get("who_label", "")))
        for v in values
        if isinstance(v, dict) and str(v.get("text", "")).strip()
    )


def case_study_get(*, program_id: int) -> CaseStudyView | None:
    """The program's case study, if one was drafted (one query). Call after checking the program."""
    study = CaseStudy.objects.select_related("program", "updated_by").filter(program_id=program_id).first()
    if study is None:
        return None
    return CaseStudyView(
        id=study.pk,
        program_id=study.program_id,
        program_code=study.program.code,
        program_name=study.program.name,
        title=study.title,
        what_happened=study.what_happened,
        impact=study.impact,
        success_quotes=_quotes(study.success_quotes),
        non_success_quotes=_quotes(study.non_success_quotes),
        differently=study.differently,
        alternative_scenario=study.alternative_scenario,
        status=study.status,
        edited_sections=tuple(study.edited_sections or ()),
        drafted_at=study.drafted_at,
        updated_at=study.updated_at,
        updated_by=study.updated_by.email if study.updated_by else None,
    )


# --- business cases -------------------------------------------------------------------------------


def _comparable(values: dict[str, Any]) -> ComparableEffect:
    def number(key: str) -> float | None:
        value = values.get(key)
        return None if value is None else float(value)

    return ComparableEffect(
        program_id=int(values.get("program_id", 0)),
        code=str(values.get("code", "")),
        name=str(values.get("name", "")),
        estimate=number("estimate"),
        ci_low=number("ci_low"),
        ci_high=number("ci_high"),
        people=int(values.get("people", 0)),
        note=str(values.get("note", "")),
    )


def _result(values: dict[str, Any] | None) -> BusinessCaseResult | None:
    if not values:
        return None
    return BusinessCaseResult(
        cost=float(values["cost"]),
        audience=int(values["audience"]),
        value_per_unit=float(values["value_per_unit"]),
        months=int(values["months"]),
        comparables_used=int(values["comparables_used"]),
        scenarios=tuple(Scenario(**s) for s in values.get("scenarios", [])),
        break_even_effect=values.get("break_even_effect"),
    )


def _business_case_view(case: BusinessCase) -> BusinessCaseView:
    snapshot = case.snapshot or {}
    metric = case.target_metric
    return BusinessCaseView(
        id=case.pk,
        name=case.name,
        description=case.description,
        audience_size=case.audience_size,
        cost_items=tuple(
            CostLine(name=str(item.get("name", "")), amount=Decimal(str(item.get("amount", "0"))))
            for item in (case.cost_items or [])
        ),
        cost_total=case.cost_total,
        metric_code=metric.code,
        metric_name=metric.name,
        unit=metric.unit,
        decimals=max(1, metric.decimals),
        value_per_unit=case.value_per_unit,
        benefit_months=case.benefit_months,
        comparable_codes=tuple(sorted(p.code for p in case.comparables.all())),
        comparables=tuple(_comparable(c) for c in snapshot.get("comparables", [])),
        result=_result(snapshot.get("result")),
        problem=str(snapshot.get("problem", "")),
        computed_at=case.computed_at,
        updated_at=case.updated_at,
        updated_by=case.updated_by.email if case.updated_by else None,
    )


def _business_cases() -> Any:
    return BusinessCase.objects.select_related("target_metric", "updated_by").prefetch_related("comparables")


def business_case_list() -> list[BusinessCaseView]:
    """Every business case, newest first (three queries). Business cases are L&D's working papers."""
    return [_business_case_view(case) for case in _business_cases().order_by("-updated_at", "name")]


def business_case_get(*, business_case_id: int) -> BusinessCaseView:
    case = _business_cases().filter(pk=business_case_id).first()
    if case is None:
        raise AccessDenied(f"No business case {business_case_id}")
    return _business_case_view(case)


def business_case_metric_choices() -> list[tuple[str, str]]:
    """Person-grain metrics: the only ones a program's effect is estimated on."""
    return list(
        MetricDefinition.objects.filter(grain=MetricDefinition.Grain.PERSON)
        .order_by("name")
        .values_list("code", "name")
    )


# --- home pages ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseStudyDraft:
    program_code: str
    program_name: str
    title: str
    drafted_at: dt.datetime | None
    updated_at: dt.datetime


def case_study_draft_list(*, limit: int = 10) -> list[CaseStudyDraft]:
    """Case studies still in draft, longest waiting first (one query): L&D reviews and finalises them."""
    drafts = (
        CaseStudy.objects.filter(status=CaseStudy.Status.DRAFT)
        .select_related("program")
        .order_by("updated_at", "id")[:limit]
    )
    return [
        CaseStudyDraft(
            program_code=study.program.code,
            program_name=study.program.name,
            title=study.title,
            drafted_at=study.drafted_at,
            updated_at=study.updated_at,
        )
        for study in drafts
    ]
