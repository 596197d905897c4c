"""Concurrent metric imports (PostgreSQL): the second waits for the first and merges into what it wrote."""

from __future__ import annotations

import datetime as dt
import threading
import time

import numpy as np
import pytest
from django.db import connection, connections, transaction

from tandem.metrics.models import MetricDefinition, MetricObservation, MetricSeries
from tandem.metrics.records import ObservationRow
from tandem.metrics.services import metric_observations_upsert
from tests.factories import MetricDefinitionFactory, PersonFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises every writer anyway"),
]


def _row(metric: MetricDefinition, employee_id: str, month: int, value: float) -> ObservationRow:
    return ObservationRow(
        metric_code=metric.code,
        period_start=dt.date(2026, month, 1),
        entity_kind="person",
        entity_code=employee_id,
        value=value,
    )


def test_two_imports_of_one_persons_metric_at_once_keep_both_months():
    metric = MetricDefinitionFactory(
        grain=MetricDefinition.Grain.PERSON, frequency=MetricDefinition.Frequency.MONTHLY
    )
    person = PersonFactory()
    first_written = threading.Event()
    release_first = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                metric_observations_upsert(
                    rows=[_row(metric, person.employee_id, 1, 10.0)], actor_id=None, source="a"
                )
                first_written.set()
                release_first.wait(timeout=30)  # hold the transaction open while the second one starts
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            # Jan again (same observation: must become an update, not a second insert) and Feb.
            metric_observations_upsert(
                rows=[_row(metric, person.employee_id, 1, 11.0), _row(metric, person.employee_id, 2, 20.0)],
                actor_id=None,
                source="b",
            )
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    one = threading.Thread(target=first)
    one.start()
    assert first_written.wait(timeout=30)
    two = threading.Thread(target=second)
    two.start()
    time.sleep(0.5)  # the second import is now waiting on the first (or, unlocked, racing it)
    release_first.set()
    one.join()
    two.join()

    assert not errors, errors
    values = dict(MetricObservation.objects.filter(metric=metric).values_list("period_start", "value"))
    assert values == {dt.date(2026, 1, 1): 11.0, dt.date(2026, 2, 1): 20.0}
    series = MetricSeries.objects.get(metric=metric, person=person)
    assert series.first_month == dt.date(2026, 1, 1) and series.months == 2
    assert np.frombuffer(bytes(series.values_f8), dtype="<f8").tolist() == [11.0, 20.0]
