"""PDF exports print people's names in any European script: DejaVu Sans is embedded, not Latin-1 Helvetica."""

import datetime as dt
import io
import logging
import unicodedata
from decimal import Decimal

import pytest
from pypdf import PdfReader

from tandem.core.scope import PersonScope
from tandem.impact.services import cost_item_add
from tandem.reports.case_study import Quote
from tandem.reports.pdf import case_study_pdf, report_pdf
from tandem.reports.selectors import case_study_get, program_report_get
from tandem.reports.services import case_study_draft, case_study_update
from tests.factories import PersonFactory
from tests.reports.factories import pdf_strings

pytestmark = pytest.mark.django_db

PROGRAM = "Ελένη και Дмитрий: coaching"
OWNER = ("Łukasz", "Żółć")
COST = "Ørsted Çelik – workshop “Ğİş” ≥ 2 × 3 … →"


def embedded_fonts(pdf: bytes) -> dict[str, int]:
    """Each font a page uses: its PostScript name and the size of the embedded font program (0: none)."""
    fonts = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            size = 0
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                if "/FontFile2" in descriptor:
                    size = len(descriptor["/FontFile2"].get_object().get_data())
            fonts[str(font["/BaseFont"]).split("+")[-1]] = size
    return fonts


def _report(program, name=PROGRAM):
    program.name = name
    program.owner = PersonFactory(first_name=OWNER[0], last_name=OWNER[1])
    program.save(update_fields=["name", "owner"])
    cost_item_add(actor_id=None, program_id=program.pk, kind="other", description=COST, amount=Decimal(250))
    return program_report_get(scope=PersonScope.all(), code="coach")


def test_report_pdf_prints_polish_greek_and_cyrillic_names(program):
    report = _report(program)
    pdf = report_pdf(report=report)
    text = pdf_strings(pdf)
    for expected in (
        f"{PROGRAM}: impact report",  # heading (bold)
        f"owner: {OWNER[0]} {OWNER[1]}",  # meta line (regular)
        COST,  # cost grid
        f"{PROGRAM} - impact report - {report.generated_on:%d %b %Y} - page 1",  # footer
    ):
        assert expected in text, expected
    assert "?" not in text
    assert PdfReader(io.BytesIO(pdf)).metadata.title == f"{PROGRAM}: impact report"


def test_the_fonts_are_embedded_as_subsets(program):
    fonts = embedded_fonts(report_pdf(report=_report(program)))
    assert set(fonts) == {"DejaVuSansBook", "DejaVuSansBold"}
    # Only the glyphs used: the TTFs are 700+ kB each.
    assert all(0 < size < 60_000 for size in fonts.values()), fonts


def test_case_study_pdf_prints_unicode_quotes(program):
    study = case_study_draft(program_id=program.pk, actor_id=None)
    case_study_update(
        case_study_id=study.id,
        actor_id=None,
        title="Ελένη’s story",
        what_happened="Дмитрий and Łukasz Żółć took the program.",
        impact=study.impact,
        success_quotes=[Quote("Теперь я закрываю больше заявок", "A participant in Ørsted Çelik")],
        non_success_quotes=[],
        differently="Mniej slajdów, więcej ćwiczeń.",
        alternative_scenario="-",
        status="final",
    )
    pdf = case_study_pdf(study=case_study_get(program_id=program.pk), generated_on=dt.date(2026, 11, 29))
    text = pdf_strings(pdf)
    for expected in (
        "Ελένη’s story",
        "Дмитрий and Łukasz Żółć took the program.",
        '"Теперь я закрываю больше заявок"',
        "- A participant in Ørsted Çelik",
        "Mniej slajdów, więcej ćwiczeń.",
    ):
        assert expected in text, expected
    assert set(embedded_fonts(pdf)) == {"DejaVuSansBook", "DejaVuSansBold"}


def test_characters_dejavu_lacks_print_as_question_marks_and_the_rest_prints(program, caplog):
    # DejaVu has no CJK: those characters become '?', without an error or fpdf2's missing-glyph warning.
    report = _report(program, name="Ελένη 漢字 coaching")
    with caplog.at_level(logging.WARNING, logger="fpdf"):
        pdf = report_pdf(report=report)
    text = pdf_strings(pdf)
    assert "Ελένη ?? coaching: impact report" in text
    assert f"owner: {OWNER[0]} {OWNER[1]}" in text and COST in text
    assert not [r for r in caplog.records if r.name.startswith("fpdf")]


def test_decomposed_accents_print_as_the_composed_letter(program):
    # "Żółć" typed as letters + combining accents (as macOS file names and some keyboards produce).
    decomposed = unicodedata.normalize("NFD", "Żółć")
    assert decomposed != "Żółć"
    text = pdf_strings(report_pdf(report=_report(program, name=f"{decomposed} coaching")))
    assert "Żółć coaching: impact report" in text
