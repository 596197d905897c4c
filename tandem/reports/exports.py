"""Exports of a program's impact report and of case studies: charts, PDF, XLSX and CSV.

The HTML export is a template (tandem/web/templates/web/reports/); it gets its charts from here as inline
SVG. The PDF (tandem/reports/pdf.py) embeds the same charts as PNG. Every number comes from the
ProgramReport and every text from tandem.reports.present, so the formats agree with each other and with
the impact page; groups under the minimum size were already left without a figure upstream. Amounts carry
the currency code (settings.TANDEM_CURRENCY) as their unit, and the workbook formats them in it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.safestring import SafeString
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from tandem.core.charts import (
    Bar,
    bar_chart_svg,
)
from tandem.reports import present
from tandem.reports.business_case import BusinessCaseResult
from tandem.reports.charts import event_chart_svg, trend_chart_svg
from tandem.reports.records import TIER_BUSINESS, TIER_LEARNER, TIER_OPERATIONAL, ProgramTiers, TierFigure
from tandem.reports.selectors import BusinessCaseView, ProgramReport

TIER_LABELS = {
    TIER_OPERATIONAL: "Operational",
    TIER_LEARNER: "Learner",
    TIER_BUSINESS: "Business",
}
CSV_COLUMNS = (
    "section",
    "key",
    "label",
    "group",
    "period",
    "value",
    "ci_low",
    "ci_high",
    "unit",
    "n",
    "note",
)


# --- charts ---------------------------------------------------------------------------------------


def roi_range_chart_svg(*, result: BusinessCaseResult, width: int = 480) -> SafeString:
    return bar_chart_svg(
        bars=[
            Bar(category=f"{s.label} ({s.effect:.2f})", value=round(s.roi_percent, 1))
            for s in result.scenarios
        ],
        x_title="Scenario (effect per person and month)",
        y_title="Return on investment (%)",
        width=width,
        height=220,
        description="Return on investment of the proposed program: low, central and high scenario",
        empty_message="No comparable program has an estimate yet.",
    )


@dataclass(frozen=True)
class ReportCharts:
    event: SafeString | None
    trend: SafeString | None


def report_charts(*, report: ProgramReport, width: int = 720) -> ReportCharts:
    estimate = report.estimate
    return ReportCharts(
        event=event_chart_svg(estimate=estimate, width=width)
        if estimate is not None and estimate.has_figure
        else None,
        trend=trend_chart_svg(estimate=estimate, width=width)
        if estimate is not None and estimate.trends
        else None,
    )


# --- the numbers as one tidy table ------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    section: str  # estimate | event_study | trend | wave | balance | tier | cost | roi | sensitivity
    key: str
    label: str
    group: str = ""
    period: str = ""
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    unit: str = ""
    n: int | None = None
    note: str = ""

    def as_tuple(self) -> tuple[object, ...]:
        return tuple(spreadsheet_safe(getattr(self, column)) for column in CSV_COLUMNS)


def spreadsheet_safe(value: object) -> object:
    """Text a spreadsheet will not run as a formula (labels come from what people typed: program names,
    cost descriptions). Numbers, and text that reads as a number such as "-3", are left as they are."""
    if not isinstance(value, str) or not value or value[0] not in "=+-@\t\r":
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


def _tier_rows(tiers: ProgramTiers) -> Iterable[ReportRow]:
    def row(figure: TierFigure, group: str) -> ReportRow:
        note = figure.note or (
            f"fewer than {tiers.minimum_group} people: not reported" if figure.suppressed else ""
        )
        return ReportRow(
            section="tier",
            key=figure.key,
            label=figure.label,
            group=" / ".join(x for x in (TIER_LABELS.get(figure.tier, figure.tier), group) if x),
            value=figure.value,
            ci_low=figure.ci_low,
            ci_high=figure.ci_high,
            unit=present.currency_code() if figure.unit == "money" else figure.unit,
            n=figure.n,
            note=note,
        )

    for figure in tiers.overall:
        yield row(figure, "")
    for group in tiers.groups:
        for figure in group.figures:
            yield row(figure, group.label)


def _balance_rows(report: ProgramReport) -> Iterable[ReportRow]:
    for group in report.impact.balance:
        name = group.cohort_name or "Whole program"
        verdict = "no balance table" if not group.rows else "imbalanced" if group.warning else "balanced"
        yield ReportRow(
            section="balance",
            key="group",
            label=f"{group.method} comparison group",
            group=name,
            period=group.as_of.isoformat(),
            value=float(group.comparison),
            unit="people",
            n=group.participants,
            note=verdict,
        )
        for row in group.rows:
            smd = row.smd_after if row.mean_treated_after is not None else row.smd_before
            yield ReportRow(
                section="balance",
                key="smd",
                label=row.covariate,
                group=name,
                value=smd,
                unit="SMD",
                note="differs" if row.imbalanced else "",
            )


def report_rows(*, report: ProgramReport) -> list[ReportRow]:
    """Every number of the report, one per row (the CSV, and the sheets of the workbook)."""
    rows: list[ReportRow] = []
    e = report.estimate
    currency = present.currency_code()
    if e is not None:
        o = e.overall
        rows.append(
            ReportRow(
                section="estimate",
                key="effect",
                label=f"Effect on {e.metric_name} per person and month",
                value=o.estimate if o else None,
                ci_low=o.ci_low if o else None,
                ci_high=o.ci_high if o else None,
                unit=e.unit,
                n=e.n_treated,
                note=e.sentence,
            )
        )
        if o is not None:
            rows.append(ReportRow(section="estimate", key="p_value", label="p-value", value=o.p_value))
        for caveat in report.impact.caveats:
            rows.append(
                ReportRow(
                    section="estimate", key=f"caveat_{caveat.code}", label=caveat.title, note=caveat.message
                )
            )
        rows.append(
            ReportRow(
                section="estimate", key="n_treated", label="Participants in the estimate", value=e.n_treated
            )
        )
        rows.append(
            ReportRow(
                section="estimate",
                key="n_comparison",
                label="Comparison people (at least)",
                value=e.n_comparison,
            )
        )
        if e.pretrend_p_value is not None:
            rows.append(
                ReportRow(
                    section="estimate",
                    key="pretrend_p_value",
                    label="Pre-trend test p-value",
                    value=e.pretrend_p_value,
                )
            )
        for p in e.event_study:
            rows.append(
                ReportRow(
                    section="event_study",
                    key="difference",
                    label="Difference participants - comparison",
                    period=str(p.relative_month),
                    value=p.estimate,
                    ci_low=p.ci_low,
                    ci_high=p.ci_high,
                    unit=e.unit,
                )
            )
        for line in e.trends:
            for month, mean in line.points:
                rows.append(
                    ReportRow(
                        section="trend",
                        key="mean",
                        label=f"Mean {e.metric_name}",
                        group=line.label,
                        period=month.isoformat(),
                        value=mean,
                        unit=e.unit,
                        n=line.people,
                    )
                )
        for cohort in e.cohorts:
            rows.append(
                ReportRow(
                    section="wave",
                    key="effect",
                    label="Effect of the wave",
                    group=f"from {cohort.start:%Y-%m}",
                    period=cohort.start.isoformat(),
                    value=cohort.effect.estimate if cohort.effect else None,
                    ci_low=cohort.effect.ci_low if cohort.effect else None,
                    ci_high=cohort.effect.ci_high if cohort.effect else None,
                    unit=e.unit,
                    n=cohort.people,
                    note="" if cohort.effect else f"fewer than {report.minimum_group} people: not reported",
                )
            )
    rows.extend(_balance_rows(report))
    if report.tiers is not None:
        rows.extend(_tier_rows(report.tiers))
    for cost in report.program.costs:
        rows.append(
            ReportRow(
                section="cost",
                key=cost.kind,
                label=cost.description or cost.kind_label,
                value=float(cost.total),
                unit=currency,
            )
        )
    rows.append(
        ReportRow(
            section="cost",
            key="total",
            label="Total, fully loaded",
            value=float(report.program.total_cost),
            unit=currency,
        )
    )
    roi = e.roi if e is not None else None
    if roi is not None:
        metric_unit = e.unit if e is not None else ""
        for key, label, value, unit in (
            ("benefits", "First-year benefits (cautious)", roi.benefits, currency),
            ("costs", "Costs", roi.costs, currency),
            ("net_benefits", "Net benefits", roi.net_benefits, currency),
            ("roi_percent", "Return on investment (%)", roi.roi_percent, "%"),
            ("benefit_cost_ratio", "Benefit-cost ratio", roi.benefit_cost_ratio, ""),
            ("payback_months", "Payback (months)", roi.payback_months, "months"),
            ("effect_used", "Effect used (cautious end of the CI)", roi.effect_used, metric_unit),
            ("value_per_unit", "Money value per unit", roi.value_per_unit, currency),
            ("break_even_effect", "Break-even effect per person and month", roi.break_even_effect, metric_unit),
        ):
            rows.append(ReportRow(section="roi", key=key, label=label, value=value, unit=unit, n=roi.people))
        for cell in roi.sensitivity:
            rows.append(
                ReportRow(
                    section="sensitivity",
                    key="roi_percent",
                    label="ROI (%) if the effect and value were",
                    group=f"value {cell.value_per_unit:g}",
                    period=f"effect {cell.effect:g}",
                    value=cell.roi_percent,
                )
            )
    return rows


def report_filename(*, report: ProgramReport, extension: str) -> str:
    code = re.sub(r"[^A-Za-z0-9_-]", "-", report.program.summary.code)
    return f"{code}-impact-{report.generated_on:%Y-%m-%d}.{extension}"


def report_csv(*, report: ProgramReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in report_rows(report=report):
        writer.writerow(["" if v is None else v for v in row.as_tuple()])
    return out.getvalue()


SHEETS = (
    ("Event study", "event_study"),
    ("Trends", "trend"),
    ("Waves", "wave"),
    ("Balance", "balance"),
    ("Tiers", "tier"),
    ("Costs and ROI", "cost", "roi"),
    ("Sensitivity", "sensitivity"),
)


def report_xlsx(*, report: ProgramReport) -> bytes:
    """A workbook: the headline and estimates first, then one sheet per kind of number."""
    book = Workbook()
    bold = Font(bold=True)
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.title = "Estimates"
    s = report.program.summary
    t = report.text
    header: list[tuple[str, object]] = [
        ("Program", s.name),
        ("Code", s.code),
        ("Metric", report.metric.metric_name if report.metric else ""),
        ("Method", report.method),
        ("Comparison", report.comparison),
        ("Generated on", report.generated_on),
        ("Minimum group size", report.minimum_group),
        ("Currency", present.currency_code()),
        ("Headline", t.headline),
    ]
    if t.has_figure:
        header.append(("Effect per person and month", t.effect_line))
    header += [(c.title, c.message) for c in t.caveats]
    if t.verdict:
        header.append(("Pilot decision rule says", f"{t.verdict} ({t.verdict_line})"))
    for label, value in header:
        sheet.append([label, spreadsheet_safe(value)])
        sheet.cell(row=sheet.max_row, column=1).font = bold
    sheet.append([])
    rows = report_rows(report=report)
    _table(sheet, [r for r in rows if r.section == "estimate"], bold)
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 40
    for title, *sections in SHEETS:
        chosen = [r for r in rows if r.section in sections]
        if chosen:
            _table(book.create_sheet(title), chosen, bold)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _money_format() -> str:
    symbol = present.currency_symbol()
    return f'"{symbol}"#,##0.00' if len(symbol) == 1 else f'"{symbol} "#,##0.00'


def _table(sheet: Worksheet, rows: Sequence[ReportRow], bold: Font) -> None:
    sheet.append(list(CSV_COLUMNS[1:]))
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    currency, money = present.currency_code(), _money_format()
    value_column = CSV_COLUMNS.index("value")  # in the sheet, 1-based after dropping "section"
    for row in rows:
        sheet.append(list(row.as_tuple()[1:]))
        if row.unit == currency:
            sheet.cell(row=sheet.max_row, column=value_column).number_format = money
        elif row.unit == "people":
            sheet.cell(row=sheet.max_row, column=value_column).number_format = "#,##0"
    sheet.column_dimensions["B"].width = 40


def business_case_xlsx(*, case: BusinessCaseView, generated_on: dt.date) -> bytes:
    """The business case in a workbook: the case as entered, the scenarios, the comparables and the costs."""
    book = Workbook()
    bold = Font(bold=True)
    money = _money_format()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.title = "Business case"
    for label, value in (
        ("Business case", case.name),
        ("Description", case.description),
        ("Audience (people)", case.audience_size),
        ("Target metric", case.metric_name),
        ("Unit", case.unit),
        ("Money value of one unit per person and month", float(case.value_per_unit)),
        ("Months of benefit counted", case.benefit_months),
        ("Total cost", float(case.cost_total)),
        ("Currency", present.currency_code()),
        ("Generated on", generated_on),
        ("Not valued because", case.problem if case.result is None else ""),
    ):
        sheet.append([label, spreadsheet_safe(value)])
        sheet.cell(row=sheet.max_row, column=1).font = bold
        if label.startswith(("Money", "Total cost")):
            sheet.cell(row=sheet.max_row, column=2).number_format = money
    sheet.column_dimensions["A"].width = 44
    sheet.column_dimensions["B"].width = 40
    scenarios = book.create_sheet("Scenarios")
    scenarios.append(
        [
            "Scenario",
            "Effect per person and month",
            "Benefit",
            "Net benefit",
            "ROI (%)",
            "Benefit-cost ratio",
            "Payback (months)",
        ]
    )
    for s in case.result.scenarios if case.result else ():
        scenarios.append(
            [
                s.label,
                s.effect,
                s.benefit,
                s.net_benefit,
                s.roi_percent,
                s.benefit_cost_ratio,
                s.payback_months,
            ]
        )
        for column in (3, 4):
            scenarios.cell(row=scenarios.max_row, column=column).number_format = money
    comparables = book.create_sheet("Comparables")
    comparables.append(["Program", "Code", "People", "Effect", "95% CI low", "95% CI high", "Note"])
    for c in case.comparables:
        comparables.append(
            [
                spreadsheet_safe(c.name),
                c.code,
                c.people,
                c.estimate,
                c.ci_low,
                c.ci_high,
                spreadsheet_safe(c.note),
            ]
        )
    costs = book.create_sheet("Costs")
    costs.append(["Cost", "Amount"])
    for item in case.cost_items:
        costs.append([spreadsheet_safe(item.name), float(item.amount)])
        costs.cell(row=costs.max_row, column=2).number_format = money
    costs.append(["Total", float(case.cost_total)])
    costs.cell(row=costs.max_row, column=2).number_format = money
    for page in (scenarios, comparables, costs):
        for cell in page[1]:
            cell.font = bold
        page.column_dimensions["A"].width = 30
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
