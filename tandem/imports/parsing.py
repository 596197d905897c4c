"""Reading uploaded spreadsheets into a header and rows of cells. Pure: no database.

CSV (UTF-8 with or without BOM, any line ending, `,` `;` or tab) and XLSX (first sheet). Cells are
stripped strings, or dates when a spreadsheet stored a real date.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from tandem.core.scope import DomainError

Cell = str | dt.date
DELIMITERS = ",;\t"
SNIFF_BYTES = 64 * 1024
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls / .doc


class ParseError(DomainError):
    """The file cannot be read as a table; the message says why in plain words."""


@dataclass
class Table:
    headers: list[str]
    # (file row number, cells) with the header as row 1; blank lines are skipped but keep their numbers.
    rows: list[tuple[int, list[Cell]]]
    format: str  # "csv" | "xlsx"
    delimiter: str = ""


def _csv_text(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise ParseError(
            f"The file is not UTF-8 text: byte 0x{content[error.start]:02x} on line {line} cannot be read. "
            "Save it as 'CSV UTF-8' or as an Excel workbook (.xlsx)."
        ) from error


def _looks_binary(content: bytes) -> bool:
    return b"\x00" in content[:SNIFF_BYTES]


def _delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        # The sniffer gives up on ragged or single-column files: take the commonest candidate of the header.
        header = sample.splitlines()[0] if sample else ""
        counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _is_blank(cells: list[Cell]) -> bool:
    return all(cell == "" for cell in cells)


def _check_not_empty(headers: list[str], rows: list[tuple[int, list[Cell]]]) -> None:
    if not any(headers):
        raise ParseError("The file is empty")
    if not rows:
        raise ParseError("The file has a header row but no data rows")


def csv_read(content: bytes) -> Table:
    if _looks_binary(content):
        raise ParseError("This is not a spreadsheet: upload a CSV file or an Excel workbook (.xlsx).")
    text = _csv_text(content)
    if not text.strip():
        raise ParseError("The file is empty")
    delimiter = _delimiter(text[:SNIFF_BYTES])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    lines: Iterator[list[str]] = iter(reader)
    headers: list[str] = []
    for raw in lines:
        if any(cell.strip() for cell in raw):
            headers = [cell.strip() for cell in raw]
            break
    rows: list[tuple[int, list[Cell]]] = []
    try:
        start = reader.line_num + 1
        for raw in lines:
            cells: list[Cell] = [cell.strip() for cell in raw]
            if not _is_blank(cells):
                rows.append((start, cells))  # where the row begins, even if a quoted cell spans lines
            start = reader.line_num + 1
    except csv.Error as error:
        raise ParseError(f"Line {reader.line_num} cannot be read as CSV: {error}") from error
    _check_not_empty(headers, rows)
    return Table(headers=headers, rows=rows, format="csv", delimiter=delimiter)


def _xlsx_cell(value: object) -> Cell:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # employee ids typed as numbers come back as 1001.0
    return str(value).strip()


def xlsx_read(content: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ParseError(
            "This is not a spreadsheet: the file looks like a ZIP archive but not an Excel workbook."
        ) from error
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise ParseError("The file is empty")
        headers: list[str] = []
        rows: list[tuple[int, list[Cell]]] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_xlsx_cell(value) for value in values]
            if not headers:
                if not _is_blank(cells):
                    headers = [str(cell) for cell in cells]
                    while headers and not headers[-1]:
                        headers.pop()  # trailing formatted-but-empty columns
                continue
            if not _is_blank(cells):
                rows.append((number, cells))
    finally:
        workbook.close()
    _check_not_empty(headers, rows)
    return Table(headers=headers, rows=rows, format="xlsx")


def table_read(*, content: bytes, filename: str = "") -> Table:
    """Read CSV or XLSX, decided by content (not by the file name, which users get wrong)."""
    if not content.strip():
        raise ParseError("The file is empty")
    if content.startswith(XLSX_MAGIC):
        return xlsx_read(content)
    if content.startswith(OLE_MAGIC):
        raise ParseError(
            "This is an old-style Excel file (.xls): save it as .xlsx or CSV UTF-8 and upload it again."
        )
    return csv_read(content)


def row_count_estimate(*, content: bytes) -> int:
    """Data rows, cheaply, to decide whether an import runs in the background (no full parse)."""
    if content.startswith(XLSX_MAGIC):
        try:
            from openpyxl import load_workbook

            workbook = load_workbook(io.BytesIO(content), read_only=True)
            try:
                rows = workbook.worksheets[0].max_row if workbook.worksheets else 0
            finally:
                workbook.close()
            # Some writers leave out the dimension; treat the file as large to stay off the request path.
            return max((rows or 10**9) - 1, 0)
        except Exception:  # a broken file is reported by the full parse
            return 0
    return max(content.count(b"\n") - 1 + (0 if content.endswith(b"\n") else 1), 0)
