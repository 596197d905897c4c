"""Browser tests: Debian's chromium driven by Playwright (no downloaded browser), against live_server."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.pages import BROWSER_PASSWORD

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ROLE_EMAILS = {
    "ld_admin": "ada.admin@example.com",
    "ld_team": "tom.team@example.com",
    "stakeholder": "sara.stake@example.com",
    "manager": "mark.manager@example.com",
    "learner": "lena.learner@example.com",
    "it_reviewer": "ivan.it@example.com",
}


def _chromium_path() -> str:
    path = os.environ.get("TANDEM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Debian chromium is required for browser tests (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop; Django would refuse ORM calls from "async" context.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=_chromium_path(), args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def small_company(transactional_db: Any) -> dict[str, str]:
    """A small company with one account per role, built through the real services."""
    from tandem.accounts.services import user_create
    from tandem.org.people import people_bulk_upsert
    from tandem.org.records import PersonRow
    from tandem.org.services import org_unit_create

    start = dt.date(2024, 1, 1)
    org_unit_create(actor_id=None, code="ACME", name="Acme", kind="company", valid_from=start)
    org_unit_create(
        actor_id=None,
        code="HR",
        name="People & Learning",
        kind="department",
        parent_code="ACME",
        valid_from=start,
    )
    org_unit_create(
        actor_id=None,
        code="CS",
        name="Customer Service",
        kind="department",
        parent_code="ACME",
        valid_from=start,
    )
    org_unit_create(
        actor_id=None, code="TECH", name="Technology", kind="department", parent_code="ACME", valid_from=start
    )
    people = [
        ("P001", "Ada", "Admin", "HR", None),
        ("P002", "Tom", "Team", "HR", "P001"),
        ("P003", "Sara", "Stake", "CS", None),
        ("P004", "Mark", "Manager", "TECH", None),
        ("P005", "Lena", "Learner", "CS", "P003"),
        ("P006", "Ivan", "It", "TECH", "P004"),
        ("P007", "Rita", "Report", "TECH", "P004"),
    ]
    rows = [
        PersonRow(
            employee_id=eid,
            first_name=first,
            last_name=last,
            work_email=f"{first.lower()}.{last.lower()}@example.com",
            org_unit_code=unit,
            hire_date=start,
            manager_employee_id=manager,
            job_title="Specialist",
        )
        for eid, first, last, unit, manager in people
    ]
    people_bulk_upsert(rows=rows, on=start, actor_id=None, source="browser test")
    links = {
        "ld_admin": "P001",
        "ld_team": "P002",
        "stakeholder": "P003",
        "manager": "P004",
        "learner": "P005",
        "it_reviewer": "P006",
    }
    for role, email in ROLE_EMAILS.items():
        user_create(
            actor_id=None,
            email=email,
            password=BROWSER_PASSWORD,
            person_employee_id=links[role],
            roles=[role],
            stakeholder_org_unit_codes=["CS"] if role == "stakeholder" else [],
        )
    return ROLE_EMAILS
