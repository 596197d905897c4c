"""Effective-dated rows (Assignment, OrgUnit, OrgUnitVersion hold [valid_from, valid_to) dates): which are in
force at a moment. One definition for every app that reads org history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from itertools import combinations
from typing import Any, TypeVar

from django.db.models import Q

T = TypeVar("T")


def in_force(on: Any, *, prefix: str = "") -> Q:
    """Rows (through `prefix`, e.g. "person__assignments__") in force on `on`: valid_from <= on < valid_to,
    valid_to NULL meaning still open.

    `on` is a date, or an expression (F, OuterRef) naming a date or a timestamp column. A timestamp needs no
    cast to its date: PostgreSQL compares a date as its midnight in the connection's time zone (UTC here), and
    SQLite compares the stored texts, where "2025-03-01" sorts before "2025-03-01 00:00:00" (a prefix); either
    way the row is in force exactly when the timestamp's UTC date is in the range. (A per-row date cast is a
    Python function call on SQLite.)
    """
    return Q(**{f"{prefix}valid_from__lte": on}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": on})
    )


def periods_overlap(first: tuple[dt.date, dt.date | None], second: tuple[dt.date, dt.date | None]) -> bool:
    """Whether two [valid_from, valid_to) periods (valid_to None meaning open) share at least one day.

    Periods that touch (one ends on the day the other starts) do not overlap.
    """
    return (first[1] is None or second[0] < first[1]) and (second[1] is None or first[0] < second[1])


def overlapping_pairs(
    items: Sequence[T], period: Callable[[T], tuple[dt.date, dt.date | None]]
) -> list[tuple[T, T]]:
    """Every pair of items (in their order) whose periods overlap; for one person's few assignments."""
    return [(a, b) for a, b in combinations(items, 2) if periods_overlap(period(a), period(b))]
