"""A survey invitation answered on a phone, without an account: the link is the key."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from tandem.surveys.models import SurveyAnswer, SurveyInvitation, SurveyResponse
from tandem.surveys.records import KIND_REACTION
from tandem.surveys.selectors import survey_answers_for_program
from tandem.surveys.services import survey_create
from tests.factories import OrgUnitFactory, PersonFactory
from tests.impact.factories import CohortFactory, ParticipantFactory, ProgramFactory
from tests.surveys.factories import token_of

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
TAPS = {
    "satisfaction": "5",
    "relevance": "4",
    "engagement": "4",
    "nps": "9",
    "confidence": "3",
    "commitment": "5",
}


@pytest.fixture
def invitation(transactional_db: Any) -> SurveyInvitation:
    """A reaction survey of a one-wave program that started today; the first learner's invitation."""
    unit = OrgUnitFactory(code="SALES", name="Sales")
    manager = PersonFactory(first_name="Maria", last_name="Boss", org_unit=unit)
    program = ProgramFactory(code="coaching", name="Coaching for sales")
    cohort = CohortFactory(program=program, name="Wave 1", start_date=timezone.now().date())
    learners = [PersonFactory(org_unit=unit, manager=manager, first_name=f"Lea{i}") for i in range(3)]
    for person in learners:
        ParticipantFactory(cohort=cohort, person=person)
    created = survey_create(actor_id=None, program_id=program.pk, kind=KIND_REACTION, now=timezone.now())
    return SurveyInvitation.objects.get(survey_id=created.survey_id, person=learners[0])


def test_a_survey_link_is_answered_on_a_phone(
    browser: Any, live_server: Any, invitation: SurveyInvitation
) -> None:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(15000)
    link = f"{live_server.url}/s/{token_of(invitation)}/"
    try:
        page.goto(link)
        assert "/login/" not in page.url
        assert page.locator("h1").text_content() == invitation.survey.title
        # Nothing sideways on a phone: the 0-10 scale wraps instead of overflowing.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        for key, value in TAPS.items():
            # The radio itself is visually hidden; people tap the numbered box that is its label.
            page.locator(f"#q-{key} label", has=page.locator(f"input[value='{value}']")).tap()
            assert page.locator(f"#q-{key} input[value='{value}']").is_checked()
        page.fill("#f-comment", "More role play, please.")
        # A tap does not wait for the form's navigation the way a click does.
        with page.expect_navigation():
            page.locator("button[type=submit]").tap()
        assert page.locator("[data-testid=thanks]").is_visible()
        assert invitation.survey.title in (page.locator("[data-testid=thanks]").text_content() or "")

        response = SurveyResponse.objects.get(survey=invitation.survey)
        assert response.person_id == invitation.person_id
        answers = dict(SurveyAnswer.objects.filter(response=response).values_list("question_key", "value"))
        assert {key: answers[key] for key in TAPS} == {key: float(value) for key, value in TAPS.items()}
        rows = survey_answers_for_program(program_id=invitation.survey.program_id)
        assert {row.question_key for row in rows} >= set(TAPS)
        invitation.refresh_from_db()
        assert invitation.responded_at is not None

        second = page.goto(link)
        assert second is not None and second.status == 410
        assert page.locator("h1").text_content() == "You have already answered"
        assert SurveyResponse.objects.filter(survey=invitation.survey).count() == 1
    finally:
        context.close()


def test_a_missing_answer_is_marked_and_the_taps_are_kept(
    browser: Any, live_server: Any, invitation: SurveyInvitation
) -> None:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/s/{token_of(invitation)}/")
        page.locator("#q-satisfaction label", has=page.locator("input[value='2']")).tap()
        with page.expect_navigation():
            page.locator("button[type=submit]").tap()
        assert page.locator("[data-testid=form-errors]").is_visible()
        assert page.locator("[data-testid=error-nps]").is_visible()
        assert page.locator("#q-satisfaction input[value='2']").is_checked()
        assert not SurveyResponse.objects.exists()
    finally:
        context.close()
