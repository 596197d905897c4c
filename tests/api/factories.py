"""A small company for page and API tests: units, people, a move, metrics and an initiative.

Import the `company` fixture into a test module to use it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from tandem.core.dates import today
from tandem.initiatives.models import Initiative, InitiativeMetric
from tandem.metrics.models import MetricDefinition, MetricObservation
from tandem.org.models import Assignment, OrgUnit, Person
from tests.factories import (
    JobRoleFactory,
    MetricDefinitionFactory,
    OrgUnitFactory,
    PersonFactory,
)


@dataclass
class Company:
    root: OrgUnit
    sales: OrgUnit
    cs: OrgUnit
    cs_team: OrgUnit
    manager: Person
    reports: list[Person]
    mover: Person
    move_date: dt.date
    learner: Person
    stakeholder_person: Person
    csat: MetricDefinition
    quiz: MetricDefinition
    initiative: Initiative
    months: list[dt.date]


def month_back(on: dt.date, count: int) -> dt.date:
    day = on.replace(day=1)
    for _ in range(count):
        day = (day - dt.timedelta(days=1)).replace(day=1)
    return day


def add_people(unit: OrgUnit, count: int, **extra: Any) -> list[Person]:
    return [PersonFactory(org_unit=unit, **extra) for _ in range(count)]


@pytest.fixture
def company(db: Any) -> Company:
    root = OrgUnitFactory(code="CO", name="Acme", kind=OrgUnit.Kind.COMPANY)
    sales = OrgUnitFactory(code="SALES", name="Sales", parent=root, cost_centre="CC-100")
    cs = OrgUnitFactory(code="CS", name="Customer Service", parent=root, cost_centre="CC-200")
    cs_team = OrgUnitFactory(code="CS-T1", name="Tier 1", parent=cs, kind=OrgUnit.Kind.TEAM)
    role = JobRoleFactory(code="AGENT", name="Agent")
    manager = PersonFactory(org_unit=sales, first_name="Mona", last_name="Manager", job_role=role)
    reports = [
        PersonFactory(org_unit=sales, manager=manager, first_name="Rita", last_name="Report"),
        PersonFactory(org_unit=sales, manager=manager, first_name="Rolf", last_name="Report"),
    ]
    learner = PersonFactory(org_unit=cs_team, first_name="Lena", last_name="Learner", location="Lisbon")
    stakeholder_person = PersonFactory(org_unit=cs, first_name="Stan", last_name="Holder")

    # Moved from Sales to Customer Service on 1 March 2024.
    move_date = dt.date(2024, 3, 1)
    mover = PersonFactory(
        org_unit=cs, first_name="Max", last_name="Mover", hire_date=dt.date(2022, 5, 1), with_assignment=False
    )
    Assignment.objects.create(
        person=mover, org_unit=sales, job_title="Seller", valid_from=dt.date(2022, 5, 1), valid_to=move_date
    )
    Assignment.objects.create(person=mover, org_unit=cs, job_title="Agent", valid_from=move_date)

    months = [month_back(today(), n) for n in (2, 1, 0)]
    csat = MetricDefinitionFactory(code="csat", name="Customer satisfaction", unit="%", decimals=1)
    for i, month in enumerate(months):
        for unit, base in ((cs, 70.0), (sales, 60.0), (cs_team, 65.0)):
            MetricObservation.objects.create(
                metric=csat, period_start=month, org_unit=unit, entity_key=f"org:{unit.pk}", value=base + i
            )
        MetricObservation.objects.create(
            metric=csat, period_start=month, entity_key="company", value=66.0 + i, org_unit=None
        )
    quiz = MetricDefinitionFactory(
        code="quiz", name="Quiz score", unit="points", grain=MetricDefinition.Grain.PERSON
    )
    initiative = Initiative.objects.create(
        code="better-service",
        name="Better service",
        description="Raise satisfaction.",
        owner=stakeholder_person,
        sponsor_org_unit=cs,
        start_date=dt.date(2024, 1, 1),
        end_date=dt.date(2026, 12, 31),
    )
    InitiativeMetric.objects.create(
        initiative=initiative, metric=csat, org_unit=cs, baseline=60.0, target=80.0
    )
    return Company(
        root=root,
        sales=sales,
        cs=cs,
        cs_team=cs_team,
        manager=manager,
        reports=reports,
        mover=mover,
        move_date=move_date,
        learner=learner,
        stakeholder_person=stakeholder_person,
        csat=csat,
        quiz=quiz,
        initiative=initiative,
        months=months,
    )


def add_quiz_scores(company: Company, people: list[Person], value: float = 50.0) -> None:
    month = company.months[-1]
    for i, person in enumerate(people):
        MetricObservation.objects.create(
            metric=company.quiz,
            period_start=month,
            person=person,
            org_unit=None,
            entity_key=f"person:{person.pk}",
            value=value + i,
        )
