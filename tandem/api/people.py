"""People endpoints: the directory, one person, and where they sat on any date."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from tandem.accounts.permissions import Capability
from tandem.api.common import Day, Page, PageParams, choices, viewer_with
from tandem.core.dates import today
from tandem.org.models import Person
from tandem.org.records import AssignmentRecord
from tandem.org.selectors import (
    job_role_id_for_code,
    org_unit_id_for_code,
    person_assignment_as_of,
    person_assignment_history,
    person_get,
    person_list,
)

router = Router()


class PersonOut(Schema):
    employee_id: str
    first_name: str
    last_name: str
    work_email: str
    job_title: str
    job_role: str | None
    org_unit: str | None
    manager: str | None
    location: str
    status: str
    hire_date: dt.date
    termination_date: dt.date | None


class AssignmentOut(Schema):
    org_unit: str
    org_unit_name: str
    job_role: str | None
    job_role_name: str | None
    manager: str | None
    manager_name: str | None
    job_title: str
    valid_from: dt.date
    valid_to: dt.date | None = Field(description="Exclusive: the first day of the next assignment")


class PersonDetailOut(PersonOut):
    country: str
    employment_type: str
    current_assignment: AssignmentOut | None


class PeoplePage(Page):
    items: list[PersonOut]


class AssignmentsOut(Schema):
    employee_id: str
    as_of: dt.date | None
    items: list[AssignmentOut]


PersonStatus = Annotated[
    Person.Status, choices(Person.Status, title="PersonStatus", description="Employment status")
]


class PeopleFilters(PageParams):
    q: str = ""
    org_unit: str = Field("", description="Org unit code; includes the units below it")
    role: str = Field("", description="Job role code")
    location: str = ""
    status: PersonStatus | None = None


def _person(*, person: Person) -> PersonOut:
    return PersonOut(
        employee_id=person.employee_id,
        first_name=person.first_name,
        last_name=person.last_name,
        work_email=person.work_email,
        job_title=person.job_title,
        job_role=person.job_role.code if person.job_role else None,
        org_unit=person.org_unit.code if person.org_unit else None,
        manager=person.manager.employee_id if person.manager else None,
        location=person.location,
        status=person.status,
        hire_date=person.hire_date,
        termination_date=person.termination_date,
    )


def _assignment(*, record: AssignmentRecord) -> AssignmentOut:
    return AssignmentOut(
        org_unit=record.org_unit_code,
        org_unit_name=record.org_unit_name,
        job_role=record.job_role_code,
        job_role_name=record.job_role_name,
        manager=record.manager_employee_id,
        manager_name=record.manager_name,
        job_title=record.job_title,
        valid_from=record.valid_from,
        valid_to=record.valid_to,
    )


@router.get("", response=PeoplePage, summary="People in your scope")
def people(request: HttpRequest, filters: Query[PeopleFilters]) -> PeoplePage:
    viewer = viewer_with(request=request, capability=Capability.VIEW_PEOPLE)
    # Unknown codes match nobody (-1) rather than dropping the filter.
    org_unit_id = (org_unit_id_for_code(code=filters.org_unit) or -1) if filters.org_unit else None
    role_id = (job_role_id_for_code(code=filters.role) or -1) if filters.role else None
    found = person_list(
        scope=viewer.scope,
        search=filters.q.strip(),
        org_unit_id=org_unit_id,
        job_role_id=role_id,
        location=filters.location,
        status=filters.status or "",
    )
    count = found.count()
    rows = found[filters.offset : filters.offset + filters.limit]
    return PeoplePage(
        count=count,
        limit=filters.limit,
        offset=filters.offset,
        items=[_person(person=person) for person in rows],
    )


@router.get("/{employee_id}", response=PersonDetailOut, summary="One person with their current assignment")
def person(request: HttpRequest, employee_id: str) -> PersonDetailOut:
    viewer = viewer_with(request=request, capability=Capability.VIEW_PEOPLE)
    found = person_get(scope=viewer.scope, employee_id=employee_id)
    current = person_assignment_as_of(employee_id=found.employee_id, on=today())
    return PersonDetailOut(
        **_person(person=found).model_dump(),
        country=found.country,
        employment_type=found.employment_type,
        current_assignment=_assignment(record=current) if current else None,
    )


@router.get(
    "/{employee_id}/assignments",
    response=AssignmentsOut,
    summary="Assignment history, or where the person was on one date (as_of)",
)
def assignments(request: HttpRequest, employee_id: str, as_of: Day | None = None) -> AssignmentsOut:
    viewer = viewer_with(request=request, capability=Capability.VIEW_PEOPLE)
    found = person_get(scope=viewer.scope, employee_id=employee_id)
    if as_of is None:
        records = person_assignment_history(employee_id=found.employee_id)
    else:
        record = person_assignment_as_of(employee_id=found.employee_id, on=as_of)
        records = [record] if record else []
    return AssignmentsOut(
        employee_id=found.employee_id, as_of=as_of, items=[_assignment(record=record) for record in records]
    )
