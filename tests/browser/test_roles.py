"""Each demo role logs in through a real browser and lands on its own home page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.pages import log_in

pytestmark = pytest.mark.browser

EXPECTED_NAV = {
    "ld_admin": {
        "People",
        "Organisation",
        "Initiatives",
        "Metrics",
        "Programs",
        "Business cases",
        "Learning data",
        "Surveys",
        "Imports",
        "Audit log",
        "Users & roles",
        "System",
        "Admin",
    },
    "ld_team": {
        "People",
        "Organisation",
        "Initiatives",
        "Metrics",
        "Programs",
        "Business cases",
        "Learning data",
        "Surveys",
    },
    # Everyone linked to an HR record without L&D access gets "My learning" (all six accounts are linked).
    "stakeholder": {
        "People",
        "Organisation",
        "Initiatives",
        "Metrics",
        "Programs",
        "My learning",
        "Department learning",
    },
    "manager": {"People", "Organisation", "Initiatives", "Metrics", "My learning"},
    "learner": {"People", "Initiatives", "My learning"},
    "it_reviewer": {"System", "My learning"},
}


@pytest.mark.parametrize("role", list(EXPECTED_NAV))
def test_each_role_sees_its_home_page(
    role: str, page: Any, live_server: Any, small_company: dict[str, str]
) -> None:
    log_in(page, live_server.url, small_company[role])
    assert page.url.rstrip("/") == live_server.url
    assert page.locator(f"[data-testid=home-{role}]").is_visible()
    # Management pages fold into a "Manage" menu when there are several: read every link, shown or folded.
    nav = {(link.text_content() or "").strip() for link in page.locator("nav.mainnav a").all()}
    assert nav == {"Home"} | EXPECTED_NAV[role]
    if role in ("ld_admin", "ld_team"):
        # L&D's working pages and the management pages fold so that the header keeps to one line.
        folded = "Audit log" if role == "ld_admin" else "Surveys"
        assert not page.locator("nav.mainnav a", has_text=folded).is_visible()
        assert page.locator("header").bounding_box()["height"] < 60
        page.click("nav.mainnav summary")
        assert page.locator("nav.mainnav a", has_text=folded).is_visible()


def test_wrong_password_is_refused(page: Any, live_server: Any, small_company: dict[str, str]) -> None:
    log_in(page, live_server.url, small_company["learner"], password="not-the-password")
    assert "/login/" in page.url
    assert page.locator("text=did not match").is_visible()


def test_learner_cannot_open_the_audit_log(
    page: Any, live_server: Any, small_company: dict[str, str]
) -> None:
    log_in(page, live_server.url, small_company["learner"])
    response = page.goto(f"{live_server.url}/audit/")
    assert response is not None and response.status == 403


def test_menu_collapses_on_a_phone(browser: Any, live_server: Any, small_company: dict[str, str]) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        log_in(page, live_server.url, small_company["ld_admin"])
        assert not page.locator("nav.mainnav").is_visible()
        page.click("details.menu summary")
        assert page.locator("details.menu nav a", has_text="People").is_visible()
    finally:
        context.close()
