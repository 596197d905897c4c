"""Exports of a program's impact report: the numbers match the estimate, the files open."""

import csv
import dataclasses
import io
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tandem.core.scope import AccessDenied, PersonScope
from tandem.impact.estimates import program_impact_estimate
from tandem.reports.exports import report_csv, report_filename, report_rows, report_xlsx
from tandem.reports.pdf import report_pdf
from tandem.reports.records import TIER_BUSINESS, TIER_OPERATIONAL, ProgramTiers, TierFigure, TierGroup
from tandem.reports.selectors import program_report_get
from tests.factories import OrgUnitFactory
from tests.reports.factories import pdf_strings

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(program):
    return program_report_get(scope=PersonScope.all(), code="coach")


@pytest.fixture
def estimate(program):
    return program_impact_estimate(program_id=program.pk, metric_code="tickets")


def test_csv_holds_the_estimate_event_study_and_roi(report, estimate):
    rows = list(csv.DictReader(io.StringIO(report_csv(report=report))))
    effect = next(r for r in rows if r["section"] == "estimate" and r["key"] == "effect")
    assert float(effect["value"]) == pytest.approx(estimate.overall.estimate)
    assert float(effect["ci_low"]) == pytest.approx(estimate.overall.ci_low)
    assert float(effect["ci_high"]) == pytest.approx(estimate.overall.ci_high)
    assert int(effect["n"]) == estimate.n_treated == 36
    assert effect["note"] == estimate.sentence
    events = [r for r in rows if r["section"] == "event_study"]
    assert [int(r["period"]) for r in events] == [p.relative_month for p in estimate.event_study]
    assert [float(r["value"]) for r in events] == pytest.approx([p.estimate for p in estimate.event_study])
    roi = {r["key"]: r for r in rows if r["section"] == "roi"}
    assert float(roi["roi_percent"]["value"]) == pytest.approx(estimate.roi.roi_percent)
    assert float(roi["benefits"]["value"]) == pytest.approx(estimate.roi.benefits)
    total = next(r for r in rows if r["section"] == "cost" and r["key"] == "total")
    assert float(total["value"]) == 5000
    waves = [r for r in rows if r["section"] == "wave"]
    assert [int(r["n"]) for r in waves] == [12, 12, 12]
    trends = {r["group"] for r in rows if r["section"] == "trend"}
    assert trends == {line.label for line in estimate.trends}


def test_xlsx_opens_with_a_sheet_per_kind_of_number(report, estimate):
    book = load_workbook(io.BytesIO(report_xlsx(report=report)))
    assert book.sheetnames == [
        "Estimates",
        "Event study",
        "Trends",
        "Waves",
        "Balance",
        "Tiers",
        "Costs and ROI",
        "Sensitivity",
    ]
    summary = {row[0]: row[1] for row in book["Estimates"].iter_rows(values_only=True) if row and row[0]}
    assert summary["Code"] == "coach" and summary["Headline"] == estimate.sentence
    header = next(r for r in book["Estimates"].iter_rows(values_only=True) if r and r[0] == "key")
    effect = next(r for r in book["Estimates"].iter_rows(values_only=True) if r and r[0] == "effect")
    values = dict(zip(header, effect, strict=False))
    assert values["value"] == pytest.approx(estimate.overall.estimate)
    assert values["ci_low"] == pytest.approx(estimate.overall.ci_low)
    events = list(book["Event study"].iter_rows(values_only=True))[1:]
    assert len(events) == len(estimate.event_study)
    roi = {r[0]: r for r in book["Costs and ROI"].iter_rows(values_only=True)}
    assert roi["roi_percent"][4] == pytest.approx(estimate.roi.roi_percent)


def test_pdf_opens_and_says_the_headline(report, estimate):
    pdf = report_pdf(report=report)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    text = pdf_strings(pdf)
    assert estimate.sentence in text
    assert "Costs and return on investment" in text and "Total, fully loaded" in text
    assert pdf.count(b"/SMask") == 2  # the event-study and trend charts (PNG with a transparency mask)


def test_pdf_prints_units_and_the_balance_check(report):
    text = pdf_strings(report_pdf(report=report))
    total = report.program.total_cost
    assert f"€{total:,.0f}" in text  # money with its currency, not "345.2 money"
    assert f"{report.program.summary.participants} participants" in text
    assert not re.search(r"\d\.0 people|\bmoney\b", text)
    assert "Balance check" in text and "SMD" in text


def test_pdf_does_not_end_on_a_near_empty_page(report):
    reader = PdfReader(io.BytesIO(report_pdf(report=report)))
    if len(reader.pages) > 1:
        last = reader.pages[-1].extract_text()
        body = last.rsplit(" - page ", 1)[0]  # without the footer
        assert len(body.split()) > 25, body


def test_currency_setting_reaches_every_format(program, settings):
    settings.TANDEM_CURRENCY = "USD"
    report = program_report_get(scope=PersonScope.all(), code="coach")
    rows = list(csv.DictReader(io.StringIO(report_csv(report=report))))
    assert {r["unit"] for r in rows if r["section"] == "cost"} == {"USD"}
    text = pdf_strings(report_pdf(report=report))
    assert "$" in text and "€" not in text
    book = load_workbook(io.BytesIO(report_xlsx(report=report)))
    summary = {row[0]: row[1] for row in book["Estimates"].iter_rows(values_only=True) if row and row[0]}
    assert summary["Currency"] == "USD"
    cost = next(r for r in book["Costs and ROI"].iter_rows() if r[0].value == "total")
    assert "$" in cost[4].number_format


def test_small_groups_leave_no_figure_in_any_format(program, settings):
    settings.TANDEM_MIN_GROUP_SIZE = 100
    report = program_report_get(scope=PersonScope.all(), code="coach")
    assert report.estimate is not None and report.estimate.overall is None
    rows = list(csv.DictReader(io.StringIO(report_csv(report=report))))
    effect = next(r for r in rows if r["key"] == "effect")
    assert effect["value"] == "" and effect["note"].startswith("Not reported")
    assert not [r for r in rows if r["section"] in {"event_study", "trend", "wave", "roi"}]
    assert report_pdf(report=report).count(b"/Subtype /Image") == 0


def test_tier_figures_suppressed_for_small_groups_say_so(report):
    tiers = ProgramTiers(
        program_id=report.program.summary.id,
        group_by="org_unit",
        overall=(
            TierFigure(
                "completion_rate",
                "Completion rate",
                TIER_OPERATIONAL,
                83.3,
                "%",
                36,
                False,
                "completed / enrolled",
            ),
        ),
        groups=(
            TierGroup(
                "7",
                "Small team",
                (
                    TierFigure(
                        "metric_change",
                        "Change in tickets",
                        TIER_BUSINESS,
                        None,
                        "tickets",
                        3,
                        True,
                        "mean after - before",
                    ),
                ),
            ),
        ),
        minimum_group=5,
    )
    rows = [r for r in report_rows(report=dataclasses.replace(report, tiers=tiers)) if r.section == "tier"]
    assert [(r.key, r.value, r.group) for r in rows] == [
        ("completion_rate", 83.3, "Operational"),
        ("metric_change", None, "Business / Small team"),
    ]
    assert "fewer than 5" in rows[1].note


def test_typed_text_never_becomes_a_spreadsheet_formula(report):
    program = dataclasses.replace(
        report.program,
        costs=(dataclasses.replace(report.program.costs[0], description='=HYPERLINK("http://x","y")'),),
    )
    hostile = dataclasses.replace(report, impact=dataclasses.replace(report.impact, detail=program))
    rows = list(csv.reader(io.StringIO(report_csv(report=hostile))))
    cost = next(r for r in rows if r[:2] == ["cost", "vendor_fee"])
    assert cost[2] == '\'=HYPERLINK("http://x","y")'
    assert any(r[0] == "event_study" and r[4].startswith("-") and r[4][1:].isdigit() for r in rows)
    book = load_workbook(io.BytesIO(report_xlsx(report=hostile)))
    labels = [r[1] for r in book["Costs and ROI"].iter_rows(values_only=True)]
    assert '\'=HYPERLINK("http://x","y")' in labels


def test_file_names_carry_the_code_and_date(report):
    assert (
        report_filename(report=report, extension="pdf") == f"coach-impact-{report.generated_on:%Y-%m-%d}.pdf"
    )


def test_report_of_a_program_outside_the_scope_is_refused(program):
    with pytest.raises(AccessDenied):
        program_report_get(scope=PersonScope(org_unit_ids=frozenset({OrgUnitFactory().pk})), code="coach")
    with pytest.raises(AccessDenied):
        program_report_get(scope=PersonScope.all(), code="nope")
