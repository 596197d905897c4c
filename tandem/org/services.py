"""Writes for people and organisation. Every change is effective-dated and audited."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from tandem.audit.services import AuditEntry, audit_record, audit_record_many
from tandem.core.bulk import bulk_insert
from tandem.core.scope import DomainError
from tandem.org.models import Assignment, JobFamily, JobRole, OrgUnit, OrgUnitVersion, Person
from tandem.org.periods import overlapping_pairs, periods_overlap
from tandem.org.records import (
    ASSIGNMENT_FIELDS,
    PERSON_FIELDS,
    AssignmentConflict,
    PeoplePlan,
    PersonChange,
    PersonRow,
)
from tandem.org.selectors import assignment_overlap_pairs

BATCH = 2000
ProgressCallback = Callable[[int, int], None]


# --- org units --------------------------------------------------------------------------------


def _path_for(parent: OrgUnit | None, unit_id: int) -> str:
    return f"{parent.path if parent else '/'}{unit_id}/"


@transaction.atomic
def org_unit_create(
    *,
    actor_id: int | None,
    code: str,
    name: str,
    kind: str,
    parent_code: str | None = None,
    cost_centre: str = "",
    valid_from: dt.date,
) -> OrgUnit:
    if OrgUnit.objects.filter(code=code).exists():
        raise DomainError(f"An org unit with code {code!r} already exists")
    parent = OrgUnit.objects.filter(code=parent_code).first() if parent_code else None
    if parent_code and parent is None:
        raise DomainError(f"Unknown parent org unit {parent_code!r}")
    unit = OrgUnit.objects.create(
        code=code, name=name, kind=kind, parent=parent, cost_centre=cost_centre, valid_from=valid_from
    )
    unit.path = _path_for(parent, unit.pk)
    unit.save(update_fields=["path"])
    OrgUnitVersion.objects.create(
        org_unit=unit, valid_from=valid_from, name=name, parent=parent, cost_centre=cost_centre
    )
    audit_record(
        actor_id=actor_id,
        action="create",
        entity_type="org_unit",
        entity_id=unit.pk,
        entity_label=f"{code} {name}",
        changes={"code": code, "name": name, "kind": kind, "parent": parent_code, "cost_centre": cost_centre},
    )
    return unit


@transaction.atomic
def org_unit_update(
    *,
    actor_id: int | None,
    code: str,
    effective: dt.date,
    name: str | None = None,
    parent_code: str | None = None,
    cost_centre: str | None = None,
) -> OrgUnit:
    """Rename, re-parent or re-cost an org unit from `effective` on, keeping what it was before."""
    unit = OrgUnit.objects.select_for_update().get(code=code)
    before = {
        "name": unit.name,
        "parent": unit.parent.code if unit.parent else None,
        "cost_centre": unit.cost_centre,
    }
    parent = unit.parent
    if parent_code is not None and parent_code != before["parent"]:
        parent = OrgUnit.objects.get(code=parent_code)
        if f"/{unit.pk}/" in parent.path:
            raise DomainError(f"{parent_code} is inside {code}: an org unit cannot move under itself")
    new_name = name if name is not None else unit.name
    new_cost_centre = cost_centre if cost_centre is not None else unit.cost_centre
    after = {"name": new_name, "parent": parent.code if parent else None, "cost_centre": new_cost_centre}
    diffs = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if not diffs:
        return unit
    current = unit.versions.filter(valid_to__isnull=True).order_by("-valid_from").first()
    if current and current.valid_from >= effective:
        current.name, current.parent, current.cost_centre = new_name, parent, new_cost_centre
        current.save(update_fields=["name", "parent", "cost_centre"])
    else:
        if current:
            current.valid_to = effective
            current.save(update_fields=["valid_to"])
        OrgUnitVersion.objects.create(
            org_unit=unit, valid_from=effective, name=new_name, parent=parent, cost_centre=new_cost_centre
        )
    old_path = unit.path
    unit.name, unit.parent, unit.cost_centre = new_name, parent, new_cost_centre
    unit.path = _path_for(parent, unit.pk)
    unit.save(update_fields=["name", "parent", "cost_centre", "path"])
    if old_path != unit.path:
        descendants = list(OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk))
        for descendant in descendants:
            descendant.path = unit.path + descendant.path[len(old_path) :]
        OrgUnit.objects.bulk_update(descendants, ["path"], batch_size=BATCH)
    audit_record(
        actor_id=actor_id,
        action="update",
        entity_type="org_unit",
        entity_id=unit.pk,
        entity_label=f"{unit.code} {unit.name}",
        changes={**diffs, "effective": effective.isoformat()},
    )
    return unit


def job_family_get_or_create(*, actor_id: int | None, code: str, name: str) -> JobFamily:
    family, created = JobFamily.objects.get_or_create(code=code, defaults={"name": name})
    if created:
        audit_record(
            actor_id=actor_id,
            action="create",
            entity_type="job_family",
            entity_id=family.pk,
            entity_label=name,
            changes={"code": code, "name": name},
        )
    return family


def job_role_get_or_create(
    *,
    actor_id: int | None,
    code: str,
    name: str,
    family_code: str,
    level: int,
    is_people_manager: bool = False,
) -> JobRole:
    family = JobFamily.objects.get(code=family_code)
    role, created = JobRole.objects.get_or_create(
        code=code,
        defaults={"name": name, "family": family, "level": level, "is_people_manager": is_people_manager},
    )
    if created:
        audit_record(
            actor_id=actor_id,
            action="create",
            entity_type="job_role",
            entity_id=role.pk,
            entity_label=name,
            changes={"code": code, "family": family_code, "level": level},
        )
    return role


# --- assignments: one person's periods never overlap ------------------------------------------

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
class _Held:
    """A stored assignment as the planner sees it; `values` in _Wanted's order."""

    id: int
    valid_from: dt.date
    valid_to: dt.date | None
    values: tuple[object, ...]


# What a person's assignment should say: (org_unit_id, job_role_id, manager_id, job_title).
_Wanted = tuple[int | None, int | None, int | None, str]


@dataclass(frozen=True)
class _Steps:
    """One person's assignment writes: (id, valid_to) to close, the open one to correct in place, a new one,
    and (id, valid_from) for the first one when the hire date is corrected."""

    close: tuple[tuple[int, dt.date], ...] = ()
    edit: int | None = None
    open: tuple[dt.date, dt.date | None] | None = None
    restart: tuple[int, dt.date] | None = None

    def __bool__(self) -> bool:
        return bool(self.close) or self.edit is not None or self.open is not None or self.restart is not None


def _held_assignments(*, person_ids: list[int]) -> dict[int, list[_Held]]:
    """Every stored assignment of these people, by person id (one query)."""
    held: dict[int, list[_Held]] = defaultdict(list)
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
        held[person_id].append(_Held(pk, valid_from, valid_to, tuple(values)))
    return held


def _held_overlaps(held: Sequence[_Held]) -> set[tuple[int, int]]:
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
class _Start:
    """When a row's change takes effect, the column that says so, and how a message names it."""

    on: dt.date
    field: str  # the PersonRow field a conflict is reported against
    value: str  # that field's value on the row ("" when the date is not the row's)
    label: str


def _rehires(change: PersonChange) -> bool:
    """The row brings back someone stored as terminated."""
    old_status, _new_status = change.diffs.get("status", (None, None))
    return old_status == Person.Status.TERMINATED


def _change_start(*, row: PersonRow, change: PersonChange, on: dt.date) -> _Start:
    """The row's effective_date; else, for a re-hire giving a new hire date, that date (their new assignment
    starts when they came back, not on the day the file was exported); else the as-of date."""
    if row.effective_date:
        when = row.effective_date.isoformat()
        return _Start(row.effective_date, "effective_date", when, f"Effective date {when}")
    if _rehires(change) and "hire_date" in change.diffs and row.hire_date:
        when = row.hire_date.isoformat()
        return _Start(row.hire_date, "hire_date", when, f"Hire date {when} (a re-hire)")
    return _Start(
        on, "effective_date", "", f"The as-of date {on.isoformat()} (the row has no effective date)"
    )


def _termination_before(change: PersonChange) -> dt.date | None:
    """The stored termination date a row changes to another date (None when the row keeps it or sets it first)."""
    before, _after = change.diffs.get("termination_date", (None, None))
    return before if isinstance(before, dt.date) else None


def _hire_corrected(change: PersonChange) -> tuple[dt.date, dt.date] | None:
    """(stored, new) hire date when the row corrects it; None otherwise, and for a re-hire (whose new hire
    date starts a new assignment instead, see _change_start)."""
    before, after = change.diffs.get("hire_date", (None, None))
    if _rehires(change):
        return None
    if isinstance(before, dt.date) and isinstance(after, dt.date):
        return before, after
    return None


def _assignment_steps(
    *,
    employee_id: str,
    held: Sequence[_Held],
    wanted: _Wanted,
    start: _Start,
    left: dt.date | None,
    employed: bool,
    change: PersonChange,
) -> _Steps | AssignmentConflict:
    """What one person's assignments need so that they say `wanted` from `start`, or why that cannot be.

    start: when a change takes effect (_change_start; a new person's hire date). left: the termination date
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
    return _Steps(close=tuple(close.items()), edit=edit, open=new, restart=restart)


# --- people: plan, then apply -----------------------------------------------------------------


@dataclass
class _Existing:
    id: int
    values: dict[str, Any]


def _existing_people() -> dict[str, _Existing]:
    rows = Person.objects.order_by().values_list(
        "id",
        "employee_id",
        "first_name",
        "last_name",
        "work_email",
        "job_title",
        "job_role__code",
        "org_unit__code",
        "manager__employee_id",
        "location",
        "country",
        "employment_type",
        "hire_date",
        "termination_date",
        "status",
    )
    existing: dict[str, _Existing] = {}
    for row in rows.iterator(chunk_size=5000):
        existing[row[1]] = _Existing(id=row[0], values=dict(zip(PERSON_FIELDS, row[2:], strict=True)))
    return existing


def person_row_values(row: PersonRow, *, on: dt.date) -> dict[str, Any]:
    """The stored values a row stands for (status derived from the termination date when blank)."""
    status = row.status
    if not status:
        status = "terminated" if row.termination_date and row.termination_date <= on else "active"
    return {
        "first_name": row.first_name,
        "last_name": row.last_name,
        "work_email": row.work_email,
        "job_title": row.job_title,
        "job_role_code": row.job_role_code or None,
        "org_unit_code": row.org_unit_code,
        "manager_employee_id": row.manager_employee_id or None,
        "location": row.location,
        "country": row.country,
        "employment_type": row.employment_type,
        "hire_date": row.hire_date,
        "termination_date": row.termination_date,
        "status": status,
    }


def people_plan(*, rows: list[PersonRow], on: dt.date) -> PeoplePlan:
    """Compare rows with the database: creates, updates (field diffs), unchanged, terminations, moves."""
    existing = _existing_people()
    changes: list[PersonChange] = []
    for row in rows:
        values = person_row_values(row, on=on)
        current = existing.get(row.employee_id)
        if current is None:
            changes.append(
                PersonChange(row.employee_id, "create", terminated=values["status"] == "terminated")
            )
            continue
        diffs = {
            key: (current.values[key], value) for key, value in values.items() if current.values[key] != value
        }
        if not diffs:
            changes.append(PersonChange(row.employee_id, "unchanged"))
            continue
        changes.append(
            PersonChange(
                row.employee_id,
                "update",
                diffs=diffs,
                terminated="status" in diffs and values["status"] == "terminated",
                moved=any(key in diffs for key in ASSIGNMENT_FIELDS),
            )
        )
    conflicts = _assignment_conflicts(rows=rows, changes=changes, existing=existing, on=on)
    if conflicts:
        raise AssignmentConflictError(conflicts)
    return PeoplePlan(on=on, rows=rows, changes=changes)


def _assignment_conflicts(
    *, rows: list[PersonRow], changes: list[PersonChange], existing: dict[str, _Existing], on: dt.date
) -> list[AssignmentConflict]:
    """The rows people_apply would refuse, found while planning: the same steps, on the stored histories."""
    updates = [(row, change) for row, change in zip(rows, changes, strict=True) if change.kind == "update"]
    if not updates:
        return []
    held = _held_assignments(person_ids=[existing[row.employee_id].id for row, _ in updates])
    units = dict(OrgUnit.objects.values_list("code", "id"))
    roles = dict(JobRole.objects.values_list("code", "id"))
    conflicts: list[AssignmentConflict] = []
    for row, change in updates:
        values = person_row_values(row, on=on)
        manager = values["manager_employee_id"]
        terminated = values["status"] == Person.Status.TERMINATED
        wanted: _Wanted = (
            units.get(values["org_unit_code"]),
            roles.get(values["job_role_code"]) if values["job_role_code"] else None,
            (existing[manager].id if manager in existing else NO_ID) if manager else None,
            values["job_title"],
        )
        steps = _assignment_steps(
            employee_id=row.employee_id,
            held=held.get(existing[row.employee_id].id, []),
            wanted=wanted,
            start=_change_start(row=row, change=change, on=on),
            left=values["termination_date"] if terminated else None,
            employed=not terminated,
            change=change,
        )
        if isinstance(steps, AssignmentConflict):
            conflicts.append(steps)
    return conflicts


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


@transaction.atomic
def people_apply(
    *,
    plan: PeoplePlan,
    actor_id: int | None,
    source: str,
    progress: ProgressCallback | None = None,
    audit_each_change: bool = True,
) -> dict[str, int]:
    """Write a plan in one transaction: bulk creates and updates, new effective-dated assignments.

    Safe to run twice: a second run finds everything unchanged.
    """
    units = dict(OrgUnit.objects.values_list("code", "id"))
    roles = dict(JobRole.objects.values_list("code", "id"))
    by_id = {change.employee_id: change for change in plan.changes}
    rows = {row.employee_id: row for row in plan.rows if by_id[row.employee_id].kind != "unchanged"}
    total = len(rows)

    def report(done: int) -> None:
        if progress:
            progress(done, total)

    # 1. New people, in waves so that each one's manager already has an id when they are inserted:
    # one INSERT per batch and no UPDATE pass afterwards (bulk_update costs ~3 ms a row).
    ids = dict(Person.objects.order_by().values_list("employee_id", "id"))
    pending: list[tuple[Person, str | None]] = []
    for employee_id, row in rows.items():
        if by_id[employee_id].kind != "create":
            continue
        values = person_row_values(row, on=plan.on)
        pending.append(
            (
                Person(
                    employee_id=employee_id,
                    first_name=values["first_name"],
                    last_name=values["last_name"],
                    work_email=values["work_email"],
                    job_title=values["job_title"],
                    job_role_id=roles.get(values["job_role_code"]) if values["job_role_code"] else None,
                    org_unit_id=units[values["org_unit_code"]],
                    location=values["location"],
                    country=values["country"],
                    employment_type=values["employment_type"],
                    hire_date=values["hire_date"],
                    termination_date=values["termination_date"],
                    status=values["status"],
                ),
                values["manager_employee_id"],
            )
        )
    created: list[Person] = []
    while pending:
        ready = [(p, m) for p, m in pending if not m or m in ids]
        pending = [(p, m) for p, m in pending if m and m not in ids]
        if not ready:  # a manager cycle among new people (imports reject these): insert, then link
            ready, pending = pending, []
        for person, manager in ready:
            person.manager_id = ids.get(manager) if manager else None
        # Ids are read back by employee id; new rows have ids above anything that existed (cheaper than IN).
        newest = Person.objects.order_by("-id").values_list("id", flat=True).first() or 0
        bulk_insert(objs=[p for p, _ in ready])
        fetched = dict(Person.objects.filter(id__gt=newest).order_by().values_list("employee_id", "id"))
        for person, _ in ready:
            person.pk = fetched[person.employee_id]
        ids.update((p.employee_id, p.pk) for p, _ in ready)
        unlinked = [(p, m) for p, m in ready if m and p.manager_id is None]
        for person, manager in unlinked:
            person.manager_id = ids[manager] if manager else None
        Person.objects.bulk_update([p for p, _ in unlinked], ["manager_id"], batch_size=BATCH)
        created.extend(p for p, _ in ready)
        report(len(created) // 2)

    # Changed people: bulk_update grouped by the fields that changed (its cost grows with fields x rows).
    model_field = {
        "job_role_code": "job_role_id",
        "org_unit_code": "org_unit_id",
        "manager_employee_id": "manager_id",
    }
    updated = list(
        Person.objects.filter(employee_id__in=[e for e in rows if by_id[e].kind == "update"]).order_by()
    )
    now = timezone.now()
    groups: dict[tuple[str, ...], list[Person]] = {}
    for person in updated:
        values = person_row_values(rows[person.employee_id], on=plan.on)
        manager = values["manager_employee_id"]
        person.first_name = values["first_name"]
        person.last_name = values["last_name"]
        person.work_email = values["work_email"]
        person.job_title = values["job_title"]
        person.job_role_id = roles.get(values["job_role_code"]) if values["job_role_code"] else None
        person.org_unit_id = units[values["org_unit_code"]]
        person.manager_id = ids[manager] if manager else None
        person.location = values["location"]
        person.country = values["country"]
        person.employment_type = values["employment_type"]
        person.hire_date = values["hire_date"]
        person.termination_date = values["termination_date"]
        person.status = values["status"]
        person.updated_at = now  # bulk_update does not apply auto_now
        changed = tuple(sorted(model_field.get(key, key) for key in by_id[person.employee_id].diffs))
        groups.setdefault(changed, []).append(person)
    for fields, people in groups.items():
        Person.objects.bulk_update(people, [*fields, "updated_at"], batch_size=BATCH)
    touched = created + updated
    report(total * 3 // 4)

    # 2. Assignments, planned per person on their stored history (_assignment_steps: a move closes the open
    # assignment and opens a new one on its effective date; periods never overlap), then written in bulk.
    # New people have no assignments yet: only the changed ones need looking up.
    held = _held_assignments(person_ids=[p.pk for p in updated])
    conflicts: list[AssignmentConflict] = []
    written: list[int] = []
    known_overlaps: set[tuple[int, int]] = set()
    to_close: list[Assignment] = []
    to_edit: list[Assignment] = []
    to_restart: list[Assignment] = []
    to_open: list[Assignment] = []
    for person in touched:
        change = by_id[person.employee_id]
        history = held.get(person.pk, [])
        created_now = change.kind == "create"
        terminated = person.status == Person.Status.TERMINATED
        wanted: _Wanted = (person.org_unit_id, person.job_role_id, person.manager_id, person.job_title)
        steps = _assignment_steps(
            employee_id=person.employee_id,
            held=history,
            wanted=wanted,
            start=_Start(person.hire_date, "hire_date", "", "")
            if created_now
            else _change_start(row=rows[person.employee_id], change=change, on=plan.on),
            left=person.termination_date if terminated else None,
            employed=not terminated,
            change=change,
        )
        if isinstance(steps, AssignmentConflict):
            conflicts.append(steps)  # the history changed since the plan was made
            continue
        if not steps:
            continue
        written.append(person.pk)
        known_overlaps |= _held_overlaps(history)
        to_close.extend(Assignment(pk=pk, valid_to=valid_to) for pk, valid_to in steps.close)
        assigned = dict(zip(("org_unit_id", "job_role_id", "manager_id", "job_title"), wanted, strict=True))
        if steps.edit is not None:
            to_edit.append(Assignment(pk=steps.edit, **assigned))
        if steps.restart is not None:
            to_restart.append(Assignment(pk=steps.restart[0], valid_from=steps.restart[1]))
        if steps.open is not None:
            valid_from, valid_to = steps.open
            to_open.append(
                Assignment(person_id=person.pk, valid_from=valid_from, valid_to=valid_to, **assigned)
            )
    if conflicts:
        raise AssignmentConflictError(conflicts)
    Assignment.objects.bulk_update(to_close, ["valid_to"], batch_size=BATCH)
    Assignment.objects.bulk_update(
        to_edit, ["org_unit_id", "job_role_id", "manager_id", "job_title"], batch_size=BATCH
    )
    Assignment.objects.bulk_update(to_restart, ["valid_from"], batch_size=BATCH)
    bulk_insert(objs=to_open)
    assignment_overlaps_check(person_ids=written, known_pairs=known_overlaps)
    report(total)

    counts = plan.counts
    if audit_each_change:
        audit_record_many(
            actor_id=actor_id,
            entries=(
                AuditEntry(
                    action="create" if change.kind == "create" else "update",
                    entity_type="person",
                    entity_id=str(ids[change.employee_id]),
                    entity_label=change.employee_id,
                    changes={key: [_plain(old), _plain(new)] for key, (old, new) in change.diffs.items()},
                    summary=f"via {source}",
                )
                for change in plan.changes
                if change.kind != "unchanged"
            ),
        )
    return counts


def people_bulk_upsert(
    *,
    rows: Iterable[PersonRow],
    on: dt.date,
    actor_id: int | None,
    source: str,
    audit_each_change: bool = True,
) -> dict[str, int]:
    """Plan and apply in one call (for generators and other apps)."""
    plan = people_plan(rows=list(rows), on=on)
    return people_apply(plan=plan, actor_id=actor_id, source=source, audit_each_change=audit_each_change)
