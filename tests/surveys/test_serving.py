"""The periodic dispatch while `tandem serve` runs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tandem.demo.serving import Periodic, survey_dispatch_enqueue
from tandem.surveys.models import SurveyInvitation
from tandem.surveys.records import KIND_REACTION
from tandem.surveys.services import survey_create
from tests.surveys.factories import at


def test_periodic_runs_at_most_once_per_period():
    calls = []
    periodic = Periodic(every=300, action=lambda: calls.append(1))
    assert periodic.tick(1000.0) is True  # at once on start
    assert periodic.tick(1000.2) is False and periodic.tick(1299.9) is False
    assert periodic.tick(1300.0) is True
    assert len(calls) == 2
    never = Periodic(every=0, action=lambda: calls.append(1))
    assert never.tick(5000.0) is False and len(calls) == 2


@pytest.mark.django_db
def test_the_periodic_function_queues_a_dispatch_that_sends_what_is_due(
    setup, smtp_server, django_capture_on_commit_callbacks
):
    survey_id = survey_create(
        actor_id=None, program_id=setup.program.pk, kind=KIND_REACTION, now=at(0)
    ).survey_id
    now = timezone.now()
    SurveyInvitation.objects.filter(survey_id=survey_id).update(
        due_at=now - dt.timedelta(minutes=1), closes_at=now + dt.timedelta(days=7)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert survey_dispatch_enqueue() is True
    assert len(smtp_server.messages) == 6
    assert SurveyInvitation.objects.filter(sent_at__isnull=True).count() == 0


def test_the_periodic_function_survives_a_database_error(monkeypatch):
    from tandem.surveys import services

    class Locked:
        def enqueue(self, *args, **kwargs):
            raise RuntimeError("database is locked")

    monkeypatch.setattr(services, "survey_dispatch_task", Locked())
    assert survey_dispatch_enqueue() is False
