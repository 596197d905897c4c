import datetime as dt

import pytest

from tandem.audit.models import AuditEvent
from tandem.imports.models import ImportRun
from tandem.imports.services import import_run_submit
from tandem.org.assignments import AssignmentConflictError
from tandem.org.models import Assignment, OrgUnit, Person
from tandem.org.people import people_apply, people_bulk_upsert, people_plan
from tandem.org.records import AssignmentConflict
from tandem.org.selectors import assignment_overlap_pairs, person_assignment_as_of, person_assignment_history
from tests.org.factories import AssignmentFactory, org_units_sales_cs, person_row

pytestmark = pytest.mark.django_db

row = person_row


@pytest.fixture
def units():
    org_units_sales_cs()


def test_first_load_creates_people_with_assignments_from_hire_date(units):
    counts = people_bulk_upsert(
        rows=[row("E1", "SALES"), row("E2", "SALES", "E1")],
        on=dt.date(2025, 1, 1),
        actor_id=None,
        source="test",
    )
    assert counts["create"] == 2
    assert Person.objects.get(employee_id="E2").manager.employee_id == "E1"
    where = person_assignment_as_of(employee_id="E2", on=dt.date(2024, 2, 1))
    assert where is not None and where.org_unit_code == "SALES" and where.manager_employee_id == "E1"
    assert person_assignment_as_of(employee_id="E2", on=dt.date(2024, 1, 1)) is None


def test_move_creates_new_effective_dated_assignment_and_keeps_history(units):
    people_bulk_upsert(rows=[row("E1", "SALES")], on=dt.date(2025, 1, 1), actor_id=None, source="t")
    counts = people_bulk_upsert(rows=[row("E1", "CS")], on=dt.date(2025, 3, 1), actor_id=None, source="t")
    assert counts == {"create": 0, "update": 1, "unchanged": 0, "terminate": 0, "move": 1}
    assert person_assignment_as_of(employee_id="E1", on=dt.date(2025, 2, 28)).org_unit_code == "SALES"
    assert person_assignment_as_of(employee_id="E1", on=dt.date(2025, 3, 1)).org_unit_code == "CS"
    assert len(person_assignment_history(employee_id="E1")) == 2


def test_reapplying_same_rows_changes_nothing(units):
    rows = [row("E1", "SALES"), row("E2", "CS", "E1")]
    people_bulk_upsert(rows=rows, on=dt.date(2025, 1, 1), actor_id=None, source="t")
    events = AuditEvent.objects.count()
    plan = people_plan(rows=rows, on=dt.date(2025, 2, 1))
    assert plan.counts["unchanged"] == 2
    people_apply(plan=plan, actor_id=None, source="t")
    assert Assignment.objects.count() == 2
    assert AuditEvent.objects.count() == events


def test_termination_closes_assignment(units):
    people_bulk_upsert(rows=[row("E1", "SALES")], on=dt.date(2025, 1, 1), actor_id=None, source="t")
    plan = people_plan(
        rows=[row("E1", "SALES", termination_date=dt.date(2025, 4, 30))], on=dt.date(2025, 5, 1)
    )
    assert plan.counts["terminate"] == 1
    people_apply(plan=plan, actor_id=None, source="t")
    assert Person.objects.get().status == "terminated"
    assert person_assignment_as_of(employee_id="E1", on=dt.date(2025, 4, 30)) is not None
    assert person_assignment_as_of(employee_id="E1", on=dt.date(2025, 5, 1)) is None


# --- assignments never overlap ------------------------------------------------------------------

D = dt.date


def upsert(rows, on):
    return people_bulk_upsert(rows=rows, on=on, actor_id=None, source="t")


def history(employee_id):
    """(org unit, valid_from, valid_to) oldest first."""
    return [
        (a.org_unit_code, a.valid_from, a.valid_to)
        for a in reversed(person_assignment_history(employee_id=employee_id))
    ]


@pytest.fixture
def moved(units):
    """E1 in Sales from the hire date (2024-01-15), in Customer Service from 2025-03-01."""
    upsert([row("E1", "SALES")], D(2025, 1, 1))
    upsert([row("E1", "CS", effective_date=D(2025, 3, 1))], D(2025, 3, 31))
    assert history("E1") == [("SALES", D(2024, 1, 15), D(2025, 3, 1)), ("CS", D(2025, 3, 1), None)]


@pytest.fixture
def left(units):
    """E1 in Sales from 2024-01-15 until they left on 2025-03-31 (the assignment's valid_to is 2025-04-01)."""
    upsert([row("E1", "SALES")], D(2025, 1, 1))
    upsert([row("E1", "SALES", termination_date=D(2025, 3, 31))], D(2025, 4, 1))
    assert history("E1") == [("SALES", D(2024, 1, 15), D(2025, 4, 1))]


def test_move_effective_before_the_current_assignment_started_is_rejected(moved):
    with pytest.raises(AssignmentConflictError) as caught:
        upsert([row("E1", "SALES", effective_date=D(2025, 2, 1))], D(2025, 4, 30))
    assert caught.value.conflicts == [
        AssignmentConflict(
            employee_id="E1",
            field="effective_date",
            value="2025-02-01",
            message="Effective date 2025-02-01 is before the start of E1's current assignment (2025-03-01):"
            " a change can take effect on that day or later, not earlier",
        )
    ]
    assert history("E1") == [("SALES", D(2024, 1, 15), D(2025, 3, 1)), ("CS", D(2025, 3, 1), None)]
    assert Person.objects.get().org_unit.code == "CS"


def test_as_of_date_before_the_current_assignment_started_is_rejected_for_a_row_without_effective_date(moved):
    with pytest.raises(AssignmentConflictError) as caught:
        people_plan(rows=[row("E1", "SALES")], on=D(2025, 2, 1))
    (conflict,) = caught.value.conflicts
    assert (conflict.field, conflict.value) == ("effective_date", "")
    assert conflict.message.startswith(
        "The as-of date 2025-02-01 (the row has no effective date) is before the start of E1's current"
        " assignment (2025-03-01)"
    )


def test_second_change_on_the_day_the_assignment_started_corrects_it_in_place(moved):
    upsert([row("E1", "CO", job_title="Lead", effective_date=D(2025, 3, 1))], D(2025, 4, 30))
    assert history("E1") == [("SALES", D(2024, 1, 15), D(2025, 3, 1)), ("CO", D(2025, 3, 1), None)]
    assert person_assignment_as_of(employee_id="E1", on=D(2025, 3, 1)).job_title == "Lead"


@pytest.mark.parametrize(
    ("effective", "message"),
    [
        (
            D(2025, 3, 15),
            "Effective date 2025-03-15 would give E1 a new assignment from 2025-03-15 on, overlapping the one"
            " from 2024-01-15 to 2025-03-31: it can start on 2025-04-01 at the earliest",
        ),
        (  # the day the earlier assignment started (the database's one-start-per-day rule would also fail)
            D(2024, 1, 15),
            "Effective date 2024-01-15 would give E1 a new assignment from 2024-01-15 on, overlapping the one"
            " from 2024-01-15 to 2025-03-31: it can start on 2025-04-01 at the earliest",
        ),
    ],
)
def test_rehire_starting_before_the_last_assignment_ended_is_rejected(left, effective, message):
    with pytest.raises(AssignmentConflictError) as caught:
        upsert([row("E1", "CS", effective_date=effective)], D(2025, 5, 1))
    assert caught.value.conflicts == [
        AssignmentConflict(
            employee_id="E1", field="effective_date", value=effective.isoformat(), message=message
        )
    ]
    assert history("E1") == [("SALES", D(2024, 1, 15), D(2025, 4, 1))]
    assert Person.objects.get().status == "terminated"


@pytest.mark.parametrize(("unit", "effective"), [("SALES", D(2025, 6, 1)), ("CS", D(2025, 4, 1))])
def test_rehire_opens_a_new_assignment_from_its_effective_date(left, unit, effective):
    counts = upsert([row("E1", unit, hire_date=effective, effective_date=effective)], D(2025, 6, 30))
    assert counts["update"] == 1
    assert history("E1") == [("SALES", D(2024, 1, 15), D(2025, 4, 1)), (unit, effective, None)]
    assert Person.objects.get().status == "active"


def test_rehire_without_effective_date_starts_on_the_new_hire_date(left):
    """The file is exported weeks after they came back: the assignment starts on the new hire date, not the
    as-of date (their learning in between would otherwise count under no team)."""
    upsert([row("E1", "CS", hire_date=D(2025, 6, 2))], D(2025, 6, 30))
    assert history("E1") == [("SALES", D(2024, 1, 15), D(2025, 4, 1)), ("CS", D(2025, 6, 2), None)]


def test_rehire_hire_date_inside_the_last_employment_is_reported_on_the_hire_date(left):
    with pytest.raises(AssignmentConflictError) as caught:
        upsert([row("E1", "CS", hire_date=D(2025, 3, 15))], D(2025, 6, 30))
    assert caught.value.conflicts == [
        AssignmentConflict(
            employee_id="E1",
            field="hire_date",
            value="2025-03-15",
            message="Hire date 2025-03-15 (a re-hire) would give E1 a new assignment from 2025-03-15 on,"
            " overlapping the one from 2024-01-15 to 2025-03-31: it can start on 2025-04-01 at the earliest",
        )
    ]
    assert history("E1") == [("SALES", D(2024, 1, 15), D(2025, 4, 1))]


@pytest.mark.parametrize("corrected", [D(2025, 4, 30), D(2025, 2, 28)])
def test_corrected_termination_date_moves_the_end_of_the_last_assignment(left, corrected):
    """HR fixes a leaver's termination date: the assignment it ended follows, later or earlier."""
    upsert([row("E1", "SALES", termination_date=corrected)], D(2025, 6, 30))
    assert history("E1") == [("SALES", D(2024, 1, 15), corrected + dt.timedelta(days=1))]


def test_corrected_termination_date_before_the_last_assignment_started_is_rejected(left):
    with pytest.raises(AssignmentConflictError) as caught:
        upsert([row("E1", "SALES", termination_date=D(2023, 12, 31))], D(2025, 6, 30))
    assert [(c.field, c.value) for c in caught.value.conflicts] == [("termination_date", "2023-12-31")]
    assert "before the start of E1's last assignment (2024-01-15)" in caught.value.conflicts[0].message
    assert history("E1") == [("SALES", D(2024, 1, 15), D(2025, 4, 1))]


@pytest.mark.parametrize("corrected", [D(2024, 1, 2), D(2024, 2, 1)])
def test_corrected_hire_date_moves_the_start_of_the_first_assignment(moved, corrected):
    """HR fixes a hire date: the first assignment, which began on the old one, begins on the new one."""
    upsert([row("E1", "CS", hire_date=corrected)], D(2025, 4, 30))
    assert history("E1") == [("SALES", corrected, D(2025, 3, 1)), ("CS", D(2025, 3, 1), None)]


def test_corrected_hire_date_after_the_first_assignment_ended_is_rejected(moved):
    with pytest.raises(AssignmentConflictError) as caught:
        upsert([row("E1", "CS", hire_date=D(2025, 3, 1))], D(2025, 4, 30))
    assert [(c.field, c.value) for c in caught.value.conflicts] == [("hire_date", "2025-03-01")]
    assert "E1's first assignment (from 2024-01-15 to 2025-02-28)" in caught.value.conflicts[0].message
    assert history("E1") == [("SALES", D(2024, 1, 15), D(2025, 3, 1)), ("CS", D(2025, 3, 1), None)]


def test_corrected_hire_date_on_or_after_a_move_on_the_same_row_is_rejected(units):
    upsert([row("E1", "SALES")], D(2025, 1, 1))
    with pytest.raises(AssignmentConflictError) as caught:
        upsert([row("E1", "CS", hire_date=D(2025, 3, 1), effective_date=D(2025, 2, 1))], D(2025, 4, 30))
    assert [(c.field, c.value) for c in caught.value.conflicts] == [("hire_date", "2025-03-01")]
    assert history("E1") == [("SALES", D(2024, 1, 15), None)]


def test_move_of_a_leaver_effective_before_they_left_is_rejected(left):
    with pytest.raises(AssignmentConflictError) as caught:
        upsert(
            [row("E1", "CS", termination_date=D(2025, 3, 31), effective_date=D(2025, 3, 1))], D(2025, 5, 1)
        )
    assert caught.value.conflicts == [
        AssignmentConflict(
            employee_id="E1",
            field="effective_date",
            value="2025-03-01",
            message="Effective date 2025-03-01 would give E1 a new assignment from 2025-03-01 to 2025-03-31,"
            " overlapping the one from 2024-01-15 to 2025-03-31: an import does not rewrite assignments that"
            " have ended",
        )
    ]
    assert history("E1") == [("SALES", D(2024, 1, 15), D(2025, 4, 1))]


def test_change_to_a_leaver_after_they_left_opens_no_assignment(left):
    counts = upsert([row("E1", "CS", termination_date=D(2025, 3, 31))], D(2025, 6, 1))
    assert counts["move"] == 1
    assert Person.objects.get().org_unit.code == "CS"  # the last known values, as the HR system states them
    assert history("E1") == [("SALES", D(2024, 1, 15), D(2025, 4, 1))]


def test_termination_with_a_move_taking_effect_after_leaving_closes_on_the_day_after_leaving(units):
    upsert([row("E1", "SALES"), row("E2", "SALES")], D(2025, 1, 1))
    upsert(
        [
            row("E1", "CS", termination_date=D(2025, 4, 30)),  # the move takes effect on the as-of date
            row("E2", "CS", termination_date=D(2025, 4, 30), effective_date=D(2025, 4, 1)),
        ],
        D(2025, 5, 15),
    )
    assert history("E1") == [("SALES", D(2024, 1, 15), D(2025, 5, 1))]
    assert history("E2") == [("SALES", D(2024, 1, 15), D(2025, 4, 1)), ("CS", D(2025, 4, 1), D(2025, 5, 1))]


def test_termination_before_the_current_assignment_started_is_rejected(moved):
    with pytest.raises(AssignmentConflictError) as caught:
        upsert([row("E1", "CS", termination_date=D(2025, 2, 14))], D(2025, 4, 1))
    assert caught.value.conflicts == [
        AssignmentConflict(
            employee_id="E1",
            field="termination_date",
            value="2025-02-14",
            message="Termination date 2025-02-14 is before the start of E1's current assignment (2025-03-01):"
            " an assignment cannot end before it began",
        )
    ]
    assert history("E1") == [("SALES", D(2024, 1, 15), D(2025, 3, 1)), ("CS", D(2025, 3, 1), None)]
    assert Person.objects.get().status == "active"


def test_every_conflicting_row_is_reported_and_nothing_is_written(moved):
    upsert([row("E2", "SALES")], D(2025, 1, 1))
    rows = [
        row("E3", "SALES"),
        row("E1", "SALES", effective_date=D(2025, 2, 1)),
        row("E2", "CS", effective_date=D(2023, 12, 1)),
    ]
    with pytest.raises(AssignmentConflictError) as caught:
        people_plan(rows=rows, on=D(2025, 4, 1))
    assert [c.employee_id for c in caught.value.conflicts] == ["E1", "E2"]
    assert str(caught.value).startswith(
        "2 rows ask for assignments that would overlap or end before they begin:"
    )
    with pytest.raises(AssignmentConflictError):
        upsert(rows, D(2025, 4, 1))
    assert not Person.objects.filter(employee_id="E3").exists()
    assert history("E2") == [("SALES", D(2024, 1, 15), None)]


def test_apply_refuses_a_plan_that_the_stored_history_no_longer_allows(units):
    upsert([row("E1", "SALES")], D(2025, 1, 1))
    plan = people_plan(rows=[row("E1", "CS", effective_date=D(2025, 2, 1))], on=D(2025, 2, 28))
    upsert([row("E1", "CO", effective_date=D(2025, 3, 1))], D(2025, 3, 31))  # another import came first
    with pytest.raises(AssignmentConflictError):
        people_apply(plan=plan, actor_id=None, source="t")
    assert history("E1") == [("SALES", D(2024, 1, 15), D(2025, 3, 1)), ("CO", D(2025, 3, 1), None)]
    assert Person.objects.get().org_unit.code == "CO"


def test_person_whose_stored_history_already_overlaps_can_still_be_moved(units):
    upsert([row("E1", "SALES")], D(2025, 1, 1))
    person = Person.objects.get()
    # What imports wrote before overlaps were refused: a re-hire starting before the last assignment ended.
    Assignment.objects.filter(person=person).update(valid_to=D(2025, 4, 1))
    cs = OrgUnit.objects.get(code="CS")
    AssignmentFactory(person=person, org_unit=cs, job_title="", valid_from=D(2025, 3, 15))
    Person.objects.filter(pk=person.pk).update(org_unit=cs)

    upsert([row("E1", "SALES", effective_date=D(2025, 6, 1))], D(2025, 6, 30))
    assert history("E1") == [
        ("SALES", D(2024, 1, 15), D(2025, 4, 1)),
        ("CS", D(2025, 3, 15), D(2025, 6, 1)),
        ("SALES", D(2025, 6, 1), None),
    ]
    assert len(assignment_overlap_pairs(person_ids=[person.pk])) == 1  # the old overlap is left to be seen


def test_hris_import_refuses_a_file_with_an_overlapping_row_before_writing_anything(left):
    """Through the import pipeline: the file is refused while it is checked, and the reason names the row's
    employee, the column to correct and the earliest date that works."""
    content = (
        b"employee_id,first_name,last_name,work_email,org_unit_code,hire_date,termination_date,effective_date\n"
        b"E1,Maria,LopezE1,E1@example.com,CS,2024-01-15,,2025-03-15\n"  # re-hired, dated inside the last job
        b"E9,Ana,New,e9@example.com,CS,2025-05-01,,\n"
    )
    run = import_run_submit(
        actor_id=None, kind="people", filename="hris.csv", content=content, as_of=D(2025, 5, 1)
    )
    assert run.status != ImportRun.Status.PREVIEWED
    # Reported like any other row error: the file's row number (the header is row 1), column and value.
    assert [(e["row"], e["column"], e["value"]) for e in run.errors] == [(2, "effective_date", "2025-03-15")]
    assert "Effective date 2025-03-15 would give E1 a new assignment" in run.errors[0]["message"]
    assert "it can start on 2025-04-01 at the earliest" in run.errors[0]["message"]
    assert not Person.objects.filter(employee_id="E9").exists()
    assert history("E1") == [("SALES", D(2024, 1, 15), D(2025, 4, 1))]


def test_leaver_left_open_by_earlier_imports_can_still_be_updated(left):
    """Imports before this rule opened a new assignment for a leaver moved after they left; a later change
    that does not touch the termination leaves that history as it is rather than refusing the row."""
    person = Person.objects.get()
    cs = OrgUnit.objects.get(code="CS")
    AssignmentFactory(person=person, org_unit=cs, job_title="", valid_from=D(2025, 5, 15))
    Person.objects.filter(pk=person.pk).update(org_unit=cs)

    counts = upsert([row("E1", "CS", termination_date=D(2025, 3, 31), location="Lisbon")], D(2025, 6, 30))
    assert counts["update"] == 1
    assert Person.objects.get().location == "Lisbon"
    assert history("E1") == [("SALES", D(2024, 1, 15), D(2025, 4, 1)), ("CS", D(2025, 5, 15), None)]
