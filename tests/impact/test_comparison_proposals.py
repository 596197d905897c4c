"""Previewing a comparison group (no write), saving the same spec, and keeping superseded groups."""

import datetime as dt

import pytest

from tandem.audit.models import AuditEvent
from tandem.core.scope import DomainError
from tandem.impact.models import ComparisonGroup
from tandem.impact.panel import program_panel, program_panel_matrix
from tandem.impact.records import ComparisonSpec
from tandem.impact.selectors import pilot_sizing_get, program_balance
from tandem.impact.services import (
    comparison_group_explicit,
    comparison_group_propose,
    comparison_group_save,
    participants_add_list,
)
from tandem.impact.stats import DidDesign, MeansDesign, power, sample_size
from tandem.metrics.models import MetricObservation
from tandem.org.models import Person
from tests.factories import MetricDefinitionFactory, OrgUnitFactory, PersonFactory
from tests.impact.factories import CohortFactory

pytestmark = pytest.mark.django_db

START = dt.date(2025, 3, 1)


@pytest.fixture
def cohort():
    cohort = CohortFactory(start_date=START)
    units = [OrgUnitFactory(), OrgUnitFactory()]
    for i in range(40):
        PersonFactory(employee_id=f"E{i:02d}", org_unit=units[i % 2], work_email=f"e{i:02d}@example.com")
    participants_add_list(actor_id=None, cohort_id=cohort.pk, employee_ids=["E00", "E01", "E02", "E03"])
    return cohort


def _members(group: ComparisonGroup) -> list[str]:
    return sorted(group.members.values_list("person__employee_id", flat=True))


def test_a_randomised_proposal_writes_nothing_and_saving_it_gives_the_same_people(cohort):
    spec = ComparisonSpec(program_id=cohort.program_id, method="randomised", cohort_id=cohort.pk, ratio=2)
    audited = AuditEvent.objects.count()
    proposal = comparison_group_propose(spec=spec)
    assert ComparisonGroup.objects.count() == 0 and AuditEvent.objects.count() == audited
    assert proposal.seed is not None  # drawn, and carried so the save repeats the draw
    assert proposal.size == 8 and proposal.participants == 4
    assert proposal.rows and proposal.method == "randomised"
    group = comparison_group_save(actor_id=None, spec=proposal.spec)
    assert _members(group) == sorted(m.employee_id for m in proposal.members)
    assert group.seed == proposal.seed
    stored = {row["covariate"]: row["smd_before"] for row in group.balance}
    assert stored == {row.covariate: row.smd_before for row in proposal.rows}


def test_a_matched_proposal_equals_its_save(cohort):
    spec = ComparisonSpec(program_id=cohort.program_id, method="matched", cohort_id=cohort.pk, caliper=None)
    proposal = comparison_group_propose(spec=spec)
    assert ComparisonGroup.objects.count() == 0
    group = comparison_group_save(actor_id=None, spec=spec)
    assert _members(group) == sorted(m.employee_id for m in proposal.members)
    assert group.unmatched_participants == proposal.unmatched_participants
    assert group.balance_warning is proposal.warning


def test_warnings_name_the_imbalanced_covariate_in_plain_words(cohort):
    # The participants sit half in each unit; a group from one unit only differs on it.
    one_unit = tuple(f"E{i:02d}" for i in range(4, 16, 2))
    proposal = comparison_group_propose(
        spec=ComparisonSpec(
            program_id=cohort.program_id, method="explicit", cohort_id=cohort.pk, people=one_unit
        )
    )
    assert proposal.warning is True and proposal.imbalanced
    assert any(" differs: SMD " in words and "(above 0.1)" in words for words in proposal.warnings), (
        proposal.warnings
    )


def test_explicit_by_email_and_unknown_people_refused(cohort):
    proposal = comparison_group_propose(
        spec=ComparisonSpec(
            program_id=cohort.program_id,
            method="explicit",
            people=("E10", "E11@EXAMPLE.com", "e11@example.com"),
        )
    )
    assert [m.employee_id for m in proposal.members] == ["E10", "E11"]
    assert proposal.cohort_name is None and proposal.participants == 4
    with pytest.raises(DomainError, match=r"Unknown employee ids or emails: nobody@example\.com"):
        comparison_group_propose(
            spec=ComparisonSpec(
                program_id=cohort.program_id, method="explicit", people=("nobody@example.com",)
            )
        )
    with pytest.raises(DomainError, match="choose the cohort"):
        comparison_group_propose(spec=ComparisonSpec(program_id=cohort.program_id, method="matched"))
    with pytest.raises(DomainError, match="Choose how"):
        comparison_group_propose(spec=ComparisonSpec(program_id=cohort.program_id, method="guess"))


def test_a_new_group_keeps_the_previous_one_and_the_estimate_uses_only_the_current(cohort):
    program_id = cohort.program_id
    metric = MetricDefinitionFactory(code="calls", grain="person")
    first = comparison_group_explicit(
        actor_id=None, program_id=program_id, cohort_id=cohort.pk, employee_ids=["E10", "E11"]
    )
    second = comparison_group_explicit(
        actor_id=None, program_id=program_id, cohort_id=cohort.pk, employee_ids=["E12", "E13", "E14"]
    )
    first.refresh_from_db()
    assert first.superseded_at is not None and second.superseded_at is None
    assert first.members.count() == 2  # kept for comparison
    assert [v.comparison_group_id for v in program_balance(program_id=program_id)] == [second.pk]
    history = program_balance(program_id=program_id, superseded=True)
    assert {v.comparison_group_id: v.is_current for v in history} == {first.pk: False, second.pk: True}
    rows = [
        MetricObservation(
            metric=metric, person=person, entity_key=f"person:{person.pk}", period_start=month, value=float(i)
        )
        for i, person in enumerate(
            Person.objects.filter(employee_id__in=["E00", "E01", "E10", "E11", "E12", "E13", "E14"])
        )
        for month in (dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 4, 1))
    ]
    MetricObservation.objects.bulk_create(rows)
    panel = program_panel(program_id=program_id, metric_code="calls")
    assert panel.comparison_people == 3 and panel.treated_people == 2
    matrix = program_panel_matrix(program_id=program_id, metric_code="calls")
    assert matrix.observed_comparison == 3
    # The superseded group's people may be drawn again (they are not in any current group).
    again = comparison_group_explicit(
        actor_id=None, program_id=program_id, cohort_id=cohort.pk, employee_ids=["E10"]
    )
    assert _members(again) == ["E10"]
    assert ComparisonGroup.objects.filter(program_id=program_id).count() == 3


@pytest.mark.parametrize("design", ["means", "did"])
def test_pilot_sizing_equals_the_power_module(design):
    sizing = pilot_sizing_get(
        design=design,
        minimum_detectable_effect=0.5,
        outcome_sd=2.0,
        correlation=0.6,
        alpha=0.05,
        power=0.9,
        ratio=2,
    )
    expected_design = (
        DidDesign(difference=0.5, sd=2.0, correlation=0.6, ratio=2)
        if design == "did"
        else MeansDesign(difference=0.5, sd=2.0, ratio=2)
    )
    expected = sample_size(design=expected_design, target_power=0.9)
    assert (sizing.required_per_group, sizing.required_comparison) == (expected.n_a, expected.n_b)
    assert sizing.design == design
    curve = dict(sizing.power_curve)
    assert curve[expected.n_a] == pytest.approx(power(design=expected_design, n_per_group=expected.n_a))
    with pytest.raises(DomainError, match="needs a correlation"):
        pilot_sizing_get(design="did", minimum_detectable_effect=0.5, outcome_sd=2.0)
    with pytest.raises(DomainError, match="must be positive"):
        pilot_sizing_get(design="means", minimum_detectable_effect=0, outcome_sd=2.0)
