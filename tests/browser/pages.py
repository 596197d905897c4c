"""Page helpers for browser tests."""

from __future__ import annotations

from typing import Any

BROWSER_PASSWORD = "browser-test-Pa55word"


def log_in(page: Any, base_url: str, email: str, password: str = BROWSER_PASSWORD) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
