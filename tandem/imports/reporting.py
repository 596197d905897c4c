"""Errors and warnings as people read them: grouped by distinct cause, and the full list as CSV. Pure."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import TypedDict

from tandem.imports.validation import RowError

GROUPS_KEPT = 1000  # distinct causes kept on a run (the count of errors is always exact)
ROWS_SHOWN = 12  # row numbers spelt out per cause


class ErrorGroup(TypedDict):
    column: str
    message: str
    count: int
    rows: list[int]  # the first ROWS_SHOWN row numbers


def errors_group(*, errors: Iterable[RowError]) -> list[ErrorGroup]:
    """One group per distinct (column, message), in the order each cause first appears in the file.

    Messages name the value ("Unknown org unit 'Research & Development'"), so 1,470 rows with one unknown
    unit are one group, and 12 causes read as 12 lines instead of 2,940."""
    groups: dict[tuple[str, str], ErrorGroup] = {}
    for error in sorted(errors, key=lambda e: e["row"]):
        key = (error["column"], error["message"])
        group = groups.get(key)
        if group is None:
            if len(groups) >= GROUPS_KEPT:
                continue
            group = groups[key] = {"column": key[0], "message": key[1], "count": 0, "rows": []}
        group["count"] += 1
        if len(group["rows"]) < ROWS_SHOWN:
            group["rows"].append(error["row"])
    return list(groups.values())


def errors_csv(*, errors: Iterable[RowError], missing: int = 0) -> str:
    """row, column, value, message; `missing` errors that were counted but not kept are said on a last line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["row", "column", "value", "message"])
    for error in errors:
        writer.writerow([error["row"] or "", error["column"], _safe(error["value"]), _safe(error["message"])])
    if missing:
        writer.writerow(["", "", "", f"… and {missing:,} more errors that were counted but not kept"])
    return buffer.getvalue()


def _safe(text: str) -> str:
    """A value opened in a spreadsheet must not run as a formula (CSV injection)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text
