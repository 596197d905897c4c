"""PDF exports: a program's impact report, a case study and a business case (fpdf2, fonts embedded).

Every figure is formatted by tandem.reports.present, so the PDF reads like the page ("€345.20", "425 people").
Charts are the page's SVGs rendered to PNG by vl-convert (no network). A report whose last page would hold
only a few lines is laid out again with smaller charts, so it does not end on a near-empty page.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

import vl_convert
from django.utils.safestring import SafeString
from fpdf import FPDF
from fpdf.fonts import TTFFont

from tandem.reports import present
from tandem.reports.exports import TIER_LABELS, report_charts, roi_range_chart_svg
from tandem.reports.selectors import BusinessCaseView, CaseStudyView, ProgramReport

CHART_WIDTHS = (178.0, 150.0, 125.0)  # mm: full width, then smaller until the last page is not near-empty
NEAR_EMPTY = 45.0  # mm of content on the last page under which it counts as near-empty
KEEP_WITH_HEADING = 30.0  # mm that must be left under a heading, or it starts the next page

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
    # A heading keeps some of what follows on its page, never alone at the bottom.
    if pdf.h - pdf.b_margin - pdf.get_y() < KEEP_WITH_HEADING:
        pdf.add_page()
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


def _laid_out(build: Callable[[_Document, float], None], *, title: str, footer: str) -> bytes:
    """The document with the largest charts whose last page is not near-empty (else the shortest one)."""
    best: tuple[int, bytes] | None = None
    for width in CHART_WIDTHS:
        pdf = _document(title=title, footer=footer)
        build(pdf, width)
        used = pdf.get_y() - pdf.t_margin
        output = bytes(pdf.output())
        if pdf.page_no() == 1 or used >= NEAR_EMPTY:
            return output
        if best is None or pdf.page_no() < best[0]:
            best = (pdf.page_no(), output)
    assert best is not None
    return best[1]


def _balance(pdf: _Document, report: ProgramReport) -> None:
    impact = report.impact
    _heading(pdf, "Balance check: how alike the groups were at the start", size=11)
    if not impact.balance:
        _paragraph(
            pdf,
            "No comparison group was drawn: the estimate compares with everyone who did not take part.",
            muted=True,
            size=9,
        )
        return
    for group in impact.balance:
        where = f", as of {group.as_of:%d %b %Y}" if group.as_of else ""
        verdict = "no balance table" if not group.rows else "imbalanced" if group.warning else "balanced"
        _paragraph(
            pdf,
            f"{group.cohort_name or 'Whole program'}: {present.count(group.participants, 'participants', 'participant')} "
            f"vs {present.count(group.comparison, 'comparison people', 'comparison person')} ({group.method} group{where}): {verdict}.",
            size=9,
            bold=True,
        )
        if group.rows:
            matched = group.method == "matched"
            _grid(
                pdf,
                [
                    "Characteristic",
                    "Participants",
                    "Comparison",
                    "SMD",
                    *(["SMD after matching"] if matched else []),
                ],
                [
                    [
                        row.covariate + (" (differs)" if row.imbalanced else ""),
                        present.number(row.mean_treated_before, 2),
                        present.number(row.mean_comparison_before, 2),
                        present.number(row.smd_before, 2),
                        *([present.number(row.smd_after, 2)] if matched else []),
                    ]
                    for row in group.rows
                ],
                (58, 32, 32, 24, 32) if matched else (70, 36, 36, 36),
            )
    _paragraph(
        pdf,
        "Standardised mean difference (SMD) on each characteristic; above 0.1 counts as a real difference.",
        muted=True,
        size=8,
    )


def _report(pdf: _Document, report: ProgramReport, chart_width: float) -> None:
    s = report.program.summary
    e = report.estimate
    t = report.text
    _heading(pdf, f"{s.name}: impact report", size=17)
    meta = [
        present.count(s.cohorts, "waves", "wave"),
        present.count(s.participants, "participants", "participant"),
    ]
    if s.start_date:
        meta.insert(0, f"since {s.start_date:%d %b %Y}")
    if s.owner_name:
        meta.append(f"owner: {s.owner_name}")
    _paragraph(pdf, " · ".join(meta) + f". Generated on {report.generated_on:%d %b %Y}.", muted=True, size=9)
    _heading(pdf, f"What changed{': ' + report.metric.metric_name if report.metric else ''}")
    _paragraph(pdf, t.headline, bold=True, size=11)
    for caveat in t.caveats:
        _paragraph(pdf, f"{caveat.title}: {caveat.message}", size=9)
    if t.has_figure:
        figures = [["Effect per person and month", t.effect_line], ["People compared", t.people_line]]
        if t.roi:
            figures.append(["Return on investment (cautious)", f"{t.roi} ({t.roi_line})"])
        if t.verdict:
            figures.append(["Pilot decision rule says", f"{t.verdict} ({t.verdict_line})"])
        _grid(pdf, ["Figure", "Value"], figures, (60, 118))
    if e is not None:
        for warning in e.warnings:
            if warning.code != "pretrend":  # a caveat above already
                _paragraph(pdf, f"Note: {warning.message}", muted=True, size=9)
    charts = report_charts(report=report, width=620)
    if charts.event is not None:
        _heading(pdf, "Month by month: the gap the program opened", size=11)
        _chart(pdf, charts.event, chart_width)
    if charts.trend is not None:
        _heading(pdf, "Each wave and the comparison group", size=11)
        _chart(pdf, charts.trend, chart_width)
    if e is not None and e.cohorts:
        _heading(pdf, "Waves", size=11)
        _grid(
            pdf,
            ["Wave start", "People", f"Effect ({present.metric_unit(e.unit)})", "95% CI"],
            [
                [
                    f"{c.start:%b %Y}",
                    present.number(c.people, 0),
                    present.signed(c.effect.estimate, e.decimals) if c.effect else "not reported",
                    present.interval(c.effect.ci_low, c.effect.ci_high, e.decimals) if c.effect else "-",
                ]
                for c in e.cohorts
            ],
            (40, 30, 50, 58),
        )
    _balance(pdf, report)
    if report.tiers is not None and report.tiers.overall:
        _heading(pdf, "Operational, learner and business figures", size=11)
        _grid(
            pdf,
            ["Tier", "Figure", "Value", "Based on"],
            [
                [
                    TIER_LABELS.get(f.tier, f.tier),
                    f.label,
                    present.tier_text(f, report.minimum_group)
                    + (f" ({present.tier_interval(f)})" if present.tier_interval(f) else ""),
                    present.number(f.n, 0),
                ]
                for f in report.tiers.overall
            ],
            (26, 64, 66, 22),
        )
    _heading(pdf, "Costs and return on investment", size=11)
    if report.program.costs:
        _grid(
            pdf,
            ["Cost", "Amount"],
            [[c.description or c.kind_label, present.money(float(c.total), 0)] for c in report.program.costs]
            + [["Total, fully loaded", t.total_cost]],
            (128, 50),
        )
    else:
        _paragraph(pdf, "No costs recorded yet.", muted=True)
    if t.roi_sentence:
        _paragraph(pdf, t.roi_sentence)
    _heading(pdf, "How we estimated this", size=11)
    _paragraph(
        pdf,
        "Difference-in-differences: how the metric changed for participants compared with how it changed for a "
        "comparison group over the same months (Callaway & Sant'Anna for waves starting at different times). "
        f"{t.counted} Groups of fewer than {report.minimum_group} people get no figure. ROI follows the Phillips "
        "method: the cautious end of the 95% interval, first-year benefits only, fully loaded costs.",
        muted=True,
        size=9,
    )


def report_pdf(*, report: ProgramReport) -> bytes:
    s = report.program.summary
    return _laid_out(
        lambda pdf, width: _report(pdf, report, width),
        title=f"{s.name}: impact report",
        footer=f"{s.name} - impact report - {report.generated_on:%d %b %Y}",
    )


def case_study_pdf(*, study: CaseStudyView, generated_on: dt.date) -> bytes:
    def build(pdf: _Document, _width: float) -> None:
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

    return _laid_out(build, title=study.title, footer=f"{study.title} - {generated_on:%d %b %Y}")


def business_case_pdf(*, case: BusinessCaseView, generated_on: dt.date) -> bytes:
    """The business case as its page shows it: scenarios, comparables and costs."""

    def build(pdf: _Document, width: float) -> None:
        unit = present.metric_unit(case.unit)
        _heading(pdf, f"{case.name}: business case", size=17)
        _paragraph(
            pdf,
            f"{present.count(case.audience_size)} · target: {case.metric_name} · one {unit} per person and month "
            f"is worth {present.money(float(case.value_per_unit))} · {case.benefit_months} months of benefit counted"
            f" · generated on {generated_on:%d %b %Y}",
            muted=True,
            size=9,
        )
        if case.description:
            _paragraph(pdf, case.description)
        _heading(pdf, "Expected return", size=12)
        result = case.result
        if result is None:
            _paragraph(pdf, case.problem or "Not valued yet.", muted=True)
        else:
            _grid(
                pdf,
                [
                    "Scenario",
                    "Effect per person and month",
                    "Benefit",
                    "ROI",
                    "Benefit-cost ratio",
                    "Payback",
                ],
                [
                    [
                        s.label,
                        present.effect(s.effect, case.unit, case.decimals),
                        present.money(s.benefit, 0),
                        present.percent(s.roi_percent),
                        present.number(s.benefit_cost_ratio, 2),
                        f"{present.number(s.payback_months, 1)} months" if s.payback_months else "never",
                    ]
                    for s in result.scenarios
                ],
                (24, 40, 30, 22, 32, 30),
            )
            even = (
                f" It breaks even at {present.number(result.break_even_effect, case.decimals)} {unit} per person and month."
                if result.break_even_effect
                else ""
            )
            _paragraph(
                pdf,
                f"Benefit = effect × {present.money(float(case.value_per_unit))} × {present.count(case.audience_size)} × "
                f"{case.benefit_months} months, against a cost of {present.money(float(case.cost_total), 0)}. Low and "
                "high use the average lower and upper ends of the comparables' 95% intervals; central their average "
                f"estimate.{even}",
                muted=True,
                size=9,
            )
            _chart(pdf, roi_range_chart_svg(result=result, width=560), min(width, 150))
        _heading(pdf, "Comparable programs", size=12)
        if case.comparables:
            _grid(
                pdf,
                ["Program", "People", f"Effect, {unit} (95% CI)", "Note"],
                [
                    [
                        c.name,
                        present.number(c.people, 0),
                        f"{present.signed(c.estimate, case.decimals)} ({present.number(c.ci_low, case.decimals)} to "
                        f"{present.number(c.ci_high, case.decimals)})"
                        if c.usable
                        else "-",
                        c.note,
                    ]
                    for c in case.comparables
                ],
                (58, 20, 50, 50),
            )
        else:
            _paragraph(pdf, "None chosen.", muted=True)
        _heading(pdf, "Costs", size=12)
        rows = [[c.name, present.money(float(c.amount), 0)] for c in case.cost_items]
        _grid(
            pdf, ["Cost", "Amount"], [*rows, ["Total", present.money(float(case.cost_total), 0)]], (128, 50)
        )

    return _laid_out(
        build,
        title=f"{case.name}: business case",
        footer=f"{case.name} - business case - {generated_on:%d %b %Y}",
    )
