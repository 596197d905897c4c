"""Answering: validation per question, once only, anonymity, the xAPI statement, rates, the demo import."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from tandem.audit.models import AuditEvent
from tandem.lrs.models import LrsClient, Statement
from tandem.lrs.xapi import statement_validate
from tandem.surveys.models import SurveyAnswer, SurveyInvitation, SurveyResponse
from tandem.surveys.questions import QUESTIONS
from tandem.surveys.records import (
    KIND_BEHAVIOUR_LEARNER,
    KIND_BEHAVIOUR_MANAGER,
    KIND_REACTION,
    QUESTION_KEYS,
)
from tandem.surveys.results import (
    AnswersInvalid,
    ImportedResponse,
    SurveyAlreadyAnswered,
    SurveyLinkClosed,
    SurveyLinkUnknown,
)
from tandem.surveys.selectors import survey_answers_for_program, survey_response_rates
from tandem.surveys.services import survey_create, survey_response_submit, survey_responses_import
from tests.surveys.factories import at, token_of

pytestmark = pytest.mark.django_db

ANSWERS = {
    "satisfaction": "5",
    "relevance": "4",
    "engagement": "4",
    "nps": "9",
    "confidence": "4",
    "commitment": "5",
    "comment": "More practice, please.",
}


def _survey(setup, kind=KIND_REACTION, **kwargs):
    return survey_create(
        actor_id=None, program_id=setup.program.pk, kind=kind, now=at(-1), **kwargs
    ).survey_id


def _token(survey_id, person):
    return token_of(SurveyInvitation.objects.get(survey_id=survey_id, subject=person))


def test_questionnaires_match_the_contract():
    assert {kind: tuple(q.key for q in qs) for kind, qs in QUESTIONS.items()} == QUESTION_KEYS
    nps = next(q for q in QUESTIONS[KIND_REACTION] if q.key == "nps")
    assert nps.text.startswith("How likely are you to recommend") and nps.choices == list(range(11))


def test_a_response_is_stored_with_its_answers_and_an_xapi_statement(setup, settings):
    settings.TANDEM_BASE_URL = "https://tandem.example.com"
    survey_id = _survey(setup)
    learner = setup.learners[0]
    result = survey_response_submit(token=_token(survey_id, learner), answers=ANSWERS, now=at(1))
    response = SurveyResponse.objects.get(pk=result.response_id)
    assert response.person_id == learner.pk and response.invitation is not None
    assert response.cohort_id == setup.cohort.pk and response.org_unit_id == learner.org_unit_id
    answers = dict(SurveyAnswer.objects.filter(response=response).values_list("question_key", "value"))
    assert answers["nps"] == 9.0 and answers["satisfaction"] == 5.0 and answers["comment"] is None
    assert SurveyInvitation.objects.get(survey_id=survey_id, person=learner).responded_at == at(1)

    stored = Statement.objects.get(pk=result.statement_id)
    statement = stored.exact
    statement_validate(
        statement={k: v for k, v in statement.items() if k not in ("stored", "authority")}, version="1.0.3"
    )
    assert stored.person_id == learner.pk
    assert statement["actor"]["mbox"] == f"mailto:{learner.work_email}"
    assert statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/responded"
    assert statement["object"]["id"] == f"https://tandem.example.com/xapi/activities/surveys/{survey_id}"
    assert statement["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/survey"
    grouping = statement["context"]["contextActivities"]["grouping"]
    assert [g["id"] for g in grouping] == [
        "https://tandem.example.com/xapi/activities/programs/coaching",
        f"https://tandem.example.com/xapi/activities/programs/coaching/cohorts/{setup.cohort.pk}",
    ]
    extensions = statement["result"]["extensions"]
    prefix = "https://tandem.example.com/xapi/extensions/surveys/answers/"
    assert extensions[prefix + "nps"] == 9 and extensions[prefix + "comment"] == "More practice, please."
    assert stored.client.key == "tandem-surveys"
    assert not LrsClient.objects.get(key="tandem-surveys").secret_hash.startswith("md5")  # no usable secret
    assert AuditEvent.objects.filter(entity_type="survey", action="respond").exists()


def test_every_invalid_answer_gets_its_own_message(setup):
    survey_id = _survey(setup)
    token = _token(survey_id, setup.learners[0])
    answers = {
        **ANSWERS,
        "satisfaction": "7",
        "nps": "",
        "relevance": "abc",
        "confidence": "3.5",
        "extra": "1",
    }
    with pytest.raises(AnswersInvalid) as caught:
        survey_response_submit(token=token, answers=answers, now=at(1))
    assert caught.value.errors == {
        "satisfaction": "Choose a number from 1 to 5.",
        "nps": "Please answer this question.",
        "relevance": "Give a whole number.",
        "confidence": "Give a whole number.",
        "extra": "This survey does not ask this.",
    }
    assert SurveyResponse.objects.count() == 0 and Statement.objects.count() == 0
    # The optional comment may be left out; the link still works after the errors.
    survey_response_submit(
        token=token, answers={k: v for k, v in ANSWERS.items() if k != "comment"}, now=at(1)
    )
    assert SurveyResponse.objects.count() == 1


def test_a_second_submit_is_refused_and_bad_links_say_why(setup):
    survey_id = _survey(setup, closes_after_days=5)
    token = _token(survey_id, setup.learners[0])
    survey_response_submit(token=token, answers=ANSWERS, now=at(1))
    with pytest.raises(SurveyAlreadyAnswered):
        survey_response_submit(token=token, answers=ANSWERS, now=at(1))
    with pytest.raises(SurveyLinkUnknown):
        survey_response_submit(token="not-a-token", answers=ANSWERS, now=at(1))
    with pytest.raises(SurveyLinkClosed):
        survey_response_submit(token=_token(survey_id, setup.learners[1]), answers=ANSWERS, now=at(6))
    assert SurveyResponse.objects.count() == 1 and Statement.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_submits_racing_store_one_response(setup):
    survey_id = _survey(setup)
    token = _token(survey_id, setup.learners[0])
    barrier = threading.Barrier(2)
    outcomes = []

    def submit():
        try:
            barrier.wait()
            survey_response_submit(token=token, answers=ANSWERS, now=at(1))
            outcomes.append("stored")
        except SurveyAlreadyAnswered:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "stored"]
    assert SurveyResponse.objects.count() == 1 and Statement.objects.count() == 1


def test_anonymous_responses_keep_no_person(setup):
    survey_id = _survey(setup, anonymous=True)
    learner = setup.learners[2]
    result = survey_response_submit(token=_token(survey_id, learner), answers=ANSWERS, now=at(1, 15))
    response = SurveyResponse.objects.get(pk=result.response_id)
    assert response.person_id is None and response.invitation_id is None
    assert response.cohort_id == setup.cohort.pk and response.org_unit_id == learner.org_unit_id
    invitation = SurveyInvitation.objects.get(survey_id=survey_id, person=learner)
    assert invitation.responded_at == at(1, 0)  # the day only: its time cannot be matched with the response
    stored = Statement.objects.get(pk=result.statement_id)
    actor = stored.exact["actor"]
    assert "mbox" not in actor and "name" not in actor and set(actor["account"]) == {"homePage", "name"}
    assert stored.person_id is None and learner.work_email not in str(stored.exact)
    assert stored.exact["timestamp"].startswith("2026-01-06T00:00:00")
    rows = survey_answers_for_program(program_id=setup.program.pk)
    assert rows and {row.person_id for row in rows} == {None}
    assert learner.work_email not in str(AuditEvent.objects.filter(action="respond").values())


def test_manager_answers_are_about_the_learner(setup):
    survey_id = _survey(setup, kind=KIND_BEHAVIOUR_MANAGER, send_after_days=0)
    learner = setup.learners[3]
    result = survey_response_submit(
        token=_token(survey_id, learner),
        answers={"observed_change": 4, "applied_pct": 70, "what_changed": "Calmer calls"},
        now=at(1),
    )
    statement = Statement.objects.get(pk=result.statement_id).exact
    assert statement["actor"]["mbox"] == f"mailto:{setup.manager.work_email}"
    about = next(v for k, v in statement["context"]["extensions"].items() if k.endswith("/about"))
    assert about["mbox"] == f"mailto:{learner.work_email}"
    rows = survey_answers_for_program(program_id=setup.program.pk)
    assert {row.person_id for row in rows} == {learner.pk}
    assert {(row.question_key, row.value, row.text) for row in rows} == {
        ("observed_change", 4.0, ""),
        ("applied_pct", 70.0, ""),
        ("what_changed", None, "Calmer calls"),
    }


def test_response_rates_per_survey_cohort_and_unit(setup, dispatch):
    survey_id = _survey(setup)
    dispatch(at(0))
    for learner in setup.learners[:2]:
        survey_response_submit(token=_token(survey_id, learner), answers=ANSWERS, now=at(1))
    other = _survey(setup, kind=KIND_BEHAVIOUR_LEARNER, send_after_days=60)  # not sent yet: not counted
    rows = survey_response_rates(program_id=setup.program.pk)
    assert [(r.survey_id, r.kind, r.cohort_id, r.org_unit_id, r.invited, r.responded) for r in rows] == [
        (survey_id, KIND_REACTION, setup.cohort.pk, setup.learners[0].org_unit_id, 6, 2)
    ]
    assert other != survey_id


def test_import_records_many_responses_in_bulk(setup, django_assert_max_num_queries):
    survey_id = _survey(setup)
    rows = [
        ImportedResponse(learner_id=p.pk, answers={**ANSWERS, "nps": 10 - i}, responded_at=at(1, 8 + i))
        for i, p in enumerate(setup.learners[:5])
    ]
    with django_assert_max_num_queries(32):  # constant: no query per row
        result = survey_responses_import(survey_id=survey_id, rows=rows, now=at(5))
    assert (result.recorded, result.statements, result.errors) == (5, 5, ())
    assert SurveyResponse.objects.count() == 5 and SurveyAnswer.objects.count() == 35
    assert Statement.objects.count() == 5
    invitations = SurveyInvitation.objects.filter(survey_id=survey_id, responded_at__isnull=False)
    assert invitations.count() == 5 and not invitations.filter(sent_at__isnull=True).exists()
    # The rest were due by then too: history says they were sent, so the response rate counts them.
    unanswered = SurveyInvitation.objects.filter(survey_id=survey_id, responded_at__isnull=True)
    assert unanswered.exists() and not unanswered.filter(sent_at__isnull=True).exists()
    # Same validation as a submit; all or nothing.
    bad = [
        ImportedResponse(learner_id=setup.learners[5].pk, answers={**ANSWERS, "nps": 11}, responded_at=at(2)),
        ImportedResponse(learner_id=setup.learners[0].pk, answers=ANSWERS, responded_at=at(2)),
        ImportedResponse(learner_id=setup.manager.pk, answers=ANSWERS, responded_at=at(2)),
    ]
    result = survey_responses_import(survey_id=survey_id, rows=bad, now=at(5))
    assert result.recorded == 0
    assert [(e.row, e.message) for e in result.errors] == [
        (1, "nps: Choose a number from 0 to 10."),
        (2, "Already answered"),
        (3, "No invitation to this survey for this learner"),
    ]
    assert SurveyResponse.objects.count() == 5


def test_import_into_an_anonymous_survey_keeps_no_person(setup):
    survey_id = _survey(setup, anonymous=True)
    rows = [ImportedResponse(learner_id=p.pk, answers=ANSWERS, responded_at=at(1, 9)) for p in setup.learners]
    survey_responses_import(survey_id=survey_id, rows=rows, now=at(2))
    assert not SurveyResponse.objects.filter(person__isnull=False).exists()
    assert not SurveyResponse.objects.filter(invitation__isnull=False).exists()
    assert not Statement.objects.filter(person__isnull=False).exists()
    assert set(SurveyInvitation.objects.values_list("responded_at", flat=True)) == {at(1, 0)}
    assert dt.timedelta(0) < at(1, 9) - at(1, 0)
