"""Metric definitions: validated, audited, and a grain or frequency change rebuilds the monthly series."""

import datetime as dt

import pytest

from tandem.audit.models import AuditEvent
from tandem.core.scope import DomainError
from tandem.metrics.models import MetricDefinition, MetricSeries
from tandem.metrics.services import metric_create, metric_update
from tests.factories import MetricObservationFactory, PersonFactory

pytestmark = pytest.mark.django_db

DEFINITION = {
    "actor_id": None,
    "code": "tickets",
    "name": "Tickets closed",
    "unit": "tickets",
    "grain": "person",
    "direction": "up",
    "frequency": "monthly",
    "description": "",
    "decimals": 0,
}


def person_grain_metric_with_values():
    metric = metric_create(**DEFINITION)
    for person in (PersonFactory(), PersonFactory()):
        for month in (dt.date(2025, 1, 1), dt.date(2025, 2, 1)):
            MetricObservationFactory(
                metric=metric,
                person=person,
                org_unit=None,
                entity_key=f"person:{person.pk}",
                period_start=month,
            )
    return metric


def test_create_refuses_a_code_in_use_and_update_an_unknown_one():
    metric_create(**DEFINITION)
    with pytest.raises(DomainError, match="already exists"):
        metric_create(**DEFINITION)
    with pytest.raises(DomainError, match="Unknown metric"):
        metric_update(**{**DEFINITION, "code": "nope"})


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("code", "has space", "The code must be"),
        ("name", " ", "Give the metric a name"),
        ("unit", "", "Give the unit"),
        ("grain", "galaxy", "Unknown grain 'galaxy'"),
        ("frequency", "hourly", "Unknown frequency"),
        ("direction", "sideways", "Unknown direction"),
        ("decimals", 9, "Decimals is a whole number from 0 to 6"),
    ],
)
def test_bad_definitions_are_refused_with_a_reason(field, value, message):
    with pytest.raises(DomainError, match=message):
        metric_create(**{**DEFINITION, field: value})
    assert not MetricDefinition.objects.exists()


def test_a_grain_change_drops_and_rebuilds_the_series_and_is_audited():
    metric = person_grain_metric_with_values()
    from tandem.metrics.services import metric_series_rebuild

    metric_series_rebuild(metric_ids=[metric.pk])
    assert MetricSeries.objects.filter(metric=metric).count() == 2
    metric_update(**{**DEFINITION, "grain": "company"})
    assert not MetricSeries.objects.filter(metric=metric).exists()
    metric_update(**{**DEFINITION, "grain": "person"})
    assert MetricSeries.objects.filter(metric=metric).count() == 2
    changes = [
        e.changes for e in AuditEvent.objects.filter(entity_type="metric", action="update").order_by("id")
    ]
    assert changes == [{"grain": ["person", "company"]}, {"grain": ["company", "person"]}]
