"""The demo company as a person meets it: every printed demo log-in reaches its own home page."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from tests.browser.pages import log_in

pytestmark = pytest.mark.browser


def test_every_demo_login_reaches_its_home_page(
    page: Any, live_server: Any, transactional_db: Any, tmp_path: Path
) -> None:
    with override_settings(DATA_DIR=tmp_path):
        call_command("demo", "--no-serve", stdout=StringIO())
    logins = json.loads((tmp_path / "demo-logins.json").read_text())["logins"]
    assert {login["role"] for login in logins} == {
        "ld_admin",
        "ld_team",
        "stakeholder",
        "manager",
        "learner",
        "it_reviewer",
    }
    for login in logins:
        log_in(page, live_server.url, login["email"], login["password"])
        assert page.locator(f"[data-testid=home-{login['role']}]").is_visible(), login["role"]
        page.click("button:has-text('Log out')")
        page.wait_for_load_state("networkidle")
        assert "/login/" in page.url
