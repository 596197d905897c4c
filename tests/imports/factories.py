"""Factories for import tests (kept out of the shared tests/factories.py)."""

from __future__ import annotations

import factory

from tandem.imports.models import ColumnMapping, ImportKind, ImportRun


class ColumnMappingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ColumnMapping

    name = factory.Sequence(lambda n: f"mapping-{n}")
    kind = ImportKind.PEOPLE
    columns = factory.LazyFunction(lambda: {"employee_id": "Staff No"})
    options = factory.LazyFunction(dict)


class ImportRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportRun

    kind = ImportKind.PEOPLE
    filename = factory.Sequence(lambda n: f"people-{n}.csv")
    content = b"employee_id\nE1\n"
    status = ImportRun.Status.DONE
    mapping_name = "tandem"
    summary = factory.LazyFunction(lambda: {"rows": 1, "create": 1, "update": 0, "unchanged": 0, "errors": 0})
