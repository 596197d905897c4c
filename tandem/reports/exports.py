"""Exports of a program's impact report and of case studies: charts, PDF, XLSX and CSV.

The HTML export is a template (tandem/web/templates/web/reports/); it gets its charts from here as inline
SVG. The PDF embeds the same charts as PNG (rendered by vl-convert, no network). Every number comes from
the ProgramReport, so the formats agree with each other and with the impact page; groups under the
minimum size were already left without a figure upstream.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import vl_convert
from django.utils.safestring import SafeString
from fpdf import FPDF
from fpdf.fonts import TTFFont
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from tandem.core.charts import (
    Bar,
    bar_chart_svg,
)
from tandem.reports.business_case import BusinessCaseResult
from tandem.reports.charts import event_chart_svg, trend_chart_svg
from tandem.reports.records import TIER_BUSINESS, TIER_LEARNER, TIER_OPERATIONAL, ProgramTiers, TierFigure
from tandem.reports.selectors import CaseStudyView, ProgramReport

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
    section: str  # estimate | event_study | trend | wave | tier | cost | roi | sensitivity
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
            unit=figure.unit,
            n=figure.n,
            note=note,
        )

    for figure in tiers.overall:
        yield row(figure, "")
    for group in tiers.groups:
        for figure in group.figures:
            yield row(figure, group.label)


def report_rows(*, report: ProgramReport) -> list[ReportRow]:
    """Every number of the report, one per row (the CSV, and the sheets of the workbook)."""
    rows: list[ReportRow] = []
    e = report.estimate
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
    if report.tiers is not None:
        rows.extend(_tier_rows(report.tiers))
    for cost in report.program.costs:
        rows.append(
            ReportRow(
                section="cost",
                key=cost.kind,
                label=cost.description or cost.kind_label,
                value=float(cost.total),
            )
        )
    rows.append(
        ReportRow(
            section="cost", key="total", label="Total, fully loaded", value=float(report.program.total_cost)
        )
    )
    roi = e.roi if e is not None else None
    if roi is not None:
        for key, label, value in (
            ("benefits", "First-year benefits (cautious)", roi.benefits),
            ("costs", "Costs", roi.costs),
            ("net_benefits", "Net benefits", roi.net_benefits),
            ("roi_percent", "Return on investment (%)", roi.roi_percent),
            ("benefit_cost_ratio", "Benefit-cost ratio", roi.benefit_cost_ratio),
            ("payback_months", "Payback (months)", roi.payback_months),
            ("effect_used", "Effect used (cautious end of the CI)", roi.effect_used),
            ("value_per_unit", "Money value per unit", roi.value_per_unit),
            ("break_even_effect", "Break-even effect per person and month", roi.break_even_effect),
        ):
            rows.append(ReportRow(section="roi", key=key, label=label, value=value, n=roi.people))
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
    header: list[tuple[str, object]] = [
        ("Program", s.name),
        ("Code", s.code),
        ("Metric", report.metric.metric_name if report.metric else ""),
        ("Method", report.method),
        ("Comparison", report.comparison),
        ("Generated on", report.generated_on),
        ("Minimum group size", report.minimum_group),
        ("Headline", report.estimate.sentence if report.estimate else report.problem),
    ]
    if report.verdict:
        header.append(("Pilot decision rule says", report.verdict))
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


def _table(sheet: Worksheet, rows: Sequence[ReportRow], bold: Font) -> None:
    sheet.append(list(CSV_COLUMNS[1:]))
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for row in rows:
        sheet.append(list(row.as_tuple()[1:]))
    sheet.column_dimensions["B"].width = 40


# --- PDF --------------------------------------------------------------------------------------------

# Helvetica, built into every PDF reader, covers Latin-1 only: people's names in Polish, Greek or Cyrillic
# came out as '?'. DejaVu Sans (Bitstream Vera licence, tandem/reports/fonts/LICENSE) covers those and the
# typographic marks; fpdf2 embeds only the glyphs a document uses, so a PDF grows by about 25 kB, not 1.4 MB.
FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"


class _Document(FPDF):
    footer_text = ""

    def __init__(self) -> None:
        super().__init__(format="A4")
        self.add_font(FONT, "", FONT_DIR / "DejaVuSans.ttf")
        self.add_font(FONT, "B", FONT_DIR / "DejaVuSans-Bold.ttf")

    def normalize_text(self, text: str) -> str:
        """Text the current font can draw; fpdf2 passes every string it prints or measures through here.

        Characters DejaVu lacks (CJK, Indic, Thai) print as '?': left to fpdf2 they would vanish
        silently, leaving a gap and a logged warning. Invisible control and format characters it lacks are
        dropped. NFC first, so letters typed as letter + combining accent use the font's composed glyph.
        """
        font = self.current_font
        if not isinstance(font, TTFFont):
            return super().normalize_text(text)
        return "".join(
            ch
            if ord(ch) in font.cmap or ch in "\n\r\t"
            else ("" if unicodedata.category(ch).startswith("C") else "?")
            for ch in unicodedata.normalize("NFC", text)
        )

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(100, 116, 139)
        self.cell(0, 6, f"{self.footer_text} - page {self.page_no()}", align="C")


def _document(*, title: str, footer: str) -> _Document:
    pdf = _Document()
    pdf.footer_text = footer
    pdf.set_title(title)
    pdf.set_creator("Tandem")
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_margins(16, 16, 16)
    pdf.add_page()
    return pdf


def _heading(pdf: FPDF, text: str, size: int = 13) -> None:
    pdf.ln(2)
    pdf.set_font(FONT, style="B", size=size)
    pdf.set_text_color(15, 23, 42)
    pdf.multi_cell(0, size * 0.55, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _paragraph(pdf: FPDF, text: str, *, size: int = 10, muted: bool = False, bold: bool = False) -> None:
    pdf.set_font(FONT, style="B" if bold else "", size=size)
    pdf.set_text_color(*((100, 116, 139) if muted else (15, 23, 42)))
    for part in [p for p in text.split("\n\n") if p.strip()] or [""]:
        pdf.multi_cell(0, size * 0.5, part.strip(), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)


def _chart(pdf: FPDF, svg: SafeString | None, width: float = 178) -> None:
    if not svg or not svg.lstrip().startswith("<svg"):
        return
    png = vl_convert.svg_to_png(str(svg), scale=2)
    pdf.image(io.BytesIO(png), w=width)
    pdf.ln(2)


def _grid(pdf: FPDF, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]) -> None:
    pdf.set_font(FONT, size=9)
    pdf.set_text_color(15, 23, 42)
    with pdf.table(col_widths=tuple(widths), text_align="LEFT", line_height=5) as table:
        top = table.row()
        for cell in header:
            top.cell(cell)
        for values in rows:
            line = table.row()
            for cell in values:
                line.cell(cell)
    pdf.ln(2)


def _number(value: float | None, decimals: int = 1) -> str:
    return "-" if value is None else f"{value:,.{decimals}f}"


def report_pdf(*, report: ProgramReport) -> bytes:
    s = report.program.summary
    e = report.estimate
    pdf = _document(
        title=f"{s.name}: impact report", footer=f"{s.name} - impact report - {report.generated_on:%d %b %Y}"
    )
    _heading(pdf, f"{s.name}: impact report", size=17)
    meta = [f"{s.cohorts} wave(s)", f"{s.participants} participants"]
    if s.start_date:
        meta.insert(0, f"since {s.start_date:%d %b %Y}")
    if s.owner_name:
        meta.append(f"owner: {s.owner_name}")
    _paragraph(pdf, " - ".join(meta) + f". Generated on {report.generated_on:%d %b %Y}.", muted=True, size=9)
    _heading(pdf, f"What changed{': ' + report.metric.metric_name if report.metric else ''}")
    _paragraph(pdf, e.sentence if e is not None else report.problem, bold=True, size=11)
    if e is not None and e.overall is not None:
        o = e.overall
        figures = [
            [
                "Effect per person and month",
                f"{o.estimate:+.{e.decimals}f} {e.unit} (95% CI {o.ci_low:.{e.decimals}f} to {o.ci_high:.{e.decimals}f})",
            ],
            ["People compared", f"{e.n_treated} in the program, at least {e.n_comparison} to compare with"],
        ]
        if e.roi is not None:
            figures.append(
                [
                    "Return on investment (cautious)",
                    f"{e.roi.roi_percent:+.0f}% (benefits {e.roi.benefits:,.0f} vs costs {e.roi.costs:,.0f})",
                ]
            )
        if report.verdict:
            figures.append(["Pilot decision rule says", report.verdict.capitalize()])
        _grid(pdf, ["Figure", "Value"], figures, (60, 118))
    if e is not None:
        for warning in e.warnings:
            _paragraph(pdf, f"Note: {warning.message}", muted=True, size=9)
    charts = report_charts(report=report, width=620)
    if charts.event is not None:
        _heading(pdf, "Month by month: the gap the program opened", size=11)
        _chart(pdf, charts.event)
    if charts.trend is not None:
        _heading(pdf, "Each wave and the comparison group", size=11)
        _chart(pdf, charts.trend)
    if e is not None and e.cohorts:
        _heading(pdf, "Waves", size=11)
        _grid(
            pdf,
            ["Wave start", "People", f"Effect ({e.unit})", "95% CI"],
            [
                [
                    f"{c.start:%b %Y}",
                    str(c.people),
                    _number(c.effect.estimate, e.decimals) if c.effect else "not reported",
                    f"{c.effect.ci_low:.{e.decimals}f} to {c.effect.ci_high:.{e.decimals}f}"
                    if c.effect
                    else "-",
                ]
                for c in e.cohorts
            ],
            (40, 30, 50, 58),
        )
    if report.tiers is not None and report.tiers.overall:
        _heading(pdf, "Operational, learner and business figures", size=11)
        _grid(
            pdf,
            ["Tier", "Figure", "Value", "People"],
            [
                [
                    TIER_LABELS.get(f.tier, f.tier),
                    f.label,
                    "not reported"
                    if f.suppressed
                    else (f"{_number(f.value)} {f.unit}" if f.value is not None else (f.note or "-")),
                    str(f.n),
                ]
                for f in report.tiers.overall
            ],
            (30, 78, 45, 25),
        )
    _heading(pdf, "Costs and return on investment", size=11)
    if report.program.costs:
        _grid(
            pdf,
            ["Cost", "Amount"],
            [[c.description or c.kind_label, f"{c.total:,.0f}"] for c in report.program.costs]
            + [["Total, fully loaded", f"{report.program.total_cost:,.0f}"]],
            (128, 50),
        )
    else:
        _paragraph(pdf, "No costs recorded yet.", muted=True)
    if e is not None and e.roi is not None:
        r = e.roi
        payback = f", paid back in {r.payback_months:.1f} months" if r.payback_months else ""
        _paragraph(
            pdf,
            f"Using the cautious end of the estimate ({r.effect_used:.{e.decimals}f} {e.unit} per person and month) "
            f"x {r.value_per_unit:,.2f} per unit x {r.people} participants x {r.periods_per_year} months, first-year "
            f"benefits are {r.benefits:,.0f} against costs of {r.costs:,.0f}: ROI {r.roi_percent:.0f}%, "
            f"{r.benefit_cost_ratio:.2f} back for every 1 spent{payback}.",
        )
    _heading(pdf, "How we estimated this", size=11)
    _paragraph(
        pdf,
        "Difference-in-differences: how the metric changed for participants compared with how it changed for a "
        "comparison group over the same months (Callaway & Sant'Anna for waves starting at different times). "
        f"Groups of fewer than {report.minimum_group} people get no figure. ROI follows the Phillips method: the "
        "cautious end of the 95% interval, first-year benefits only, fully loaded costs.",
        muted=True,
        size=9,
    )
    return bytes(pdf.output())


def case_study_pdf(*, study: CaseStudyView, generated_on: dt.date) -> bytes:
    pdf = _document(title=study.title, footer=f"{study.title} - {generated_on:%d %b %Y}")
    _heading(pdf, study.title, size=17)
    status = "Final" if study.is_final else "Draft"
    _paragraph(pdf, f"{study.program_name} - {status} - {generated_on:%d %b %Y}", muted=True, size=9)
    for heading, text in (("What happened", study.what_happened), ("The impact", study.impact)):
        _heading(pdf, heading, size=12)
        _paragraph(pdf, text or "-")
    for heading, quotes in (
        ("In their words: the most successful", study.success_quotes),
        ("In their words: the least successful", study.non_success_quotes),
    ):
        if quotes:
            _heading(pdf, heading, size=12)
            for quote in quotes:
                _paragraph(pdf, f'"{quote.text}"')
                _paragraph(pdf, f"- {quote.who_label}", muted=True, size=9)
    for heading, text in (
        ("What we would do differently", study.differently),
        ("The alternative scenario", study.alternative_scenario),
    ):
        _heading(pdf, heading, size=12)
        _paragraph(pdf, text or "-")
    return bytes(pdf.output())
