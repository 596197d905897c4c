"""Factories for tests: real rows through the ORM, no mocks."""

from __future__ import annotations

import datetime as dt

import factory

from tandem.accounts.models import RoleGrant, User
from tandem.metrics.models import MetricDefinition, MetricObservation
from tandem.org.models import Assignment, JobFamily, JobRole, OrgUnit, Person


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"OU{n:03d}")
    name = factory.Sequence(lambda n: f"Unit {n}")
    kind = OrgUnit.Kind.DEPARTMENT
    valid_from = dt.date(2020, 1, 1)

    @factory.post_generation
    def set_path(obj: OrgUnit, create: bool, extracted: object, **kwargs: object) -> None:
        obj.path = f"{obj.parent.path if obj.parent else '/'}{obj.pk}/"
        obj.save(update_fields=["path"])


class JobFamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobFamily
        django_get_or_create = ("code",)

    code = "ENG"
    name = "Engineering"


class JobRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobRole

    code = factory.Sequence(lambda n: f"ROLE{n}")
    name = factory.Sequence(lambda n: f"Role {n}")
    family = factory.SubFactory(JobFamilyFactory)
    level = 2


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    employee_id = factory.Sequence(lambda n: f"E{n:05d}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    work_email = factory.LazyAttribute(lambda p: f"{p.employee_id.lower()}@example.com")
    job_title = "Engineer"
    org_unit = factory.SubFactory(OrgUnitFactory)
    hire_date = dt.date(2021, 1, 1)
    location = "Berlin"
    country = "DE"

    @factory.post_generation
    def with_assignment(obj: Person, create: bool, extracted: object, **kwargs: object) -> None:
        """Every person starts with an open assignment matching their current fields."""
        if extracted is False:
            return
        Assignment.objects.create(
            person=obj,
            org_unit=obj.org_unit,
            job_role=obj.job_role,
            manager=obj.manager,
            job_title=obj.job_title,
            valid_from=obj.hire_date,
        )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def roles(obj: User, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        obj.save()
        for role in extracted or []:
            RoleGrant.objects.create(user=obj, role=role)


class MetricDefinitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MetricDefinition

    code = factory.Sequence(lambda n: f"metric-{n}")
    name = factory.Sequence(lambda n: f"Metric {n}")
    unit = "tickets"
    grain = MetricDefinition.Grain.ORG_UNIT


class MetricObservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MetricObservation

    metric = factory.SubFactory(MetricDefinitionFactory)
    period_start = dt.date(2025, 1, 1)
    org_unit = factory.SubFactory(OrgUnitFactory)
    entity_key = factory.LazyAttribute(lambda o: f"org:{o.org_unit.pk}" if o.org_unit else "company")
    value = 10.0
