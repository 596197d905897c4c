"""A learner's own records ("My learning") and a department head's group figures ("Department learning")."""

from __future__ import annotations

from typing import Any

import pytest

from tandem.lrs.services import statements_store
from tests.browser.pages import log_in
from tests.factories import PersonFactory
from tests.lrs.factories import ATTEMPTED, COMPLETED, LrsClientFactory, agent, statement

pytestmark = pytest.mark.browser

LENA_COURSE = "http://example.com/a/negotiation"
RITA_COURSE = "http://example.com/a/cloud-security"


def _activity(iri: str, name: str) -> dict[str, Any]:
    return {"objectType": "Activity", "id": iri, "definition": {"name": {"en-US": name}}}


@pytest.fixture
def learning(small_company: dict[str, str]) -> None:
    """Lena (CS) and Rita (TECH) each did a course; five more CS colleagues did Lena's, so CS has a group."""
    from tandem.org.models import OrgUnit

    customer_service = OrgUnit.objects.get(code="CS")
    batch = [
        statement(
            actor=agent("lena.learner@example.com", "Lena Learner"),
            verb=ATTEMPTED,
            obj=_activity(LENA_COURSE, "Negotiation basics"),
        ),
        statement(
            actor=agent("lena.learner@example.com", "Lena Learner"),
            verb=COMPLETED,
            obj=_activity(LENA_COURSE, "Negotiation basics"),
            result={"completion": True, "success": True, "score": {"scaled": 0.9}},
        ),
        statement(
            actor=agent("rita.report@example.com", "Rita Report"),
            verb=COMPLETED,
            obj=_activity(RITA_COURSE, "Cloud security"),
            result={"completion": True},
        ),
    ]
    for i in range(5):
        email = f"cs{i}@example.com"
        PersonFactory(employee_id=f"C{i:03d}", work_email=email, org_unit=customer_service)
        batch.append(
            statement(
                actor=agent(email, f"Colleague {i}"),
                verb=COMPLETED,
                obj=_activity(LENA_COURSE, "Negotiation basics"),
                result={"completion": True},
            )
        )
    statements_store(statements=batch, version="1.0.3", client=LrsClientFactory())


def test_a_learner_sees_only_their_own_records(
    page: Any, live_server: Any, small_company: dict[str, str], learning: None
) -> None:
    log_in(page, live_server.url, small_company["learner"])
    page.click("nav.mainnav a:has-text('My learning')")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/learning/me/")
    assert page.locator("nav.mainnav a[aria-current]").text_content() == "My learning"
    body = page.locator("main").inner_text()
    assert "My learning records" in body and "Negotiation basics" in body and "90%" in body
    rows = page.locator("main table").first.locator("tbody tr")
    assert rows.count() == 1
    for someone_else in ("Cloud security", "Rita", "rita.report@example.com", "Colleague", "cs0@example.com"):
        assert someone_else not in body
    # Nobody else's records through the L&D pages either.
    response = page.goto(f"{live_server.url}/learning/statements/")
    assert response is not None and response.status == 403


def test_my_learning_fits_a_phone(
    browser: Any, live_server: Any, small_company: dict[str, str], learning: None
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        log_in(page, live_server.url, small_company["learner"])
        page.goto(f"{live_server.url}/learning/me/")
        assert page.locator("text=Negotiation basics").first.is_visible()
        # The activities table keeps to the screen: secondary columns are left out on a phone.
        table = page.locator("main table").first.bounding_box()
        assert table is not None and table["x"] + table["width"] <= 390
    finally:
        context.close()


def test_a_department_head_sees_group_figures_of_their_department(
    page: Any, live_server: Any, small_company: dict[str, str], learning: None
) -> None:
    log_in(page, live_server.url, small_company["stakeholder"])
    page.click("nav.mainnav a:has-text('Department learning')")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/learning/department/")
    assert page.locator("h1").text_content() == "Learning in your department"
    body = page.locator("main").inner_text()
    # Six people in Customer Service learned (Lena and five colleagues); Rita's TECH course is not here.
    assert "6\npeople learning" in body
    assert "Negotiation basics" in body and "Cloud security" not in body
    assert page.locator("main svg").first.is_visible()
    for individual in ("Lena", "lena.learner@example.com", "Colleague 1", "cs1@example.com"):
        assert individual not in body


def test_person_page_shows_learning_records_to_ld_but_not_to_the_manager(
    page: Any, live_server: Any, small_company: dict[str, str], learning: None
) -> None:
    log_in(page, live_server.url, small_company["ld_team"])
    page.goto(f"{live_server.url}/people/P007/")
    section = page.locator("section[aria-labelledby=learning-heading]")
    assert section.is_visible()
    row = section.locator("tbody tr")
    assert row.count() == 1
    cells = row.first.locator("td").all_inner_texts()
    # Rita's course: completed, no attempt reported (a dash, not 0).
    assert cells[0] == "Cloud security" and cells[1] == "—" and cells[2] != "no"
    # Her manager sees her person page, but individual learning records are L&D's and hers only.
    page.context.clear_cookies()
    log_in(page, live_server.url, small_company["manager"])
    response = page.goto(f"{live_server.url}/people/P007/")
    assert response is not None and response.status == 200
    assert "Rita Report" in page.locator("h1").inner_text()
    assert page.locator("section[aria-labelledby=learning-heading]").count() == 0
    assert "Cloud security" not in page.locator("main").inner_text()


def test_data_quality_fits_a_phone_with_long_actor_identifiers(
    browser: Any, live_server: Any, small_company: dict[str, str], learning: None
) -> None:
    home_page = "https://learning-platform.a-rather-long-vendor-hostname.example.com/tenants/brightwater"
    statements_store(
        statements=[
            statement(
                actor={"objectType": "Agent", "account": {"homePage": home_page, "name": "user-0123456789"}},
                verb=COMPLETED,
                obj=_activity(LENA_COURSE, "Negotiation basics"),
            )
        ],
        version="1.0.3",
        client=LrsClientFactory(),
    )
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        log_in(page, live_server.url, small_company["ld_team"])
        page.goto(f"{live_server.url}/learning/data-quality/")
        # Two cells name the homePage: the actor, and why it is unmatched (no mapping for it).
        assert page.locator(f"main td:has-text('{home_page}')").count() == 2
        # Identifiers break inside the table instead of pushing it past the screen's edge.
        table = page.locator("main table").first.bounding_box()
        assert table is not None and table["x"] + table["width"] <= 390
    finally:
        context.close()
