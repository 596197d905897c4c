"""Factories for org tests (kept out of the shared tests/factories.py)."""

from __future__ import annotations

import datetime as dt

import factory

from tandem.org.models import Assignment
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
