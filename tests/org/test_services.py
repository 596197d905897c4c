import datetime as dt

import pytest

from tandem.audit.models import AuditEvent
from tandem.org.models import Assignment, Person
from tandem.org.records import PersonRow
from tandem.org.selectors import person_assignment_as_of, person_assignment_history
from tandem.org.services import (
    org_unit_create,
    org_unit_update,
    people_apply,
    people_bulk_upsert,
    people_plan,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def units():
    org_unit_create(actor_id=None, code="CO", name="Company", kind="company", valid_from=dt.date(2020, 1, 1))
    org_unit_create(
        actor_id=None,
        code="SALES",
        name="Sales",
        kind="department",
        parent_code="CO",
        valid_from=dt.date(2020, 1, 1),
    )
    org_unit_create(
        actor_id=None,
        code="CS",
        name="Customer Service",
        kind="department",
        parent_code="CO",
        valid_from=dt.date(2020, 1, 1),
    )


def row(employee_id, unit, manager=None, **extra):
    return PersonRow(
        employee_id=employee_id,
        first_name="Maria",
        last_name=f"Lopez{employee_id}",
        work_email=f"{employee_id}@example.com",
        org_unit_code=unit,
        hire_date=dt.date(2024, 1, 15),
        manager_employee_id=manager,
        **extra,
    )


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


def test_org_unit_rename_keeps_version_history(units):
    unit = org_unit_update(actor_id=None, code="CS", effective=dt.date(2025, 6, 1), name="Customer Care")
    assert [v.name for v in unit.versions.order_by("valid_from")] == ["Customer Service", "Customer Care"]
    assert AuditEvent.objects.filter(entity_type="org_unit", action="update").count() == 1
