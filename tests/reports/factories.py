"""Builders and readers shared by the reports tests."""

from __future__ import annotations

import io

from pypdf import PdfReader


def pdf_strings(pdf: bytes) -> str:
    """The text of a PDF as a reader extracts it (through the fonts' ToUnicode maps), whitespace collapsed."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())
