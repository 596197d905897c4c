import datetime as dt

import pytest

from tandem.audit.models import AuditEvent
from tandem.core.scope import DomainError, PersonScope
from tandem.impact.models import ComparisonGroup, ComparisonMember, Participant
from tandem.impact.records import SelectionRule
from tandem.impact.selectors import program_participants_as_of
from tandem.impact.services import (
    comparison_group_explicit,
    participants_add_list,
    participants_add_rule,
    participants_assign_random,
)
from tandem.org.models import Assignment
from tests.factories import JobRoleFactory, OrgUnitFactory, PersonFactory
from tests.impact.factories import CohortFactory, move

pytestmark = pytest.mark.django_db

START = dt.date(2025, 3, 1)


@pytest.fixture
def cohort():
    return CohortFactory(start_date=START, name="Wave 1")


def test_add_list_adds_valid_rows_and_names_each_bad_one(cohort):
    people = [PersonFactory(employee_id=f"E{i}") for i in range(4)]
    PersonFactory(employee_id="LATE", hire_date=dt.date(2025, 6, 1))
    other = CohortFactory(program=cohort.program, name="Wave 2", start_date=dt.date(2025, 6, 1))
    participants_add_list(actor_id=None, cohort_id=other.pk, employee_ids=["E3"])
    comparison_group_explicit(actor_id=None, program_id=cohort.program_id, employee_ids=["E2"])

    result = participants_add_list(
        actor_id=None, cohort_id=cohort.pk, employee_ids=["E0", "E1", "E0", "NOPE", "E2", "E3", "LATE", " "]
    )

    assert result.added == 2
    assert [(e.row, e.employee_id, e.message) for e in result.errors] == [
        (3, "E0", "listed twice"),
        (4, "NOPE", "unknown employee id"),
        (5, "E2", "in the program's comparison group"),
        (6, "E3", "already a participant in cohort Wave 2"),
        (7, "LATE", "not employed on 2025-03-01"),
        (8, "", "empty employee id"),
    ]
    assert set(Participant.objects.filter(cohort=cohort).values_list("person__employee_id", flat=True)) == {
        "E0",
        "E1",
    }
    assert Participant.objects.filter(cohort=cohort, assigned_by="list").count() == 2
    assert Participant.objects.get(person=people[0]).joined_on == START
    # Adding the same people again is a no-op, not an error.
    again = participants_add_list(actor_id=None, cohort_id=cohort.pk, employee_ids=["E0", "E1"])
    assert (again.added, again.already, again.errors) == (0, 2, ())
    event = AuditEvent.objects.filter(entity_type="cohort", entity_id=str(cohort.pk)).get()
    assert event.changes["participants_added"] == 2
    assert event.changes["employee_ids"] == ["E0", "E1"]


def test_add_list_unknown_cohort():
    with pytest.raises(DomainError, match="No cohort"):
        participants_add_list(actor_id=None, cohort_id=999, employee_ids=["E1"])


def test_rule_is_evaluated_on_the_cohort_start_across_moves(cohort):
    """Someone who moved into the unit after the start is out; someone who moved out after it is in."""
    parent = OrgUnitFactory(code="SUP", name="Support")
    team = OrgUnitFactory(code="SUP-T1", name="Support team 1", parent=parent)
    elsewhere = OrgUnitFactory(code="FIN")
    stayed = PersonFactory(employee_id="STAY", org_unit=team, hire_date=dt.date(2022, 1, 1))
    moved_in_later = PersonFactory(employee_id="IN", org_unit=elsewhere, hire_date=dt.date(2022, 1, 1))
    moved_out_later = PersonFactory(employee_id="OUT", org_unit=parent, hire_date=dt.date(2022, 1, 1))
    moved_in_before = PersonFactory(employee_id="EARLY", org_unit=elsewhere, hire_date=dt.date(2022, 1, 1))
    PersonFactory(employee_id="NEW", org_unit=team, hire_date=dt.date(2025, 4, 1))
    move(moved_in_later, to_unit=team, on=dt.date(2025, 3, 2))
    move(moved_out_later, to_unit=elsewhere, on=dt.date(2025, 4, 1))
    move(moved_in_before, to_unit=team, on=dt.date(2025, 3, 1))  # effective on the start day: counts

    result = participants_add_rule(
        actor_id=None, cohort_id=cohort.pk, rule=SelectionRule(org_unit_id=parent.pk)
    )

    added = set(Participant.objects.filter(cohort=cohort).values_list("person__employee_id", flat=True))
    assert added == {"STAY", "OUT", "EARLY"}
    assert result.added == 3
    assert Participant.objects.filter(assigned_by="rule").count() == 3
    assert stayed.pk in set(Participant.objects.values_list("person_id", flat=True))
    # Where they sit now does not change who was selected; the as-of list shows where they were.
    on_start = {
        p.employee_id: p.org_unit_name
        for p in program_participants_as_of(scope=PersonScope.all(), program_id=cohort.program_id, on=START)
    }
    assert on_start == {"STAY": "Support team 1", "OUT": parent.name, "EARLY": "Support team 1"}
    later = {
        p.employee_id: p.org_unit_name
        for p in program_participants_as_of(
            scope=PersonScope.all(), program_id=cohort.program_id, on=dt.date(2025, 5, 1)
        )
    }
    assert later["OUT"] == elsewhere.name


def test_rule_by_role_location_and_hire_date(cohort):
    role = JobRoleFactory()
    other_role = JobRoleFactory()
    unit = OrgUnitFactory()
    PersonFactory(
        employee_id="A", org_unit=unit, job_role=role, location="Berlin", hire_date=dt.date(2020, 1, 1)
    )
    PersonFactory(
        employee_id="B", org_unit=unit, job_role=role, location="Lisbon", hire_date=dt.date(2020, 1, 1)
    )
    PersonFactory(
        employee_id="C", org_unit=unit, job_role=role, location="Berlin", hire_date=dt.date(2024, 6, 1)
    )
    PersonFactory(
        employee_id="D", org_unit=unit, job_role=other_role, location="Berlin", hire_date=dt.date(2020, 1, 1)
    )
    # D had the role on the cohort start and changed it afterwards: the role of that day counts.
    d = Assignment.objects.get(person__employee_id="D")
    d.valid_to = dt.date(2025, 4, 1)
    d.job_role = role
    d.save()
    Assignment.objects.create(
        person=d.person, org_unit=unit, job_role=other_role, valid_from=dt.date(2025, 4, 1)
    )
    participants_add_rule(
        actor_id=None,
        cohort_id=cohort.pk,
        rule=SelectionRule(job_role_id=role.pk, location="Berlin", hired_before=dt.date(2024, 1, 1)),
    )
    assert set(Participant.objects.values_list("person__employee_id", flat=True)) == {"A", "D"}
    with pytest.raises(DomainError, match="at least one condition"):
        participants_add_rule(actor_id=None, cohort_id=cohort.pk, rule=SelectionRule())


def test_rule_skips_program_participants_and_names_comparison_people(cohort):
    unit = OrgUnitFactory()
    for i in range(4):
        PersonFactory(employee_id=f"R{i}", org_unit=unit)
    participants_add_list(actor_id=None, cohort_id=cohort.pk, employee_ids=["R0"])
    comparison_group_explicit(actor_id=None, program_id=cohort.program_id, employee_ids=["R1"])
    result = participants_add_rule(
        actor_id=None, cohort_id=cohort.pk, rule=SelectionRule(org_unit_id=unit.pk)
    )
    assert (result.added, result.already) == (2, 1)
    assert [(e.employee_id, e.message) for e in result.errors] == [
        ("R1", "in the program's comparison group")
    ]


def _population(units, per_unit):
    ids = []
    for u, unit in enumerate(units):
        for i in range(per_unit[u]):
            ids.append(PersonFactory(employee_id=f"U{u}-{i:02d}", org_unit=unit).employee_id)
    return ids


def test_random_assignment_is_reproducible_and_stratified(cohort):
    units = [OrgUnitFactory() for _ in range(3)]
    ids = _population(units, [10, 20, 7])

    first = participants_assign_random(
        actor_id=None, cohort_id=cohort.pk, employee_ids=ids, treatment_share=0.5, seed=42
    )
    treated_first = set(Participant.objects.values_list("person__employee_id", flat=True))
    control_first = set(ComparisonMember.objects.values_list("person__employee_id", flat=True))
    assert first.seed == 42
    assert (first.treated, first.comparison) == (18, 19)  # round(0.5 × 37) = 18
    assert treated_first.isdisjoint(control_first) and treated_first | control_first == set(ids)
    # Stratified: every unit is split (almost) in half.
    per_unit = {u: sum(1 for e in treated_first if e.startswith(f"U{u}-")) for u in range(3)}
    assert per_unit[0] == 5 and per_unit[1] == 10 and per_unit[2] in (3, 4)
    group = ComparisonGroup.objects.get()
    assert (group.method, group.seed, group.strata) == ("randomised", 42, ["org_unit"])
    assert group.balance  # the balance of the draw is stored

    # Same seed on a fresh program: the same split.
    other = CohortFactory(start_date=START)
    participants_assign_random(
        actor_id=None, cohort_id=other.pk, employee_ids=ids, treatment_share=0.5, seed=42
    )
    treated_again = set(
        Participant.objects.filter(cohort=other).values_list("person__employee_id", flat=True)
    )
    assert treated_again == treated_first
    third = CohortFactory(start_date=START)
    participants_assign_random(
        actor_id=None, cohort_id=third.pk, employee_ids=ids, treatment_share=0.5, seed=43
    )
    assert (
        set(Participant.objects.filter(cohort=third).values_list("person__employee_id", flat=True))
        != treated_first
    )


def test_random_assignment_without_seed_stores_one(cohort):
    unit = OrgUnitFactory()
    for i in range(6):
        PersonFactory(employee_id=f"S{i}", org_unit=unit)
    result = participants_assign_random(
        actor_id=None, cohort_id=cohort.pk, rule=SelectionRule(org_unit_id=unit.pk), treatment_share=1 / 3
    )
    assert result.treated == 2 and result.comparison == 4
    assert ComparisonGroup.objects.get().seed == result.seed
    with pytest.raises(DomainError, match="already has people"):
        participants_assign_random(
            actor_id=None, cohort_id=cohort.pk, rule=SelectionRule(org_unit_id=unit.pk), seed=1
        )


def test_random_assignment_errors(cohort):
    PersonFactory(employee_id="ONLY")
    with pytest.raises(DomainError, match="between 0 and 1"):
        participants_assign_random(
            actor_id=None, cohort_id=cohort.pk, employee_ids=["ONLY"], treatment_share=1.0
        )
    with pytest.raises(DomainError, match="Fewer than two"):
        participants_assign_random(
            actor_id=None, cohort_id=cohort.pk, employee_ids=["ONLY"], treatment_share=0.5
        )
    with pytest.raises(DomainError, match="Unknown employee ids: NOPE"):
        participants_assign_random(actor_id=None, cohort_id=cohort.pk, employee_ids=["NOPE"])
    with pytest.raises(DomainError, match="not both"):
        participants_assign_random(
            actor_id=None, cohort_id=cohort.pk, employee_ids=["ONLY"], rule=SelectionRule(location="Berlin")
        )
    assert not Participant.objects.exists()


def test_participants_as_of_respects_scope_and_cohort_start(cohort, django_assert_max_num_queries):
    unit = OrgUnitFactory()
    other_unit = OrgUnitFactory()
    for i in range(5):
        PersonFactory(employee_id=f"V{i}", org_unit=unit if i < 3 else other_unit)
    later = CohortFactory(program=cohort.program, name="Wave 2", start_date=dt.date(2025, 9, 1))
    participants_add_list(actor_id=None, cohort_id=cohort.pk, employee_ids=["V0", "V1", "V3"])
    participants_add_list(actor_id=None, cohort_id=later.pk, employee_ids=["V2", "V4"])
    with django_assert_max_num_queries(2):
        rows = program_participants_as_of(
            scope=PersonScope.all(), program_id=cohort.program_id, on=dt.date(2025, 6, 1)
        )
    assert {r.employee_id for r in rows} == {"V0", "V1", "V3"}
    everyone = program_participants_as_of(
        scope=PersonScope.all(), program_id=cohort.program_id, on=dt.date(2025, 9, 1)
    )
    assert len(everyone) == 5
    scoped = program_participants_as_of(
        scope=PersonScope(org_unit_ids=frozenset({unit.pk})),
        program_id=cohort.program_id,
        on=dt.date(2025, 9, 1),
    )
    assert {r.employee_id for r in scoped} == {"V0", "V1", "V2"}
