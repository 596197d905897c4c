"""Factories for org tests (kept out of the shared tests/factories.py)."""

from __future__ import annotations

import datetime as dt

import factory

from tandem.org.models import Assignment
from tandem.org.records import PersonRow
from tandem.org.services import org_unit_create
from tests.factories import PersonFactory


class AssignmentFactory(factory.django.DjangoModelFactory):
    """An assignment as stored, dates as given: for histories the import would no longer write."""

    class Meta:
        model = Assignment

    person = factory.SubFactory(PersonFactory, with_assignment=False)
    org_unit = factory.LazyAttribute(lambda a: a.person.org_unit)
    job_title = "Engineer"
    valid_from = dt.date(2024, 1, 1)
    valid_to = None


def org_units_sales_cs() -> None:
    """Company CO with the departments SALES and CS, from 2020-01-01."""
    start = dt.date(2020, 1, 1)
    org_unit_create(actor_id=None, code="CO", name="Company", kind="company", valid_from=start)
    for code, name in (("SALES", "Sales"), ("CS", "Customer Service")):
        org_unit_create(
            actor_id=None, code=code, name=name, kind="department", parent_code="CO", valid_from=start
        )


def person_row(
    employee_id: str,
    unit: str,
    manager: str | None = None,
    hire_date: dt.date = dt.date(2024, 1, 15),
    **extra: object,
) -> PersonRow:
    return PersonRow(
        employee_id=employee_id,
        first_name="Maria",
        last_name=f"Lopez{employee_id}",
        work_email=f"{employee_id}@example.com",
        org_unit_code=unit,
        hire_date=hire_date,
        manager_employee_id=manager,
        **extra,  # type: ignore[arg-type]
    )
