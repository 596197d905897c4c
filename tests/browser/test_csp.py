"""The Content-Security-Policy holds in a real browser: no page of any role trips it.

Chromium reports every blocked inline script, style attribute, `<style>` block, eval or foreign asset as a
`securitypolicyviolation` event; the test records them from the first script on each page onward, and also
Chromium's console messages about the policy.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

import pytest
from django.utils import timezone

from tandem.surveys.models import SurveyInvitation
from tandem.surveys.records import KIND_REACTION
from tandem.surveys.services import survey_create
from tests.browser.pages import log_in
from tests.factories import OrgUnitFactory, PersonFactory
from tests.impact.factories import CohortFactory, ParticipantFactory, ProgramFactory
from tests.surveys.factories import token_of

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} in ${e.sourceFile}:${e.lineNumber}`);
});
"""
# Pages that are not in every role's menu but that each role can reach.
EXTRA_PAGES = {
    "ld_admin": ["/api/docs", "/admin/", "/password/change/"],
    "ld_team": ["/api/docs"],
}


def _violations(page: Any, console: list[str]) -> list[str]:
    found = list(page.evaluate("window.__csp || []"))
    found += [text for text in console if "Content Security Policy" in text]
    console.clear()
    return found


def _visit(page: Any, url: str, console: list[str]) -> list[str]:
    response = page.goto(url)
    page.wait_for_load_state("networkidle")
    assert response is not None and response.status < 400, url
    assert "default-src 'self'" in (response.headers.get("content-security-policy") or "")
    return [f"{url}: {v}" for v in _violations(page, console)]


def _open(browser: Any, **options: Any) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(**options)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(15000)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    return context, page, console


@pytest.mark.parametrize("role", ["ld_admin", "ld_team", "stakeholder", "manager", "learner", "it_reviewer"])
def test_no_page_of_a_role_violates_the_policy(
    role: str, browser: Any, live_server: Any, small_company: dict[str, str]
) -> None:
    context, page, console = _open(browser, viewport={"width": 1280, "height": 900})
    try:
        found = _visit(page, f"{live_server.url}/login/", console)
        log_in(page, live_server.url, small_company[role])
        found += [f"after log-in: {v}" for v in _violations(page, console)]
        # htmx is loaded and working under the policy (it would add an inline <style> if not configured).
        assert page.evaluate("typeof htmx") == "object"
        links = [link.get_attribute("href") for link in page.locator("nav.mainnav a").all()]
        pages = [urljoin(live_server.url, href) for href in links if href and not href.startswith("http")]
        pages += [live_server.url + path for path in EXTRA_PAGES.get(role, [])]
        assert len(pages) >= 2
        for url in dict.fromkeys(pages):
            found += _visit(page, url, console)
        assert found == []
        # The recorder sees what the policy blocks: an injected inline style is reported.
        page.evaluate("""document.body.insertAdjacentHTML("beforeend", '<p style="color: red">x</p>')""")
        page.wait_for_timeout(200)
        assert any("style-src" in v for v in _violations(page, console))
    finally:
        context.close()


@pytest.fixture
def invitation(transactional_db: Any) -> SurveyInvitation:
    unit = OrgUnitFactory(code="SALES", name="Sales")
    program = ProgramFactory(code="coaching", name="Coaching for sales")
    cohort = CohortFactory(program=program, name="Wave 1", start_date=timezone.now().date())
    learner = PersonFactory(org_unit=unit, first_name="Lea")
    ParticipantFactory(cohort=cohort, person=learner)
    created = survey_create(actor_id=None, program_id=program.pk, kind=KIND_REACTION, now=timezone.now())
    return SurveyInvitation.objects.get(survey_id=created.survey_id, person=learner)


def test_the_public_survey_page_keeps_its_styles_under_the_policy(
    browser: Any, live_server: Any, invitation: SurveyInvitation
) -> None:
    context, page, console = _open(browser, viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        found = _visit(page, f"{live_server.url}/s/{token_of(invitation)}/", console)
        assert found == []
        # survey.css applied: the 1-5 buttons are at least 48 px (the stylesheet, not an inline <style>).
        box = page.locator(".survey .scale span").first.bounding_box()
        assert box is not None and box["height"] >= 48
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert _violations(page, console) == []
    finally:
        context.close()
