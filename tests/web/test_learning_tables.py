"""Learning-record tables: a survey's answers are not a learning score; activities by their display names."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from tandem.lrs.services import statements_store
from tests.factories import PersonFactory
from tests.lrs.factories import LrsClientFactory, agent, statement

pytestmark = pytest.mark.django_db

SURVEY = "https://tandem.example/xapi/activities/surveys/7"
COURSE = "https://lms.example/courses/phishing"


def _learner_with_a_course_and_a_survey():
    person = PersonFactory(first_name="Ann", last_name="Lee")
    who = agent(email=person.work_email, name=person.full_name)
    score = {"scaled": 0.7, "raw": 70, "min": 0, "max": 100}
    statements_store(
        statements=[
            statement(
                actor=who,
                verb="http://adlnet.gov/expapi/verbs/responded",
                obj={
                    "objectType": "Activity",
                    "id": SURVEY,
                    "definition": {
                        "name": {"en": "Phishing: what has changed since?"},
                        "type": "http://adlnet.gov/expapi/activities/survey",
                    },
                },
                result={"completion": True, "score": score},
            ),
            statement(
                actor=who,
                obj={
                    "objectType": "Activity",
                    "id": COURSE,
                    "definition": {"name": {"en-US": "Spot the phish"}},
                },
                result={"completion": True, "score": {**score, "scaled": 0.9, "raw": 90}},
            ),
        ],
        version="1.0.3",
        client=LrsClientFactory(),
    )
    return person


def test_a_surveys_answer_is_not_shown_as_a_score_and_activities_have_their_names(make_user, login):
    person = _learner_with_a_course_and_a_survey()
    client = login(make_user(roles=["learner"], person=person))
    page = html.unescape(client.get(reverse("learning_me")).content.decode())
    assert "Spot the phish" in page and "Phishing: what has changed since?" in page
    assert COURSE not in page.split("<tbody>")[1].split("</tbody>")[0]  # the name, not the IRI
    assert "90%" in page and "70%" not in page and 'data-testid="survey-not-a-score"' in page
    assert "answered" in page  # the statement row says what happened, without a score


def test_the_overview_and_the_person_page_agree(make_user, login):
    person = _learner_with_a_course_and_a_survey()
    client = login(make_user(roles=["ld_team"]))
    for url in (reverse("learning"), reverse("person_detail", args=[person.employee_id])):
        page = html.unescape(client.get(url).content.decode())
        assert "90%" in page and "70%" not in page and 'data-testid="survey-not-a-score"' in page, url
