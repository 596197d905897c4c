"""An L&D admin imports an HR file in a real browser: a bad file shows row errors, a good one adds people."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.pages import log_in

pytestmark = pytest.mark.browser

HEADER = (
    "employee_id,first_name,last_name,work_email,org_unit_code,hire_date,manager_employee_id,job_title\r\n"
)


def _upload(page: Any, base_url: str, path: Path) -> None:
    page.goto(f"{base_url}/imports/")
    page.select_option("#id_kind", "people")
    page.set_input_files("#id_file", str(path))
    page.click("text=Check file")
    page.wait_for_load_state("networkidle")


def test_bad_file_shows_row_errors_then_good_file_adds_people(
    page: Any, live_server: Any, small_company: dict[str, str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER
        + "N100,Nora,Newhire,nora.newhire@example.com,CS,2025-13-01,P003,Agent\r\n"
        + "N101,Omar,Other,omar.other@example.com,CS,2025-02-01,NOBODY,Agent\r\n",
        encoding="utf-8-sig",
    )
    log_in(page, live_server.url, small_company["ld_admin"])
    _upload(page, live_server.url, bad)
    errors = page.locator("section.panel:has(h2:has-text('Errors')) tbody tr")
    assert errors.count() == 2
    first, second = errors.nth(0).inner_text(), errors.nth(1).inner_text()
    assert "2" in first and "hire_date" in first
    assert "3" in second and "manager" in second.lower()
    assert page.locator("text=Nothing has been written").is_visible()

    good = tmp_path / "good.csv"
    good.write_text(
        HEADER
        + "N100,Nora,Newhire,nora.newhire@example.com,CS,2025-01-13,P003,Agent\r\n"
        + "N101,Omar,Other,omar.other@example.com,CS,2025-02-01,N100,Agent\r\n",
        encoding="utf-8",
    )
    _upload(page, live_server.url, good)
    page.click("button:has-text('Import 2 rows')")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/people/?q=Newhire")
    results = page.locator("main table tbody tr")
    assert results.count() == 1
    assert "Nora" in results.first.inner_text()
    page.goto(f"{live_server.url}/people/N101/")
    assert page.locator("text=Customer Service").first.is_visible()
    assert page.locator("text=Nora Newhire").first.is_visible()
