"""Invitations and reminders through a real SMTP server: the schedule, once only, never after an answer."""

from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.db import connection

from tandem.audit.models import AuditEvent
from tandem.surveys.models import SurveyInvitation
from tandem.surveys.records import KIND_BEHAVIOUR_MANAGER, KIND_REACTION
from tandem.surveys.services import (
    survey_close,
    survey_create,
    survey_dispatch_due,
    survey_dispatch_task,
    survey_response_submit,
)
from tests.surveys.factories import at, token_of, tokens_in

pytestmark = pytest.mark.django_db

ANSWERS = {"satisfaction": 5, "relevance": 4, "engagement": 4, "nps": 9, "confidence": 4, "commitment": 5}


def _reaction(setup, **kwargs):
    return survey_create(
        actor_id=None, program_id=setup.program.pk, kind=KIND_REACTION, now=at(-10), **kwargs
    ).survey_id


def test_invitations_go_out_on_their_day_with_text_and_html(setup, smtp_server, dispatch):
    survey_id = _reaction(setup, send_after_days=3)
    assert dispatch(at(2)).invitations == 0
    assert smtp_server.messages == []
    result = dispatch(at(3))
    assert (result.invitations, result.reminders, result.failed) == (6, 0, 0)
    assert len(smtp_server.messages) == 6
    message = smtp_server.messages[0]
    assert message.is_multipart()
    types = [part.get_content_type() for part in message.get_payload()]
    assert types == ["text/plain", "text/html"]
    text = message.get_payload(0).get_payload(decode=True).decode()
    html = message.get_payload(1).get_payload(decode=True).decode()
    assert "Coaching for sales" in text and "no log-in needed" in text.lower()
    assert "http://testserver/s/" not in text and "/s/" in text and 'href="http' in html
    recipients = sorted(m["To"] for m in smtp_server.messages)
    assert recipients == sorted(p.work_email for p in setup.learners)
    # The raw token is in the email, never in the database: only its hash is.
    tokens = tokens_in(smtp_server.messages)
    assert len(set(tokens)) == 6
    stored = SurveyInvitation.objects.filter(survey_id=survey_id)
    for token in tokens:
        assert not stored.filter(token_hash=token).exists()
        assert not stored.filter(token_salt=token).exists()
    assert {token_of(i) for i in stored} == set(tokens)
    assert AuditEvent.objects.filter(entity_type="survey", action="send").count() == 1


def test_reminders_every_two_days_at_most_three_and_none_after_an_answer(setup, smtp_server, dispatch):
    _reaction(setup)
    dispatch(at(0))
    first = setup.learners[0]
    token = token_of(SurveyInvitation.objects.get(person=first))
    assert len(smtp_server.messages) == 6

    def sent_on(day, hour=10):
        before = len(smtp_server.messages)
        dispatch(at(day, hour))
        return smtp_server.messages[before:]

    assert sent_on(1) == []
    assert sent_on(2, 9) == []  # two days after 10:00 is 10:00
    reminders = sent_on(2)
    assert len(reminders) == 6 and all(m["Subject"].startswith("Reminder:") for m in reminders)
    # The reminder carries the same link as the invitation.
    assert token in tokens_in([m for m in reminders if m["To"] == first.work_email])
    survey_response_submit(token=token, answers=ANSWERS, now=at(3))
    assert sent_on(3) == []
    fourth = sent_on(4)
    assert len(fourth) == 5 and first.work_email not in {m["To"] for m in fourth}
    assert len(sent_on(6)) == 5
    assert sent_on(8) == [] and sent_on(10) == []  # three reminders were the maximum
    counts = set(SurveyInvitation.objects.exclude(person=first).values_list("reminders_sent", flat=True))
    assert counts == {3}


def test_nothing_after_the_survey_closes(setup, smtp_server, dispatch):
    survey_id = _reaction(setup, closes_after_days=3)
    dispatch(at(0))
    assert len(smtp_server.messages) == 6
    dispatch(at(2))
    assert len(smtp_server.messages) == 12
    dispatch(at(4))  # past the closing time: no reminder
    assert len(smtp_server.messages) == 12
    late = _reaction(setup)
    survey_close(actor_id=None, survey_id=late)
    dispatch(at(5))
    assert len(smtp_server.messages) == 12
    assert survey_id != late


def test_running_twice_sends_once(setup, smtp_server, dispatch):
    _reaction(setup)
    assert dispatch(at(0)).invitations == 6
    assert dispatch(at(0)).invitations == 0
    assert dispatch(at(0, 11)).reminders == 0
    assert len(smtp_server.messages) == 6


@pytest.mark.django_db(transaction=True)
def test_a_refused_send_is_put_back_for_the_next_run(setup, settings, smtp_server, dispatch):
    # Outside a transaction (as in the task worker) the emails go out before the service returns.
    _reaction(setup)
    settings.EMAIL_PORT = 9  # nothing listens there
    result = survey_dispatch_due(now=at(0))
    assert result.invitations == 6 and result.failed == 6
    assert SurveyInvitation.objects.filter(sent_at__isnull=False).count() == 0
    settings.EMAIL_PORT = smtp_server.port
    assert dispatch(at(0, 11)).invitations == 6
    assert len(smtp_server.messages) == 6


def test_manager_follow_up_goes_to_the_manager_about_each_learner(setup, smtp_server, dispatch):
    loner = setup.learners[0]
    loner.manager = None
    loner.save(update_fields=["manager"])
    loner.assignments.update(manager=None)
    created = survey_create(
        actor_id=None, program_id=setup.program.pk, kind=KIND_BEHAVIOUR_MANAGER, send_after_days=30, now=at(0)
    )
    assert created.invitations == 5 and created.without_manager == 1
    invitations = SurveyInvitation.objects.filter(survey_id=created.survey_id)
    assert set(invitations.values_list("person_id", flat=True)) == {setup.manager.pk}
    assert set(invitations.values_list("subject_id", flat=True)) == {p.pk for p in setup.learners[1:]}
    dispatch(at(30))
    assert len(smtp_server.messages) == 5
    assert {m["To"] for m in smtp_server.messages} == {setup.manager.work_email}
    assert smtp_server.messages[0]["Subject"].startswith("How is Lea")


def test_command_and_task_send_what_is_due(setup, smtp_server, capsys, django_capture_on_commit_callbacks):
    _reaction(setup)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("survey-dispatch")
    # The real clock is far past the survey's window (January 2026): nothing is due any more.
    assert "Sent 0 invitation(s)" in capsys.readouterr().out
    survey_id = _reaction(setup, send_after_days=0)
    SurveyInvitation.objects.filter(survey_id=survey_id).update(due_at=at(0), closes_at=at(10_000))
    with django_capture_on_commit_callbacks(execute=True):
        result = survey_dispatch_task.enqueue(survey_id=survey_id)
    assert result.return_value.startswith("6 invitations")
    assert len(smtp_server.messages) == 6


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_never_send_twice(setup, smtp_server):
    _reaction(setup)
    barrier = threading.Barrier(2)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(survey_dispatch_due(now=at(0)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.invitations for r in results) == [0, 6]
    assert len(smtp_server.messages) == 6
    assert len({m["To"] for m in smtp_server.messages}) == 6
