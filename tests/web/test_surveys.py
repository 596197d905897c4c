"""Survey pages: the public answer link (no log-in, phone-friendly) and the L&D pages."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tandem.audit.models import AuditEvent
from tandem.lrs.models import Statement
from tandem.surveys.knowledge import knowledge_questions_of
from tandem.surveys.models import Survey, SurveyAnswer, SurveyInvitation, SurveyResponse
from tandem.surveys.records import KIND_BEHAVIOUR_MANAGER, KIND_KNOWLEDGE_POST, KIND_REACTION
from tandem.surveys.results import ImportedResponse
from tandem.surveys.services import survey_close, survey_create, survey_responses_import
from tests.impact.factories import ProgramFactory
from tests.surveys.factories import at, build_setup, knowledge_questions, token_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def wave(db):
    return build_setup()


FORM = {
    "satisfaction": "5",
    "relevance": "4",
    "engagement": "3",
    "nps": "10",
    "confidence": "4",
    "commitment": "5",
}


@pytest.fixture(autouse=True)
def _now(monkeypatch):
    """The pages read the clock; pin it inside the surveys' window (the outside world: the clock)."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: at(1))


def _survey(wave, **kwargs):
    kwargs.setdefault("kind", KIND_REACTION)
    return survey_create(actor_id=None, program_id=wave.program.pk, now=at(0), **kwargs).survey_id


def _link(survey_id, person):
    invitation = SurveyInvitation.objects.get(survey_id=survey_id, subject=person)
    return reverse("survey_answer", args=[token_of(invitation)])


# --- the public answer page -------------------------------------------------------------------------


def test_the_link_works_without_logging_in_and_records_the_answers(wave):
    survey_id = _survey(wave)
    client = Client(enforce_csrf_checks=True)
    url = _link(survey_id, wave.learners[0])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "How likely are you to recommend this program to a colleague?" in html
    assert 'type="radio" name="nps" value="10"' in html and "csrfmiddlewaretoken" in html
    assert "Log out" not in html and "web/survey.css" in html  # big touch targets (tests/browser/test_csp.py)
    # CSRF still applies to the anonymous form.
    assert client.post(url, FORM).status_code == 403
    token = page.cookies["csrftoken"].value
    done = client.post(url, {**FORM, "comment": "Great", "csrfmiddlewaretoken": token})
    assert done.status_code == 200 and 'data-testid="thanks"' in done.content.decode()
    assert SurveyResponse.objects.count() == 1 and Statement.objects.count() == 1
    again = client.get(url)
    assert again.status_code == 410 and "You have already answered" in again.content.decode()
    resubmit = client.post(url, {**FORM, "csrfmiddlewaretoken": token})
    assert resubmit.status_code == 410 and SurveyResponse.objects.count() == 1


def test_each_wrong_answer_is_marked_and_the_values_are_kept(wave):
    survey_id = _survey(wave)
    url = _link(survey_id, wave.learners[0])
    response = Client().post(url, {**FORM, "satisfaction": "", "nps": "12", "comment": "Keep me"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="error-satisfaction"' in html and "Please answer this question." in html
    assert 'data-testid="error-nps"' in html and "Choose a number from 0 to 10." in html
    assert 'data-testid="error-relevance"' not in html
    assert 'name="relevance" value="4" checked' in html and "Keep me</textarea>" in html
    assert SurveyResponse.objects.count() == 0


@pytest.mark.parametrize(
    ("token", "status", "text"),
    [("nope", 404, "This survey link does not work"), ("x" * 500, 404, "not a survey link")],
)
def test_unknown_links_get_a_friendly_page(client, token, status, text):
    response = client.get(reverse("survey_answer", args=[token]))
    assert response.status_code == status and text in response.content.decode()


def test_closed_and_expired_links_get_410(wave):
    expired = _survey(wave, closes_after_days=1)
    closed = _survey(wave)
    survey_close(actor_id=None, survey_id=closed)
    for survey_id in (expired, closed):
        response = Client().get(_link(survey_id, wave.learners[0]))
        assert response.status_code == 410
        assert "This survey has closed" in response.content.decode()


def test_a_manager_is_asked_about_the_learner_by_name(wave):
    survey_id = _survey(wave, kind=KIND_BEHAVIOUR_MANAGER, send_after_days=0)
    learner = wave.learners[0]
    html = Client().get(_link(survey_id, learner)).content.decode()
    assert f"How much of what the program taught does {learner.first_name} apply today?" in html


def test_anonymous_surveys_say_so(wave):
    survey_id = _survey(wave, anonymous=True)
    html = Client().get(_link(survey_id, wave.learners[0])).content.decode()
    assert 'data-testid="anonymous-note"' in html


# --- L&D pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("ld_admin", 200),
        ("ld_team", 200),
        ("stakeholder", 403),
        ("manager", 403),
        ("learner", 403),
        ("it_reviewer", 403),
    ],
)
def test_only_ld_roles_see_survey_pages(wave, make_user, login, role, status):
    survey_id = _survey(wave)
    client = login(make_user(roles=[role]))
    for url in (reverse("surveys"), reverse("survey_new"), reverse("survey_detail", args=[survey_id])):
        assert client.get(url).status_code == status, url
    sent = client.post(reverse("survey_send", args=[survey_id]))
    assert sent.status_code == (302 if status == 200 else 403)


def test_anonymous_visitors_are_sent_to_log_in(client):
    assert client.get(reverse("surveys")).status_code == 302


def test_the_list_shows_rates_with_a_bounded_number_of_queries(
    wave,
    make_user,
    login,
    django_assert_max_num_queries,
):
    client = login(make_user(roles=["ld_team"]))
    for _ in range(6):
        _survey(wave)
    first = Survey.objects.order_by("id").first()
    SurveyInvitation.objects.filter(survey=first).update(sent_at=at(0))
    rows = [ImportedResponse(learner_id=p.pk, answers=FORM, responded_at=at(1)) for p in wave.learners[:3]]
    survey_responses_import(survey_id=first.pk, rows=rows, now=at(1))
    with django_assert_max_num_queries(8):
        page = client.get(reverse("surveys"))
    html = page.content.decode()
    assert page.status_code == 200 and len(re.findall(r'data-testid="survey-\d+"', html)) == 6
    assert "50%" in html and "<svg" in html
    assert 'href="/surveys/"' in html  # in the navigation


def test_create_a_survey_from_the_form(wave, make_user, login):
    client = login(make_user(roles=["ld_team"]))
    form = client.get(reverse("survey_new")).content.decode()
    assert "Coaching for sales" in form and "Wave 1" in form
    data = {
        "program": wave.program.pk,
        "cohort": wave.cohort.pk,
        "kind": KIND_REACTION,
        "anonymous": "on",
        "send_after_days": "0",
        "reminder_every_days": "2",
        "max_reminders": "3",
        "closes_after_days": "10",
    }
    response = client.post(reverse("survey_new"), data)
    survey = Survey.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("survey_detail", args=[survey.pk])
    assert survey.anonymous and survey.cohort_id == wave.cohort.pk and survey.closes_after_days == 10
    bad = client.post(reverse("survey_new"), {**data, "reminder_every_days": "0"})
    assert bad.status_code == 400 and 'data-testid="error-reminder_every_days"' in bad.content.decode()
    other = ProgramFactory()
    wrong = client.post(reverse("survey_new"), {**data, "program": other.pk})
    assert wrong.status_code == 400 and "not a cohort of this program" in wrong.content.decode()
    assert Survey.objects.count() == 1


def test_send_now_emails_everyone_not_yet_invited(
    wave,
    make_user,
    login,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    survey_id = _survey(wave, send_after_days=30)
    client = login(make_user(roles=["ld_admin"]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("survey_send", args=[survey_id]), follow=True)
    assert "Sending 6 invitations now" in response.content.decode()
    assert len(mailoutbox) == 6
    assert SurveyInvitation.objects.filter(survey_id=survey_id, sent_at__isnull=True).count() == 0


def test_detail_query_count_does_not_grow_with_responses(
    wave, make_user, login, django_assert_max_num_queries
):
    client = login(make_user(roles=["ld_admin"]))
    survey_id = _survey(wave)
    rows = [ImportedResponse(learner_id=p.pk, answers=FORM, responded_at=at(1)) for p in wave.learners]
    survey_responses_import(survey_id=survey_id, rows=rows, now=at(1))
    with django_assert_max_num_queries(14):
        assert client.get(reverse("survey_detail", args=[survey_id])).status_code == 200


def test_detail_hides_small_groups_and_shows_figures_for_large_ones(wave, make_user, login, settings):
    settings.TANDEM_MIN_GROUP_SIZE = 5
    client = login(make_user(roles=["ld_admin"]))
    survey_id = _survey(wave, anonymous=True)
    SurveyInvitation.objects.filter(survey_id=survey_id).update(sent_at=at(0))
    few = [
        ImportedResponse(learner_id=p.pk, answers={**FORM, "comment": f"Note {i}"}, responded_at=at(1))
        for i, p in enumerate(wave.learners[:4])
    ]
    survey_responses_import(survey_id=survey_id, rows=few, now=at(1))
    html = client.get(reverse("survey_detail", args=[survey_id])).content.decode()
    assert "fewer than 5, so no figure is shown" in html
    assert "Note 1" not in html and "Comments are shown once at least 5 people" in html
    assert 'data-testid="nps"' not in html
    more = [
        ImportedResponse(
            learner_id=p.pk, answers={**FORM, "nps": "3", "comment": "Note X"}, responded_at=at(1)
        )
        for p in wave.learners[4:]
    ]
    survey_responses_import(survey_id=survey_id, rows=more, now=at(1))
    html = client.get(reverse("survey_detail", args=[survey_id])).content.decode()
    # 4 promoters (10) and 2 detractors (3) of 6: NPS (4 - 2) / 6 = 33.
    assert 'data-testid="nps">33<' in html
    assert "Note 1" in html and "Note X" in html
    assert html.count("Note X") == 1 and "(2 people)" in html  # repeated words shown once, with a count
    assert ">100%<" in html and "<svg" in html
    for learner in wave.learners:
        assert learner.last_name not in html and learner.work_email not in html


# --- the knowledge check ------------------------------------------------------------------------------


def test_the_knowledge_check_page_shows_options_and_tandem_scores_them(wave):
    knowledge_questions(wave.program)
    survey_id = _survey(wave, kind=KIND_KNOWLEDGE_POST, send_after_days=0)
    client = Client()
    url = _link(survey_id, wave.learners[2])
    page = client.get(url).content.decode()
    assert 'type="radio" name="q1" value="0"' in page and 'type="checkbox" name="q3" value="2"' in page
    assert "Listening" in page and 'name="score"' not in page
    wrong = client.post(url, {"q1": "0", "q3": ["0", "2"]})
    assert wrong.status_code == 400 and 'data-testid="error-q2"' in wrong.content.decode()
    assert 'value="2" checked' in wrong.content.decode()  # the ticks come back
    assert client.post(url, {"q1": "0", "q2": "0", "q3": ["0", "2"]}).status_code == 200
    assert SurveyAnswer.objects.get(question_key="score").value == 100.0


def test_the_questions_page_saves_through_the_service(wave, make_user, login):
    client = login(make_user(roles=["ld_team"]))
    url = reverse("survey_knowledge", args=[wave.program.pk])
    assert 'data-testid="knowledge-form"' in client.get(url).content.decode()
    assert url in client.get(reverse("survey_new")).content.decode()
    bad = client.post(url, {"questions": "Which?\n- a\n- b"})
    assert bad.status_code == 400 and "mark at least one option" in bad.content.decode()
    response = client.post(url, {"questions": "Which?\n* a\n- b\n\nAnd?\n* c\n* d\n- e"})
    assert response.status_code == 302
    questions = knowledge_questions_of(program_id=wave.program.pk)
    assert [(q.text, q.correct) for q in questions] == [("Which?", (0,)), ("And?", (0, 1))]
    assert AuditEvent.objects.filter(entity_type="program", summary__startswith="Knowledge check").exists()
    assert client.get(reverse("survey_knowledge", args=[999999])).status_code == 404
