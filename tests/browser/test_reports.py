"""L&D on a program's impact page: drill the tiers down by wave, download every export, edit the case study."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.browser.pages import log_in
from tests.impact.factories import build

pytestmark = pytest.mark.browser


@pytest.fixture
def program(small_company: dict[str, str]) -> Any:
    """Three waves (W4, W6, W9) of 12 people and 20 colleagues to compare with; the program adds 3 tickets."""
    return build(effect=3.0, per_cohort=12, comparison=20)


def _download(page: Any, link_text: str, tmp_path: Path) -> tuple[str, bytes]:
    with page.expect_download() as caught:
        page.locator("[data-testid=program-reports] a", has_text=link_text).click()
    download = caught.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    return download.suggested_filename, target.read_bytes()


def test_ld_drills_the_tiers_down_by_wave_and_downloads_every_export(
    page: Any, live_server: Any, small_company: dict[str, str], program: Any, tmp_path: Path
) -> None:
    log_in(page, live_server.url, small_company["ld_admin"])
    page.goto(f"{live_server.url}/programs/coach/")
    assert page.locator("h1", has_text=program.name).is_visible()
    tiers = page.locator("[data-testid=tiers]")
    assert tiers.locator("strong[aria-current]").text_content() == "Whole program"
    page.evaluate("window.notReloaded = true")  # gone if the link loads a whole page instead of swapping

    with page.expect_response(lambda response: "/programs/coach/tiers/" in response.url):
        tiers.locator("a", has_text="By wave").click()
    heads = page.locator("[data-testid=tier-operational] thead th")
    heads.filter(has_text="W9").wait_for()
    assert [(h.text_content() or "").strip() for h in heads.all()] == [
        "Figure",
        "Whole program",
        "W4",
        "W6",
        "W9",
    ]
    assert page.evaluate("window.notReloaded") is True
    assert "group_by=cohort" in page.url
    assert page.locator("[data-testid=tiers] strong[aria-current]").text_content() == "By wave"
    enrolled = page.locator("[data-testid=tier-operational] tr[data-figure=enrolled] td.num")
    assert [(cell.text_content() or "").strip() for cell in enrolled.all()] == ["36", "12", "12", "12"]

    # The pushed URL is a real page: reloading it shows the same drill-down.
    page.reload()
    assert page.locator("[data-testid=tiers] strong[aria-current]").text_content() == "By wave"

    name, pdf = _download(page, "PDF", tmp_path)
    assert name.startswith("coach") and name.endswith(".pdf") and pdf.startswith(b"%PDF-") and len(pdf) > 1000
    name, xlsx = _download(page, "Excel", tmp_path)
    assert name.endswith(".xlsx") and xlsx.startswith(b"PK")
    assert load_workbook(io.BytesIO(xlsx)).sheetnames
    name, text = _download(page, "CSV", tmp_path)
    rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert name.endswith(".csv") and len(rows) > 5 and all(len(row) > 1 for row in rows[:5])
    name, html = _download(page, "HTML", tmp_path)
    assert name.endswith(".html") and b"<html" in html and program.name.encode() in html
    # Standalone: no stylesheet, script or image fetched from anywhere.
    assert b"<script src" not in html and b'<link rel="stylesheet"' not in html


def test_ld_drafts_the_case_study_and_edits_a_section(
    page: Any, live_server: Any, small_company: dict[str, str], program: Any
) -> None:
    log_in(page, live_server.url, small_company["ld_admin"])
    page.goto(f"{live_server.url}/programs/coach/")
    page.locator("[data-testid=program-reports] a", has_text="Case study").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/programs/coach/case-study/")
    assert page.locator("text=No case study yet").is_visible()

    page.click("button:has-text('Draft from the data')")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/case-study/edit/")
    drafted = page.input_value("#id_impact")
    assert "People who took the program had" in drafted

    page.fill("#id_impact", "Three more tickets a month per agent, as the pilot promised.")
    page.click("button:has-text('Save')")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/programs/coach/case-study/")
    assert page.locator(".messages", has_text="Case study saved").is_visible()
    impact = page.locator("[data-testid=impact]").text_content() or ""
    assert "Three more tickets a month per agent" in impact and drafted not in impact
    assert page.locator("[data-testid=what-happened]").is_visible()
    # A redraft keeps the section L&D edited.
    page.click("button:has-text('Redraft from the data')")
    page.wait_for_load_state("networkidle")
    assert "Three more tickets a month per agent" in page.input_value("#id_impact")
