"""Reading the three tiers' inputs from other apps' selectors and computing them for the viewer.

Inputs: participants and comparison people (impact), learning records on the program's xAPI activities
(LRS), survey answers and invitations (surveys), and the program's impact (tandem.impact.assembly).
"""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import BooleanField, Case, OuterRef, Q, Subquery, Value, When

from tandem.core.dates import today
from tandem.core.scope import DomainError, PersonScope
from tandem.impact.assembly import ProgramImpact, program_impact_get
from tandem.impact.estimates import ImpactEstimate
from tandem.impact.models import ComparisonMember, Participant
from tandem.impact.records import ProgramDetail
from tandem.impact.selectors import program_get
from tandem.lrs.learning import learning_records_for
from tandem.metrics.selectors import min_group_size
from tandem.org.models import Assignment, OrgUnit
from tandem.org.selectors import person_scope_filter
from tandem.reports.records import ProgramTiers
from tandem.reports.tiers.formulas import learning_facts, tiers_compute
from tandem.reports.tiers.specs import (
    GROUP_BYS,
    CohortInfo,
    ComparisonFacts,
    ParticipantFacts,
    TierInputs,
)
from tandem.surveys.selectors import survey_answers_for_program, survey_response_rates


def _participants(*, program_id: int, scope: PersonScope) -> list[ParticipantFacts]:
    """Every participant, with their unit on their wave's start and whether the viewer may count them."""
    unit_at_start = (
        Assignment.objects.filter(
            person_id=OuterRef("person_id"), valid_from__lte=OuterRef("cohort__start_date")
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=OuterRef("cohort__start_date")))
        .order_by("-valid_from")
        .values("org_unit_id")[:1]
    )
    visible = (
        Value(True)
        if scope.everyone
        else Case(
            When(person_scope_filter(scope, prefix="person__"), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )
    rows = (
        Participant.objects.filter(program_id=program_id)
        .annotate(unit=Subquery(unit_at_start), visible=visible)
        .order_by("person_id")
        .values_list(
            "person_id", "cohort_id", "cohort__start_date", "unit", "visible", "person__termination_date"
        )
    )
    return [
        ParticipantFacts(
            person_id=person_id,
            cohort_id=cohort_id,
            cohort_start=start,
            org_unit_id=unit,
            visible=bool(is_visible),
            left_on=left_on,
        )
        for person_id, cohort_id, start, unit, is_visible, left_on in rows
    ]


def _comparison(*, program_id: int, participant_ids: Collection[int]) -> list[ComparisonFacts]:
    """The program's comparison people (current groups, once each, from their earliest), never participants."""
    found: dict[int, ComparisonFacts] = {}
    for person_id, as_of, left_on in (
        ComparisonMember.objects.filter(group__program_id=program_id, group__superseded_at__isnull=True)
        .order_by("group__as_of", "person_id")
        .values_list("person_id", "group__as_of", "person__termination_date")
    ):
        if person_id not in participant_ids and person_id not in found:
            found[person_id] = ComparisonFacts(person_id=person_id, as_of=as_of, left_on=left_on)
    return list(found.values())


def _kpi(impact: ProgramImpact) -> ImpactEstimate | str:
    """The estimate the business tier shows, or the reason there is none (the same words as the headline)."""
    estimate = impact.estimate
    if estimate is None or not estimate.metric_code:
        return impact.sentence
    return estimate


def program_tiers(
    *,
    program_id: int,
    scope: PersonScope,
    group_by: str = "",
    detail: ProgramDetail | None = None,
    impact: ProgramImpact | None = None,
) -> ProgramTiers:
    """The program's three tiers for the people the viewer may see, overall and by org unit or wave.

    Pass `detail` (program_get) and `impact` (program_impact_get of the KPI shown) when the caller has them,
    to save their queries; without them the primary metric's default impact is used (estimated over the whole
    program, whatever the viewer's scope).
    Groups: org_unit = the unit each participant sat in on their wave's start; cohort = their wave.
    Queries: participants, comparison people, learning records, survey answers and rates, unit names.
    """
    if group_by not in GROUP_BYS:
        raise DomainError(f"Figures can be grouped by org unit or cohort, not {group_by!r}.")
    detail = detail or program_get(scope=scope, program_id=program_id)
    participants = _participants(program_id=program_id, scope=scope)
    person_ids = [p.person_id for p in participants]
    activity_ids = sorted({a.activity_iri for a in detail.activities if a.activity_iri})
    records = (
        learning_records_for(person_ids=person_ids, activity_ids=activity_ids)
        if activity_ids and person_ids
        else []
    )
    answers = survey_answers_for_program(program_id=program_id)
    rates = survey_response_rates(program_id=program_id)
    if impact is None:
        impact = program_impact_get(scope=PersonScope.all(), detail=detail)
    kpi = _kpi(impact)
    link = (
        next((m for m in detail.metrics if m.metric_code == kpi.metric_code), None)
        if isinstance(kpi, ImpactEstimate)
        else None
    )
    unit_ids = set()
    if group_by == "org_unit":
        unit_ids = {p.org_unit_id for p in participants if p.visible and p.org_unit_id is not None}
        unit_ids |= {a.org_unit_id for a in answers if a.org_unit_id is not None}
        unit_ids |= {r.org_unit_id for r in rates if r.org_unit_id is not None}
    inputs = TierInputs(
        program_id=program_id,
        participants=tuple(participants),
        activities=len(activity_ids),
        learning=learning_facts(records=records, activity_ids=activity_ids),
        answers=tuple(answers),
        rates=tuple(rates),
        comparison=tuple(_comparison(program_id=program_id, participant_ids=set(person_ids))),
        total_cost=float(detail.total_cost),
        kpi=kpi,
        value_per_unit=float(link.value_per_unit)
        if link is not None and link.value_per_unit is not None
        else None,
        cohorts=tuple(CohortInfo(id=c.id, name=c.name, start_date=c.start_date) for c in detail.cohorts),
        unit_names=dict(OrgUnit.objects.filter(pk__in=unit_ids).values_list("pk", "name"))
        if unit_ids
        else {},
        on=today(),
        minimum=min_group_size(),
    )
    return tiers_compute(inputs=inputs, scope=scope, group_by=group_by)
