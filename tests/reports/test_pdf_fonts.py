"""Every PDF embeds its own subset of the fonts: documents made in turn or at once (gunicorn threads) do not
share or lose glyphs."""

import datetime as dt
import io
import threading
from concurrent.futures import ThreadPoolExecutor

from fontTools import ttLib
from pypdf import PdfReader

from tandem.reports.case_study import Quote
from tandem.reports.pdf import case_study_pdf
from tandem.reports.selectors import CaseStudyView
from tests.reports.factories import pdf_strings

POLISH = "Łódź"
GREEK = "Ελληνικά"
NOW = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)


def study(text: str) -> CaseStudyView:
    return CaseStudyView(
        id=1,
        program_id=1,
        program_code="coach",
        program_name="Coaching",
        title=f"{text} story",
        what_happened=f"{text} took the program.",
        impact="-",
        success_quotes=(Quote(f"{text} closes more tickets", "A participant"),),
        non_success_quotes=(),
        differently="-",
        alternative_scenario="-",
        status="final",
        edited_sections=(),
        drafted_at=NOW,
        updated_at=NOW,
        updated_by=None,
    )


def render(text: str) -> bytes:
    return case_study_pdf(study=study(text), generated_on=NOW.date())


def embedded_characters(pdf: bytes) -> set[str]:
    """Every character the embedded font subsets can draw (the subset keeps a cmap of the glyphs used)."""
    characters: set[str] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            for descendant in font.get_object()["/DescendantFonts"]:
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                program = descriptor["/FontFile2"].get_object().get_data()
                characters |= {chr(c) for c in ttLib.TTFont(io.BytesIO(program)).getBestCmap()}
    return characters


def assert_only_its_own_script(pdf: bytes, text: str, other: str) -> None:
    assert f"{text} took the program." in pdf_strings(pdf)
    characters = embedded_characters(pdf)
    assert set(text) <= characters
    # No letter of the other document's script in this one's subset (the shared parts are ASCII).
    assert not {c for c in other if not c.isascii()} & characters


def test_successive_documents_each_embed_the_glyphs_they_use():
    first, second, third = render(POLISH), render(GREEK), render(POLISH)
    assert_only_its_own_script(first, POLISH, GREEK)
    assert_only_its_own_script(second, GREEK, POLISH)
    assert_only_its_own_script(third, POLISH, GREEK)
    assert embedded_characters(third) == embedded_characters(first)


def test_two_threads_render_different_pdfs_at_once():
    start = threading.Barrier(2)

    def work(text: str) -> list[bytes]:
        start.wait()
        return [render(text) for _ in range(4)]

    with ThreadPoolExecutor(max_workers=2) as pool:
        polish, greek = pool.map(work, (POLISH, GREEK))
    for pdf in polish:
        assert_only_its_own_script(pdf, POLISH, GREEK)
    for pdf in greek:
        assert_only_its_own_script(pdf, GREEK, POLISH)
