"""Reading uploaded spreadsheets into a header and rows of cells. Pure: no database.

CSV (UTF-8 with or without BOM, any line ending, `,` `;` or tab) and XLSX (first sheet). Cells are
stripped strings, or dates when a spreadsheet stored a real date.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tandem.core.scope import DomainError

Cell = str | dt.date
DELIMITERS = ",;\t"
SNIFF_BYTES = 64 * 1024  # how far a NUL byte marks the file as binary
# The delimiter sniffer is quadratic in its sample: it reads the first lines only (a file of `,"` took 24 s).
SNIFF_LINES = 10
SNIFF_CHARS = 2 * 1024
MAX_ROWS = 500_000  # data rows; an HR export of a very large company fits, a runaway sheet does not
MAX_ROW_CHARS = 100_000  # characters in one row, all cells together
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls / .doc


class ParseError(DomainError):
    """The file cannot be read as a table; the message says why in plain words, with the row (the header is
    row 1; 0 for the file as a whole) and the column header where there is one."""

    def __init__(self, message: str, *, row: int = 0, column: str = "") -> None:
        super().__init__(message)
        self.row = row
        self.column = column


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


def _sniff_sample(text: str) -> str:
    """The first SNIFF_LINES lines, at most SNIFF_CHARS characters: enough for a header and a few rows."""
    end = 0
    for _ in range(SNIFF_LINES):
        found = text.find("\n", end, SNIFF_CHARS)
        if found < 0:
            return text[:SNIFF_CHARS]
        end = found + 1
    return text[:end]


def _delimiter(sample: str) -> str:
    """The header line decides when one candidate is clearly the commonest (headers rarely hold delimiters);
    otherwise the csv sniffer, on a small sample, then the header's commonest candidate."""
    header = sample.split("\n", 1)[0]
    counts = sorted(((header.count(d), d) for d in DELIMITERS), reverse=True)
    if counts[0][0] and counts[0][0] > counts[1][0]:
        return counts[0][1]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        # The sniffer gives up on ragged or single-column files.
        return counts[0][1] if counts[0][0] else ","


def _is_blank(cells: list[Cell]) -> bool:
    return all(cell == "" for cell in cells)


def _check_not_empty(headers: list[str], rows: list[tuple[int, list[Cell]]]) -> None:
    if not any(headers):
        raise ParseError("The file is empty")
    if not rows:
        raise ParseError("The file has a header row but no data rows")


def _too_many_rows(row: int) -> ParseError:
    return ParseError(f"The file has more than {MAX_ROWS:,} data rows: split it into smaller files", row=row)


def _check_row_size(row: int, cells: list[str], headers: list[str]) -> None:
    if sum(len(cell) for cell in cells) <= MAX_ROW_CHARS:
        return
    widest = max(range(len(cells)), key=lambda i: len(cells[i]))
    raise ParseError(
        f"Row {row} holds more than {MAX_ROW_CHARS:,} characters: HR exports have no such rows; check that this"
        " is the right file",
        row=row,
        column=headers[widest] if widest < len(headers) else "",
    )


def _long_field_index(text: str, *, start_line: int, delimiter: str) -> int:
    """Which cell of the row starting on `start_line` is over the csv module's limit (only read on that error).

    A plain scan with CSV quoting: the csv module does not say which field it was reading."""
    offset = 0
    for _ in range(start_line - 1):
        found = text.find("\n", offset)
        if found < 0:
            return 0
        offset = found + 1
    limit, index, length, quoted = csv.field_size_limit(), 0, 0, False
    for char in itertools.islice(text, offset, None):
        if char == '"':
            quoted = not quoted
        elif not quoted and char == delimiter:
            index, length = index + 1, 0
            continue
        elif not quoted and char == "\n":
            break
        length += 1
        if length > limit:
            break
    return index


def csv_read(content: bytes) -> Table:
    if _looks_binary(content):
        raise ParseError("This is not a spreadsheet: upload a CSV file or an Excel workbook (.xlsx).")
    text = _csv_text(content)
    if not text.strip():
        raise ParseError("The file is empty")
    delimiter = _delimiter(_sniff_sample(text))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    lines: Iterator[list[str]] = iter(reader)
    headers: list[str] = []
    rows: list[tuple[int, list[Cell]]] = []
    start = 1
    try:
        for raw in lines:
            if any(cell.strip() for cell in raw):
                headers = [cell.strip() for cell in raw]
                break
            start = reader.line_num + 1
        _check_row_size(start, headers, headers)
        start = reader.line_num + 1
        for raw in lines:
            cells: list[Cell] = [cell.strip() for cell in raw]
            if not _is_blank(cells):
                _check_row_size(start, raw, headers)
                rows.append((start, cells))  # where the row begins, even if a quoted cell spans lines
                if len(rows) > MAX_ROWS:
                    raise _too_many_rows(start)
            start = reader.line_num + 1
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            index = _long_field_index(text, start_line=start, delimiter=delimiter)
            raise ParseError(
                f"A cell on row {start} is longer than {csv.field_size_limit():,} characters: HR exports have"
                " no such cells; check that this is the right file, or that a quote is not left open"
                ' (a cell that starts with " runs on to the next ")',
                row=start,
                column=headers[index] if headers and index < len(headers) else "",
            ) from error
        raise ParseError(f"Line {reader.line_num} cannot be read as CSV: {error}", row=start) from error
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
        unsaved: list[tuple[int, int]] = []
        for number, values in _sheet_rows(sheet, unsaved):
            cells = [_xlsx_cell(value) for value in values]
            if not headers:
                if not _is_blank(cells):
                    headers = [str(cell) for cell in cells]
                    while headers and not headers[-1]:
                        headers.pop()  # trailing formatted-but-empty columns
                continue
            if not _is_blank(cells):
                rows.append((number, cells))
                if len(rows) > MAX_ROWS:
                    raise _too_many_rows(number)
    finally:
        workbook.close()
    if unsaved:
        raise _formulas_without_values(unsaved, headers)
    _check_not_empty(headers, rows)
    return Table(headers=headers, rows=rows, format="xlsx")


def _sheet_rows(sheet: Any, unsaved: list[tuple[int, int]]) -> Iterator[tuple[int, list[object]]]:
    """Every stored row of the sheet as (row number, values by column), ignoring the sheet's declared
    `<dimension>` (writers get it wrong: a sheet saying A1:F3 may hold 10 rows, and openpyxl's own reader stops
    at the dimension). Formula cells without a saved result are added to `unsaved` as (row, column).

    openpyxl's sheet parser is used directly: its read-only worksheet offers no way to see a formula and its
    saved result in one pass.
    """
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class ValuesParser(WorkSheetParser):
        def parse_cell(self, element: Any) -> dict[str, Any]:
            cell: dict[str, Any] = super().parse_cell(element)
            if cell["value"] is None and element.find(FORMULA_TAG) is not None:
                unsaved.append((cell["row"], cell["column"]))
            return cell

    workbook = sheet.parent
    with sheet._get_source() as source:
        parser = ValuesParser(
            source,
            sheet._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for number, cells in parser.parse():
            width = max((cell["column"] for cell in cells), default=0)
            values: list[object] = [None] * width
            for cell in cells:
                values[cell["column"] - 1] = cell["value"]
            yield number, values


def _formulas_without_values(unsaved: list[tuple[int, int]], headers: list[str]) -> ParseError:
    row, column = unsaved[0]
    names = sorted(
        {headers[c - 1] if c <= len(headers) and headers[c - 1] else f"column {c}" for _, c in unsaved}
    )
    shown = ", ".join(repr(name) for name in names[:10]) + (" …" if len(names) > 10 else "")
    return ParseError(
        f"{len(unsaved):,} cell(s) are formulas without saved values (in {shown}, first on row {row}): the file"
        " was written by a program that does not calculate formulas. Open it in Excel or LibreOffice and save"
        " it again, or export the values instead of the formulas.",
        row=row,
        column=headers[column - 1] if column <= len(headers) else "",
    )


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
