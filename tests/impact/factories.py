"""Factories for impact tests: real rows through the ORM."""

from __future__ import annotations

import datetime as dt

import factory

from tandem.impact.models import Cohort, Participant, Program
from tandem.org.models import Assignment, Person
from tests.factories import PersonFactory


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    code = factory.Sequence(lambda n: f"prog-{n}")
    name = factory.Sequence(lambda n: f"Program {n}")
    start_date = dt.date(2025, 3, 1)
    end_date = dt.date(2025, 12, 31)


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Wave {n}")
    start_date = dt.date(2025, 3, 1)


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    cohort = factory.SubFactory(CohortFactory)
    program = factory.LazyAttribute(lambda p: p.cohort.program)
    person = factory.SubFactory(PersonFactory)
    assigned_by = Participant.AssignedBy.LIST
    joined_on = factory.LazyAttribute(lambda p: p.cohort.start_date)


def move(person: Person, *, to_unit: object, on: dt.date) -> None:
    """Close the person's open assignment on `on` and open one in `to_unit` (as an HR move would)."""
    current = Assignment.objects.get(person=person, valid_to__isnull=True)
    current.valid_to = on
    current.save(update_fields=["valid_to"])
    Assignment.objects.create(
        person=person, org_unit=to_unit, job_role=current.job_role, job_title=current.job_title, valid_from=on
    )
    person.org_unit = to_unit  # type: ignore[assignment]
    person.save(update_fields=["org_unit"])


def simulated_population(
    *, n: int = 1000, seed: int = 7, on: dt.date = dt.date(2025, 3, 1), metric_code: str = "tickets"
) -> dict[str, object]:
    """A workforce with a known selection bias: long-tenured, high-baseline people in Support volunteer
    more often. Returns the metric, the org units and the employee ids that volunteered.

    Rows are written in bulk (the test is about matching, not about factories).
    """
    import numpy as np

    from tandem.metrics.models import MetricDefinition, MetricObservation
    from tandem.org.models import JobFamily, JobRole, OrgUnit

    rng = np.random.default_rng(seed)
    company = OrgUnit.objects.create(
        code="CO", name="Company", kind="company", valid_from=dt.date(2015, 1, 1)
    )
    company.path = f"/{company.pk}/"
    company.save(update_fields=["path"])
    departments = []
    for code, name in [("SUP", "Support"), ("SAL", "Sales"), ("OPS", "Operations"), ("FIN", "Finance")]:
        unit = OrgUnit.objects.create(
            code=code, name=name, kind="department", parent=company, valid_from=dt.date(2015, 1, 1)
        )
        unit.path = f"{company.path}{unit.pk}/"
        unit.save(update_fields=["path"])
        departments.append(unit)
    family = JobFamily.objects.create(code="OPS", name="Operations")
    roles = [
        JobRole.objects.create(code=f"R{level}", name=f"Level {level}", family=family, level=level)
        for level in (1, 2, 3)
    ]
    metric = MetricDefinition.objects.create(
        code=metric_code, name="Tickets closed", unit="tickets", grain="person"
    )
    dept = rng.integers(0, 4, n)
    level = rng.integers(0, 3, n)
    tenure_years = rng.uniform(0.5, 12, n)
    location = rng.choice(["Berlin", "Lisbon"], n)
    ability = rng.normal(0, 1, n)
    people = [
        Person(
            employee_id=f"P{i:05d}",
            first_name="P",
            last_name=f"{i:05d}",
            work_email=f"p{i}@example.com",
            org_unit=departments[dept[i]],
            job_role=roles[level[i]],
            hire_date=on - dt.timedelta(days=int(tenure_years[i] * 365.25)),
            location=str(location[i]),
        )
        for i in range(n)
    ]
    Person.objects.bulk_create(people)
    people = list(Person.objects.filter(employee_id__startswith="P").order_by("employee_id"))
    Assignment.objects.bulk_create(
        [
            Assignment(person=p, org_unit=p.org_unit, job_role=p.job_role, valid_from=p.hire_date)
            for p in people
        ]
    )
    observations = []
    for i, person in enumerate(people):
        for back in range(1, 7):
            index = on.year * 12 + on.month - 1 - back
            period = dt.date(index // 12, index % 12 + 1, 1)
            value = 40 + 5 * ability[i] + 0.3 * tenure_years[i] - 0.2 * back + rng.normal(0, 2)
            observations.append(
                MetricObservation(
                    metric=metric,
                    period_start=period,
                    person=person,
                    entity_key=f"person:{person.pk}",
                    value=value,
                )
            )
    MetricObservation.objects.bulk_create(observations)
    # Selection on tenure, baseline ability and department: the bias matching has to remove.
    linear = -3.0 + 0.1 * tenure_years + 0.4 * ability + 0.7 * (dept == 0)
    volunteers = rng.random(n) < 1 / (1 + np.exp(-linear))
    return {
        "metric": metric,
        "departments": departments,
        "volunteers": [people[i].employee_id for i in range(n) if volunteers[i]],
        "people": people,
    }
