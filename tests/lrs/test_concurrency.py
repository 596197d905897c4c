"""Concurrent writers (PostgreSQL): seq follows commit order and the same id never stores twice."""

from __future__ import annotations

import itertools
import threading

import pytest
from django.db import connection, connections

from tandem.lrs.models import Statement
from tandem.lrs.records import LrsConflict
from tandem.lrs.services import statements_store
from tests.lrs.factories import LrsClientFactory, statement

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises every writer anyway"),
]


def _run(workers: list[threading.Thread]) -> None:
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def test_lrs_concurrent_writers_get_gapless_seq_in_stored_order():
    client = LrsClientFactory()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(10):
                statements_store(statements=[statement(), statement()], version="1.0.3", client=client)
        except BaseException as error:  # reported below, not swallowed
            errors.append(error)
        finally:
            connections.close_all()

    _run([threading.Thread(target=write) for _ in range(4)])
    assert not errors
    rows = list(Statement.objects.order_by("seq").values_list("seq", "stored"))
    assert [seq for seq, _ in rows] == list(range(1, 81))
    assert all(a[1] <= b[1] for a, b in itertools.pairwise(rows))


def test_lrs_concurrent_same_id_is_stored_once():
    client = LrsClientFactory()
    same = statement()
    different = dict(same, verb={"id": "http://adlnet.gov/expapi/verbs/attempted"})
    outcomes: list[str] = []

    def write(data: dict) -> None:
        try:
            statements_store(statements=[data], version="1.0.3", client=client)
            outcomes.append("stored")
        except LrsConflict:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    _run([threading.Thread(target=write, args=(data,)) for data in (same, different, same, different)])
    assert Statement.objects.filter(pk=same["id"]).count() == 1
    assert sorted(outcomes) == ["conflict", "conflict", "stored", "stored"]
