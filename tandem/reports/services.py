"""Writes for stakeholder reports: case studies (drafted from data, then edited) and business cases.

Every service is keyword-only, writes in one transaction and leaves an audit row. The slow reads (impact
estimates) run before the transaction opens, so no lock is held while the statistics run.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from tandem.audit.services import audit_record, diff_fields
from tandem.core.scope import AccessDenied, DomainError, PersonScope
from tandem.impact.assembly import program_impact_get
from tandem.impact.estimates import ImpactEstimate, program_impact_estimate
from tandem.impact.models import Program
from tandem.impact.selectors import program_get
from tandem.metrics.models import MetricDefinition
from tandem.metrics.selectors import min_group_size
from tandem.reports.business_case import ComparableEffect, business_case_compute
from tandem.reports.case_study import CaseStudyFacts, CohortFact, Quote, case_study_sections
from tandem.reports.models import BusinessCase, CaseStudy
from tandem.reports.records import BusinessCaseInput
from tandem.reports.selectors import (
    BusinessCaseView,
    CaseStudyView,
    business_case_get,
    case_study_get,
    org_unit_names,
    program_survey_answers,
    program_tiers_or_none,
)

SECTIONS = (
    "title",
    "what_happened",
    "impact",
    "success_quotes",
    "non_success_quotes",
    "differently",
    "alternative_scenario",
)
MAX_BENEFIT_MONTHS = 120

# --- case studies ---------------------------------------------------------------------------------


def _facts(*, program_id: int) -> CaseStudyFacts:
    # The case study is read by stakeholders: only whole-program figures (small groups already suppressed).
    impact = program_impact_get(scope=PersonScope.all(), program_id=program_id)
    detail, estimate = impact.detail, impact.estimate
    tiers = program_tiers_or_none(
        program_id=program_id, scope=PersonScope.all(), detail=detail, impact=impact
    )
    completion = next(
        (
            f.value
            for f in (tiers.overall if tiers else ())
            if f.key == "completion_rate" and not f.suppressed
        ),
        None,
    )
    roi = estimate.roi if estimate is not None else None
    return CaseStudyFacts(
        program_name=detail.summary.name,
        description=detail.description,
        audience=detail.audience,
        start_date=detail.summary.start_date,
        end_date=detail.summary.end_date,
        participants=detail.summary.participants,
        cohorts=tuple(
            CohortFact(name=c.name, start_date=c.start_date, participants=c.participants)
            for c in detail.cohorts
        ),
        completion_rate=completion,
        metric_name=estimate.metric_name or None if estimate is not None else None,
        estimate_sentence=impact.sentence,
        estimate_problem=impact.problem,
        has_figure=impact.has_figure,
        roi_percent=roi.roi_percent if roi is not None else None,
        break_even_effect=roi.break_even_effect if roi is not None else None,
        unit=estimate.unit if estimate is not None else "",
        decimals=estimate.decimals if estimate is not None else 1,
        verdict=impact.verdict,
        minimum_group=min_group_size(),
        caveats=tuple(c.message for c in impact.caveats),
    )


def _quote_dicts(quotes: Sequence[Quote]) -> list[dict[str, str]]:
    return [q.as_dict() for q in quotes]


def case_study_draft(*, program_id: int, actor_id: int | None, regenerate: bool = False) -> CaseStudyView:
    """Draft (or redraft) the program's case study from its data.

    Sections a person has edited are kept unless `regenerate` is set, which redrafts every section and
    forgets the edits. Survey quotes never carry a name (see tandem.reports.case_study).
    """
    facts = _facts(program_id=program_id)
    rows = program_survey_answers(program_id=program_id)
    sections, quotes_note = case_study_sections(
        facts=facts, rows=rows, unit_names=org_unit_names(org_unit_ids=[r.org_unit_id for r in rows])
    )
    drafted: dict[str, Any] = {
        "title": sections.title,
        "what_happened": sections.what_happened,
        "impact": sections.impact,
        "success_quotes": _quote_dicts(sections.success_quotes),
        "non_success_quotes": _quote_dicts(sections.non_success_quotes),
        "differently": sections.differently,
        "alternative_scenario": sections.alternative_scenario,
    }
    with transaction.atomic():
        program = Program.objects.select_for_update().filter(pk=program_id).first()
        if program is None:
            raise AccessDenied(f"No program {program_id}")
        study = CaseStudy.objects.select_for_update().filter(program=program).first()
        if study is None:
            study = CaseStudy(program=program, **drafted)
            action, changed = "create", list(drafted)
        else:
            kept = set() if regenerate else set(study.edited_sections or ())
            changed = [key for key in SECTIONS if key not in kept and getattr(study, key) != drafted[key]]
            for key in changed:
                setattr(study, key, drafted[key])
            if regenerate:
                study.edited_sections = []
            action = "regenerate" if regenerate else "redraft"
        study.drafted_at = timezone.now()
        study.updated_by_id = actor_id
        study.save()
        audit_record(
            actor_id=actor_id,
            action=action,
            entity_type="case_study",
            entity_id=study.pk,
            entity_label=program.code,
            changes={"sections": changed, **({"quotes": quotes_note} if quotes_note else {})},
            summary=f"Case study {action}: {len(changed)} section(s) from the data",
        )
    view = case_study_get(program_id=program_id)
    assert view is not None
    return view


def _clean_quotes(quotes: Sequence[Quote]) -> list[dict[str, str]]:
    return [
        {"text": q.text.strip(), "who_label": q.who_label.strip() or "A participant"}
        for q in quotes
        if q.text.strip()
    ]


@transaction.atomic
def case_study_update(
    *,
    case_study_id: int,
    actor_id: int | None,
    title: str,
    what_happened: str,
    impact: str,
    success_quotes: Sequence[Quote],
    non_success_quotes: Sequence[Quote],
    differently: str,
    alternative_scenario: str,
    status: str,
) -> CaseStudyView:
    """Save a person's edits; each changed section is marked edited so a redraft leaves it alone."""
    study = CaseStudy.objects.select_for_update().select_related("program").filter(pk=case_study_id).first()
    if study is None:
        raise AccessDenied(f"No case study {case_study_id}")
    if status not in CaseStudy.Status.values:
        raise DomainError(f"Unknown status {status!r}")
    if not title.strip():
        raise DomainError("A case study needs a title")
    after: dict[str, Any] = {
        "title": title.strip(),
        "what_happened": what_happened.strip(),
        "impact": impact.strip(),
        "success_quotes": _clean_quotes(success_quotes),
        "non_success_quotes": _clean_quotes(non_success_quotes),
        "differently": differently.strip(),
        "alternative_scenario": alternative_scenario.strip(),
    }
    before = {key: getattr(study, key) for key in [*after, "status"]}
    changes = diff_fields(before, {**after, "status": status})
    if not changes:
        return case_study_get(program_id=study.program_id)  # type: ignore[return-value]
    for key, value in after.items():
        setattr(study, key, value)
    study.status = status
    edited = set(study.edited_sections or ()) | {key for key in changes if key in SECTIONS}
    study.edited_sections = [key for key in SECTIONS if key in edited]
    study.updated_by_id = actor_id
    study.save()
    audit_record(
        actor_id=actor_id,
        action="update",
        entity_type="case_study",
        entity_id=study.pk,
        entity_label=study.program.code,
        changes=changes,
    )
    view = case_study_get(program_id=study.program_id)
    assert view is not None
    return view


# --- business cases -------------------------------------------------------------------------------


def comparable_effects(*, program_ids: Sequence[int], metric_code: str) -> list[ComparableEffect]:
    """Each comparable program's estimated effect on the metric, "better" positive (slow: one estimate
    per program). Programs without a usable estimate are kept with the reason, so the page can say why."""
    effects = []
    for program_id in program_ids:
        detail = program_get(scope=PersonScope.all(), program_id=program_id)
        code, name = detail.summary.code, detail.summary.name
        estimate: ImpactEstimate | None = None
        problem = ""
        try:
            # Any person-grain metric, not only the program's own: the business case asks about its target.
            estimate = program_impact_estimate(program_id=program_id, metric_code=metric_code, detail=detail)
        except DomainError as error:
            problem = str(error)
        if estimate is None or estimate.overall is None:
            note = problem or (estimate.sentence if estimate is not None else "")
            people = estimate.n_treated if estimate is not None else 0
            effects.append(
                ComparableEffect(
                    program_id=program_id,
                    code=code,
                    name=name,
                    estimate=None,
                    ci_low=None,
                    ci_high=None,
                    people=people,
                    note=note,
                )
            )
            continue
        o = estimate.overall
        sign = 1.0 if estimate.higher_is_better else -1.0
        low, high = sorted((sign * o.ci_low, sign * o.ci_high))
        effects.append(
            ComparableEffect(
                program_id=program_id,
                code=code,
                name=name,
                estimate=sign * o.estimate,
                ci_low=low,
                ci_high=high,
                people=estimate.n_treated,
                note="The 95% interval includes zero." if o.ci_includes_zero else "",
            )
        )
    return effects


def _snapshot(
    *,
    comparables: Sequence[ComparableEffect],
    value_per_unit: Decimal,
    audience: int,
    months: int,
    cost: Decimal,
) -> dict[str, Any]:
    result = business_case_compute(
        comparables=comparables,
        value_per_unit=float(value_per_unit),
        audience=audience,
        months=months,
        cost=float(cost),
    )
    problem = ""
    if not comparables:
        problem = "Choose at least one comparable past program."
    elif not result.scenarios:
        problem = "None of the comparable programs has an estimated effect on this metric yet."
    return {
        "comparables": [dataclasses.asdict(c) for c in comparables],
        "result": dataclasses.asdict(result) if result.scenarios else None,
        "problem": problem,
    }


@dataclasses.dataclass(frozen=True)
class _Fields:
    name: str
    description: str
    audience_size: int
    cost_items: list[dict[str, str]]
    cost_total: Decimal
    metric: MetricDefinition
    value_per_unit: Decimal
    benefit_months: int
    programs: list[Program]


def _money(value: Decimal | str | float, what: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as error:
        raise DomainError(f"The {what} must be a number") from error
    if not amount.is_finite() or amount < 0:
        raise DomainError(f"The {what} cannot be negative")
    return amount


def _fields(*, case: BusinessCaseInput) -> _Fields:
    if not case.name.strip():
        raise DomainError("A business case needs a name")
    if case.audience_size <= 0:
        raise DomainError("The proposed audience must be at least one person")
    items = [{"name": n.strip() or "Cost", "amount": str(_money(a, "cost"))} for n, a in case.cost_items]
    total = (
        sum((Decimal(i["amount"]) for i in items), Decimal(0))
        if items
        else _money(case.cost_total or 0, "total cost")
    )
    if total <= 0:
        raise DomainError("Give the cost items or a total cost above zero")
    metric = MetricDefinition.objects.filter(code=case.metric_code).first()
    if metric is None:
        raise DomainError(f"Unknown metric {case.metric_code!r}")
    if metric.grain != MetricDefinition.Grain.PERSON:
        raise DomainError(
            f"{metric.name} is not measured per person, so no program effect is estimated on it"
        )
    if not 1 <= case.benefit_months <= MAX_BENEFIT_MONTHS:
        raise DomainError(f"Count between 1 and {MAX_BENEFIT_MONTHS} months of benefit")
    codes = list(dict.fromkeys(c for c in case.comparable_codes if c))
    programs = list(Program.objects.filter(code__in=codes).order_by("code"))
    missing = sorted(set(codes) - {p.code for p in programs})
    if missing:
        raise DomainError(f"Unknown program {missing[0]!r}")
    return _Fields(
        name=case.name.strip(),
        description=case.description.strip(),
        audience_size=case.audience_size,
        cost_items=items,
        cost_total=total,
        metric=metric,
        value_per_unit=_money(case.value_per_unit, "value per unit"),
        benefit_months=case.benefit_months,
        programs=programs,
    )


def _values(case: BusinessCase) -> dict[str, Any]:
    return {
        "name": case.name,
        "description": case.description,
        "audience_size": case.audience_size,
        "cost_items": case.cost_items,
        "cost_total": str(case.cost_total),
        "target_metric": case.target_metric.code,
        "value_per_unit": str(case.value_per_unit),
        "benefit_months": case.benefit_months,
    }


def _write(
    *, case: BusinessCase, fields: _Fields, actor_id: int | None, snapshot: dict[str, Any], action: str
) -> BusinessCaseView:
    before = _values(case) if case.pk else {}
    before_codes = sorted(p.code for p in case.comparables.all()) if case.pk else []
    case.name = fields.name
    case.description = fields.description
    case.audience_size = fields.audience_size
    case.cost_items = fields.cost_items
    case.cost_total = fields.cost_total
    case.target_metric = fields.metric
    case.value_per_unit = fields.value_per_unit
    case.benefit_months = fields.benefit_months
    case.snapshot = snapshot
    case.computed_at = timezone.now()
    case.updated_by_id = actor_id
    if case.pk is None:
        case.created_by_id = actor_id
    case.save()
    case.comparables.set(fields.programs)
    changes: dict[str, Any] = diff_fields(before, _values(case))
    codes = [p.code for p in fields.programs]
    if codes != before_codes:
        changes["comparables"] = [before_codes, codes]
    scenarios = (snapshot.get("result") or {}).get("scenarios", [])
    central = next((s for s in scenarios if s["label"] == "Central"), None)
    audit_record(
        actor_id=actor_id,
        action=action,
        entity_type="business_case",
        entity_id=case.pk,
        entity_label=case.name,
        changes=changes,
        summary=f"Central ROI {central['roi_percent']:.0f}%"
        if central and math.isfinite(central["roi_percent"])
        else "",
    )
    return business_case_get(business_case_id=case.pk)


def _valued(fields: _Fields) -> dict[str, Any]:
    """The snapshot of a case's value from its comparables' estimates as of today (slow: runs estimators)."""
    return _snapshot(
        comparables=comparable_effects(
            program_ids=[p.pk for p in fields.programs], metric_code=fields.metric.code
        ),
        value_per_unit=fields.value_per_unit,
        audience=fields.audience_size,
        months=fields.benefit_months,
        cost=fields.cost_total,
    )


def business_case_create(*, actor_id: int | None, case: BusinessCaseInput) -> BusinessCaseView:
    """Record a proposed program and value it from the comparables' estimated effects (stored)."""
    fields = _fields(case=case)
    snapshot = _valued(fields)
    with transaction.atomic():
        return _write(
            case=BusinessCase(), fields=fields, actor_id=actor_id, snapshot=snapshot, action="create"
        )


def business_case_update(
    *, business_case_id: int, actor_id: int | None, case: BusinessCaseInput, action: str = "update"
) -> BusinessCaseView:
    """Change a business case and recompute its snapshot from today's estimates."""
    fields = _fields(case=case)
    snapshot = _valued(fields)
    with transaction.atomic():
        stored = (
            BusinessCase.objects.select_for_update()
            .select_related("target_metric")
            .filter(pk=business_case_id)
            .first()
        )
        if stored is None:
            raise AccessDenied(f"No business case {business_case_id}")
        return _write(case=stored, fields=fields, actor_id=actor_id, snapshot=snapshot, action=action)


def business_case_recompute(*, business_case_id: int, actor_id: int | None) -> BusinessCaseView:
    """Re-estimate the comparables with today's data (their estimates move as months come in)."""
    current = business_case_get(business_case_id=business_case_id)
    return business_case_update(
        business_case_id=business_case_id,
        actor_id=actor_id,
        case=BusinessCaseInput(
            name=current.name,
            description=current.description,
            audience_size=current.audience_size,
            metric_code=current.metric_code,
            value_per_unit=current.value_per_unit,
            comparable_codes=current.comparable_codes,
            cost_items=tuple((c.name, c.amount) for c in current.cost_items),
            cost_total=current.cost_total,
            benefit_months=current.benefit_months,
        ),
        action="recompute",
    )
