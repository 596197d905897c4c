"""The event registry: handlers run after commit, never for a rolled-back write, one failure isolated."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from tandem.core.events import event_handlers, event_publish, event_subscribe, event_unsubscribe

pytestmark = pytest.mark.django_db

NAME = "test.happened"


@pytest.fixture
def seen():
    calls: list[dict[str, Any]] = []

    def broken(payload: Any) -> None:
        raise RuntimeError("subscriber bug")

    def handler(payload: Any) -> None:
        calls.append(dict(payload))

    event_subscribe(name=NAME, handler=broken)
    event_subscribe(name=NAME, handler=handler)
    event_subscribe(name=NAME, handler=handler)  # twice: still one call per event
    yield calls
    event_unsubscribe(name=NAME, handler=broken)
    event_unsubscribe(name=NAME, handler=handler)
    assert event_handlers(name=NAME) == []


def test_handlers_run_after_commit_and_a_failing_one_does_not_stop_the_others(
    seen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event_publish(name=NAME, payload={"id": 3})
        assert seen == []  # not before the commit
    assert seen == [{"id": 3}]


def test_a_rolled_back_write_publishes_nothing(seen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValueError), transaction.atomic():
        event_publish(name=NAME, payload={"id": 4})
        raise ValueError
    assert seen == []


def test_the_lrs_subscribes_to_people_imports():
    from tandem.core.events import PEOPLE_IMPORTED
    from tandem.lrs.tasks import on_people_imported

    assert on_people_imported in event_handlers(name=PEOPLE_IMPORTED)
