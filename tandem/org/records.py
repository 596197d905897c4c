"""Plain values that cross app boundaries (Django models never leave the org app's services)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class AssignmentRecord:
    employee_id: str
    person_name: str
    org_unit_code: str
    org_unit_name: str
    job_role_code: str | None
    job_role_name: str | None
    manager_employee_id: str | None
    manager_name: str | None
    job_title: str
    valid_from: dt.date
    valid_to: dt.date | None


@dataclass(frozen=True)
class AssignmentOverlap:
    """Two assignments of one person whose periods share at least one day (a data-quality problem)."""

    employee_id: str
    person_name: str
    first: AssignmentRecord  # the one that starts first
    second: AssignmentRecord


@dataclass(frozen=True)
class AssignmentConflict:
    """A row that asks for an assignment history that cannot be: periods that overlap, or that end before they
    begin. Imports report it against the row's `field` column; nothing is written."""

    employee_id: str
    field: str  # the PersonRow field to correct: "effective_date", "hire_date" or "termination_date"
    value: str  # that field's value on the row, ISO date ("" when blank)
    message: str


@dataclass(frozen=True)
class PersonRow:
    """One person as an HR system states it on a given date (an import row or a demo snapshot)."""

    employee_id: str
    first_name: str
    last_name: str
    work_email: str
    org_unit_code: str
    hire_date: dt.date
    job_title: str = ""
    job_role_code: str | None = None
    manager_employee_id: str | None = None
    location: str = ""
    country: str = ""
    employment_type: str = "full_time"
    termination_date: dt.date | None = None
    status: str | None = None  # derived from termination_date when not given
    effective_date: dt.date | None = None  # when a move takes effect; default: the plan's date


# Fields compared between the file and the database, in display order.
PERSON_FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "work_email",
    "job_title",
    "job_role_code",
    "org_unit_code",
    "manager_employee_id",
    "location",
    "country",
    "employment_type",
    "hire_date",
    "termination_date",
    "status",
)
ASSIGNMENT_FIELDS: tuple[str, ...] = ("org_unit_code", "job_role_code", "manager_employee_id", "job_title")


@dataclass(frozen=True)
class PersonChange:
    employee_id: str
    kind: str  # "create" | "update" | "unchanged"
    diffs: dict[str, tuple[object, object]] = field(default_factory=dict)
    terminated: bool = False
    moved: bool = False


@dataclass
class PeoplePlan:
    """What applying a set of rows would do. Built by people_plan, written by people_apply."""

    on: dt.date
    rows: list[PersonRow]
    changes: list[PersonChange]

    @property
    def counts(self) -> dict[str, int]:
        result = {"create": 0, "update": 0, "unchanged": 0, "terminate": 0, "move": 0}
        for change in self.changes:
            result[change.kind] += 1
            result["terminate"] += change.terminated
            result["move"] += change.moved
        return result


@dataclass(frozen=True)
class OrgUnitNode:
    id: int
    code: str
    name: str
    kind: str
    depth: int
    parent_id: int | None
    cost_centre: str
    headcount: int
