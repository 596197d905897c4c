"""The rule a person's assignments keep: their periods never overlap, and none ends before it begins.

How one row's change becomes assignment writes (assignment_steps), the conflicts it can raise, and the database
check run after a write. Used by the people writes in tandem/org/people.py.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.db import IntegrityError

from tandem.core.scope import DomainError
from tandem.org.models import Assignment, Person
from tandem.org.periods import overlapping_pairs, periods_overlap
from tandem.org.records import AssignmentConflict, PersonChange, PersonRow
from tandem.org.selectors import assignment_overlap_pairs

CONFLICTS_SHOWN = 20  # conflicts spelt out in an error's message (every one is on .conflicts)
NO_ID = -1  # a manager who is new in the file: matches no stored assignment's manager
LEAVING_FIELDS = frozenset({"termination_date", "status"})


class AssignmentConflictError(DomainError):
    """Rows ask for an assignment history that cannot be (periods that overlap, or end before they begin).

    Raised by people_plan (so an import refuses the file while it checks it) and by people_apply (in its
    transaction: nothing is written). `conflicts` lists every such row.
    """

    def __init__(self, conflicts: list[AssignmentConflict]) -> None:
        self.conflicts = conflicts
        shown = "; ".join(f"{c.employee_id} ({c.field}): {c.message}" for c in conflicts[:CONFLICTS_SHOWN])
        more = f"; and {len(conflicts) - CONFLICTS_SHOWN} more" if len(conflicts) > CONFLICTS_SHOWN else ""
        rows = "1 row asks" if len(conflicts) == 1 else f"{len(conflicts)} rows ask"
        super().__init__(f"{rows} for assignments that would overlap or end before they begin: {shown}{more}")


class AssignmentOverlapError(IntegrityError):
    """A write left a person with overlapping assignments although the planning should make that impossible
    (a bug, or another writer at the same time). Raised inside the writing transaction, so nothing is kept."""


def assignment_overlaps_check(
    *, person_ids: Collection[int], known_pairs: Collection[tuple[int, int]] = frozenset()
) -> None:
    """Raise AssignmentOverlapError if these people have overlapping assignments, other than `known_pairs`
    ((lower id, higher id) pairs that overlapped before the write and are left to the data-quality list).

    The database's safety net for the planning below: one query for any number of people, run by the writer in
    its own transaction. (A PostgreSQL exclusion constraint would need the btree_gist extension, and SQLite
    has none.)
    """
    new = sorted(assignment_overlap_pairs(person_ids=person_ids) - set(known_pairs))
    if not new:
        return
    ids = {pk for pair in new for pk in pair}
    people = dict(Assignment.objects.filter(pk__in=ids).values_list("pk", "person__employee_id"))
    listed = ", ".join(f"{people.get(a, '?')} (assignments {a} and {b})" for a, b in new[:CONFLICTS_SHOWN])
    raise AssignmentOverlapError(f"The write would leave overlapping assignments: {listed}")


@dataclass(frozen=True)
class Held:
    """A stored assignment as the planner sees it; `values` in Wanted's order."""

    id: int
    valid_from: dt.date
    valid_to: dt.date | None
    values: tuple[object, ...]


# What a person's assignment should say: (org_unit_id, job_role_id, manager_id, job_title).
Wanted = tuple[int | None, int | None, int | None, str]


@dataclass(frozen=True)
class Steps:
    """One person's assignment writes: (id, valid_to) to close, the open one to correct in place, a new one,
    and (id, valid_from) for the first one when the hire date is corrected."""

    close: tuple[tuple[int, dt.date], ...] = ()
    edit: int | None = None
    open: tuple[dt.date, dt.date | None] | None = None
    restart: tuple[int, dt.date] | None = None

    def __bool__(self) -> bool:
        return bool(self.close) or self.edit is not None or self.open is not None or self.restart is not None


def held_assignments(*, person_ids: list[int]) -> dict[int, list[Held]]:
    """Every stored assignment of these people, by person id (one query)."""
    held: dict[int, list[Held]] = defaultdict(list)
    if not person_ids:
        return held
    rows = (
        Assignment.objects.filter(person_id__in_array=person_ids)
        .order_by()
        .values_list(
            "person_id",
            "id",
            "valid_from",
            "valid_to",
            "org_unit_id",
            "job_role_id",
            "manager_id",
            "job_title",
        )
    )
    for person_id, pk, valid_from, valid_to, *values in rows.iterator(chunk_size=5000):
        held[person_id].append(Held(pk, valid_from, valid_to, tuple(values)))
    return held


def held_overlaps(held: Sequence[Held]) -> set[tuple[int, int]]:
    """Pairs of ids (lower first) among one person's stored assignments that already overlap."""
    return {
        (min(a.id, b.id), max(a.id, b.id))
        for a, b in overlapping_pairs(held, lambda h: (h.valid_from, h.valid_to))
    }


def _span(valid_from: dt.date, valid_to: dt.date | None) -> str:
    """A [valid_from, valid_to) period as people say it: first and last day."""
    if valid_to is None:
        return f"from {valid_from.isoformat()} on"
    return f"from {valid_from.isoformat()} to {(valid_to - dt.timedelta(days=1)).isoformat()}"


@dataclass(frozen=True)
class Start:
    """When a row's change takes effect, the column that says so, and how a message names it."""

    on: dt.date
    field: str  # the PersonRow field a conflict is reported against
    value: str  # that field's value on the row ("" when the date is not the row's)
    label: str


def _rehires(change: PersonChange) -> bool:
    """The row brings back someone stored as terminated."""
    old_status, _new_status = change.diffs.get("status", (None, None))
    return old_status == Person.Status.TERMINATED


def change_start(*, row: PersonRow, change: PersonChange, on: dt.date) -> Start:
    """The row's effective_date; else, for a re-hire giving a new hire date, that date (their new assignment
    starts when they came back, not on the day the file was exported); else the as-of date."""
    if row.effective_date:
        when = row.effective_date.isoformat()
        return Start(row.effective_date, "effective_date", when, f"Effective date {when}")
    if _rehires(change) and "hire_date" in change.diffs and row.hire_date:
        when = row.hire_date.isoformat()
        return Start(row.hire_date, "hire_date", when, f"Hire date {when} (a re-hire)")
    return Start(on, "effective_date", "", f"The as-of date {on.isoformat()} (the row has no effective date)")


def _termination_before(change: PersonChange) -> dt.date | None:
    """The stored termination date a row changes to another date (None when the row keeps it or sets it first)."""
    before, _after = change.diffs.get("termination_date", (None, None))
    return before if isinstance(before, dt.date) else None


def _hire_corrected(change: PersonChange) -> tuple[dt.date, dt.date] | None:
    """(stored, new) hire date when the row corrects it; None otherwise, and for a re-hire (whose new hire
    date starts a new assignment instead, see change_start)."""
    before, after = change.diffs.get("hire_date", (None, None))
    if _rehires(change):
        return None
    if isinstance(before, dt.date) and isinstance(after, dt.date):
        return before, after
    return None


def assignment_steps(
    *,
    employee_id: str,
    held: Sequence[Held],
    wanted: Wanted,
    start: Start,
    left: dt.date | None,
    employed: bool,
    change: PersonChange,
) -> Steps | AssignmentConflict:
    """What one person's assignments need so that they say `wanted` from `start`, or why that cannot be.

    start: when a change takes effect (change_start; a new person's hire date). left: the termination date
    of someone terminated. employed: not terminated. change: what the row changes (a move, a termination, a
    corrected hire or termination date).

    The rule: a person's periods never overlap, and none ends before it begins. A stored period moves only
    when the row corrects the date that set it (the first one's start by the hire date, a leaver's last one's
    end by the termination date); otherwise only the open one is closed (or, when the change takes effect on
    the day it started, corrected in place).
    """
    current = max((h for h in held if h.valid_to is None), key=lambda h: (h.valid_from, h.id), default=None)
    moved, leaving_now = change.moved, bool(LEAVING_FIELDS & change.diffs.keys())
    left_before, hire_corrected = _termination_before(change), _hire_corrected(change)
    first = min(held, key=lambda h: (h.valid_from, h.id), default=None)
    # A corrected hire date: the first assignment, which began on the old one, begins on the new one.
    restarted = first if hire_corrected and first and first.valid_from == hire_corrected[0] else None

    def too_early(message: str) -> AssignmentConflict:
        return AssignmentConflict(employee_id, start.field, start.value, f"{start.label} {message}")

    def ends_too_early(left: dt.date, which: str, began: dt.date) -> AssignmentConflict:
        return AssignmentConflict(
            employee_id,
            "termination_date",
            left.isoformat(),
            f"Termination date {left.isoformat()} is before the start of {employee_id}'s {which}"
            f" assignment ({began.isoformat()}): an assignment cannot end before it began",
        )

    close: dict[int, dt.date] = {}
    edit: int | None = None
    new: tuple[dt.date, dt.date | None] | None = None
    if current is not None and current.values != wanted:
        if start.on < current.valid_from:
            return too_early(
                f"is before the start of {employee_id}'s current assignment ({current.valid_from.isoformat()}):"
                " a change can take effect on that day or later, not earlier"
            )
        if start.on == current.valid_from:
            edit = current.id
        else:
            close[current.id] = start.on
            new = (start.on, None)
    elif current is None and (moved or employed or not held):
        # A move, a (re-)hire, or someone with no history yet: a new assignment from the start.
        new = (start.on, None)
    if left is not None:
        end = left + dt.timedelta(days=1)
        if new is not None and end > new[0]:
            new = (new[0], end)
        else:
            # They left before any change took effect: no new assignment; the open one ends when they left.
            new = None
            if current is not None and end > current.valid_from:
                close[current.id] = end
            elif current is not None and leaving_now:
                return ends_too_early(left, "current", current.valid_from)
            elif current is not None:
                # A stored termination older than the open assignment (written before this rule): left as is.
                close.pop(current.id, None)
            elif left_before is not None and held:
                # A leaver's termination date corrected: the last assignment, which the old date ended, follows.
                last = max(held, key=lambda h: (h.valid_from, h.id))
                if last.valid_to == left_before + dt.timedelta(days=1) and last.valid_to != end:
                    if end <= last.valid_from:
                        return ends_too_early(left, "last", last.valid_from)
                    close[last.id] = end
    if new is not None:
        for other in held:
            if other is current or not periods_overlap(new, (other.valid_from, other.valid_to)):
                continue  # the current one (if any) is closed on the new one's first day
            if other.valid_to is None:
                hint = ""
            elif new[1] is None and other.valid_from <= new[0]:
                hint = f": it can start on {other.valid_to.isoformat()} at the earliest"
            else:
                hint = ": an import does not rewrite assignments that have ended"
            return too_early(
                f"would give {employee_id} a new assignment {_span(*new)}, overlapping the one"
                f" {_span(other.valid_from, other.valid_to)}{hint}"
            )
    restart: tuple[int, dt.date] | None = None
    if restarted is not None and hire_corrected is not None:
        hired = hire_corrected[1]
        # Its end as stored, or as this row sets it (a move or a termination).
        end_now = close.get(restarted.id, restarted.valid_to)
        if end_now is not None and hired >= end_now:
            return AssignmentConflict(
                employee_id,
                "hire_date",
                hired.isoformat(),
                f"Hire date {hired.isoformat()} is not before the end of {employee_id}'s first assignment"
                f" ({_span(restarted.valid_from, end_now)}): an assignment cannot end before it began",
            )
        restart = (restarted.id, hired)
    return Steps(close=tuple(close.items()), edit=edit, open=new, restart=restart)
