"""Factories for impact tests: real rows through the ORM."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
import numpy as np

from tandem.impact.models import Cohort, Participant, Program
from tandem.impact.services import (
    cohort_create,
    comparison_group_explicit,
    cost_item_add,
    participants_add_list,
    program_metric_set,
)
from tandem.metrics.models import MetricObservation
from tandem.org.models import Assignment, Person
from tests.factories import MetricDefinitionFactory, OrgUnitFactory, PersonFactory


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


MONTHS = [dt.date(2025, m, 1) for m in range(1, 13)]
STARTS = [dt.date(2025, 4, 1), dt.date(2025, 6, 1), dt.date(2025, 9, 1)]


def build(
    *, effect: float = 3.0, pretrend: float = 0.0, per_cohort: int = 25, comparison: int = 40, seed: int = 1
):
    """Three waves and a never-treated group; participants gain `effect` from their start month.

    `pretrend` adds a slope per month to participants over the whole window (parallel trends broken).
    """
    rng = np.random.default_rng(seed)
    program = ProgramFactory(code="coach", start_date=STARTS[0])
    metric = MetricDefinitionFactory(code="tickets", name="Tickets closed", unit="tickets", grain="person")
    unit = OrgUnitFactory()
    ids = iter(range(10_000))
    people: list[tuple[object, dt.date | None]] = []
    for start in STARTS:
        cohort = cohort_create(actor_id=None, program_id=program.pk, name=f"W{start.month}", start_date=start)
        wave = [PersonFactory(employee_id=f"E{next(ids):04d}", org_unit=unit) for _ in range(per_cohort)]
        participants_add_list(actor_id=None, cohort_id=cohort.pk, employee_ids=[p.employee_id for p in wave])
        people += [(p, start) for p in wave]
    others = [PersonFactory(employee_id=f"E{next(ids):04d}", org_unit=unit) for _ in range(comparison)]
    if others:
        comparison_group_explicit(
            actor_id=None, program_id=program.pk, employee_ids=[p.employee_id for p in others]
        )
    people += [(p, None) for p in others]
    rows = []
    for person, start in people:
        level = rng.normal(100, 10)
        for t, month in enumerate(MONTHS):
            value = level + 0.8 * t + rng.normal(0, 2)
            if start is not None:
                value += pretrend * t + (effect if month >= start else 0.0)
            rows.append(
                MetricObservation(
                    metric=metric,
                    person=person,
                    entity_key=f"person:{person.pk}",
                    period_start=month,
                    value=value,
                )
            )
    MetricObservation.objects.bulk_create(rows)
    program_metric_set(
        actor_id=None,
        program_id=program.pk,
        metric_code="tickets",
        value_per_unit=Decimal("10"),
        is_primary=True,
    )
    cost_item_add(actor_id=None, program_id=program.pk, kind="vendor_fee", amount=Decimal("5000"))
    return program
