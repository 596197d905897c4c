"""What each kind of import file contains: fields, whether required, types, header aliases and presets.

The one place to look when a new column or a new HR system export has to be supported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tandem.imports.models import ImportKind

ISO_DATE = "%Y-%m-%d"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    required: bool = False
    type: str = "text"  # text | date | number | choice | email | country
    max_length: int | None = None
    # Accepted spellings (compared lower-case, without spaces/underscores/dashes) -> stored value.
    choices: dict[str, str] = field(default_factory=dict)
    # Other header names recognised without a mapping.
    aliases: tuple[str, ...] = ()
    help: str = ""


@dataclass(frozen=True)
class KindSpec:
    kind: str
    label: str
    fields: tuple[FieldSpec, ...]

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields if spec.required)

    def get(self, name: str) -> FieldSpec:
        return next(spec for spec in self.fields if spec.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields)


def header_key(header: str) -> str:
    """Header comparison ignores case, spaces, underscores, dashes and dots ("Employee ID" == "employee_id")."""
    return re.sub(r"[\s_\-.]+", "", header.strip().lower())


EMPLOYMENT_TYPES = {
    "fulltime": "full_time",
    "ft": "full_time",
    "regular": "full_time",
    "permanent": "full_time",
    "parttime": "part_time",
    "pt": "part_time",
    "contractor": "contractor",
    "contract": "contractor",
    "temporary": "temporary",
    "temp": "temporary",
    "fixedterm": "temporary",
    "intern": "intern",
    "internship": "intern",
}
STATUSES = {
    "active": "active",
    "onleave": "on_leave",
    "leave": "on_leave",
    "leaveofabsence": "on_leave",
    "terminated": "terminated",
    "inactive": "terminated",
}
ENTITY_KINDS = {
    "person": "person",
    "employee": "person",
    "orgunit": "org_unit",
    "org": "org_unit",
    "team": "org_unit",
    "department": "org_unit",
    "company": "company",
}

PEOPLE = KindSpec(
    kind=ImportKind.PEOPLE,
    label="HRIS people",
    fields=(
        FieldSpec(
            "employee_id",
            "Employee id",
            required=True,
            max_length=40,
            aliases=("employee number", "employee no", "worker id", "emp id", "person id"),
        ),
        FieldSpec("first_name", "First name", required=True, max_length=100, aliases=("given name",)),
        FieldSpec(
            "last_name", "Last name", required=True, max_length=100, aliases=("surname", "family name")
        ),
        FieldSpec(
            "work_email", "Work email", required=True, type="email", aliases=("email", "email address")
        ),
        FieldSpec(
            "org_unit_code",
            "Org unit code",
            required=True,
            max_length=40,
            aliases=("org unit", "department code", "team code"),
        ),
        FieldSpec("hire_date", "Hire date", required=True, type="date", aliases=("start date",)),
        FieldSpec("job_title", "Job title", max_length=200, aliases=("title", "position")),
        FieldSpec("job_role_code", "Job role code", max_length=40, aliases=("job role", "job code")),
        FieldSpec(
            "manager_employee_id",
            "Manager's employee id",
            max_length=40,
            aliases=("manager id", "manager", "supervisor id"),
        ),
        FieldSpec("location", "Location", max_length=100, aliases=("office", "work location")),
        FieldSpec("country", "Country", type="country", aliases=("country code",)),
        FieldSpec(
            "employment_type",
            "Employment type",
            type="choice",
            choices=EMPLOYMENT_TYPES,
            help="full_time, part_time, contractor, temporary or intern",
        ),
        FieldSpec("termination_date", "Termination date", type="date", aliases=("end date", "leaving date")),
        FieldSpec("status", "Status", type="choice", choices=STATUSES, help="active, on_leave or terminated"),
        FieldSpec(
            "effective_date",
            "Effective date",
            type="date",
            help="when a move takes effect; blank means the import's as-of date",
        ),
    ),
)

METRIC_OBSERVATIONS = KindSpec(
    kind=ImportKind.METRIC_OBSERVATIONS,
    label="Metric observations",
    fields=(
        FieldSpec("metric_code", "Metric code", required=True, aliases=("metric",)),
        FieldSpec("period_start", "Period start", required=True, type="date", aliases=("period", "date")),
        FieldSpec(
            "entity_kind",
            "Entity kind",
            required=True,
            type="choice",
            choices=ENTITY_KINDS,
            help="person, org_unit or company",
        ),
        FieldSpec(
            "entity_code",
            "Entity code",
            help="employee id or org unit code; blank for company",
            aliases=("entity", "employee id", "org unit code"),
        ),
        FieldSpec("value", "Value", required=True, type="number"),
    ),
)

KINDS: dict[str, KindSpec] = {spec.kind: spec for spec in (PEOPLE, METRIC_OBSERVATIONS)}


@dataclass(frozen=True)
class Preset:
    name: str
    label: str
    columns: dict[str, str]  # our field -> their header
    options: dict[str, str] = field(default_factory=dict)


# Header names as the systems export them (Workday custom report, BambooHR report "All employees").
PRESETS: dict[str, dict[str, Preset]] = {
    ImportKind.PEOPLE: {
        "tandem": Preset("tandem", "Tandem column names", {name: name for name in PEOPLE.names}),
        "workday": Preset(
            "workday",
            "Workday worker report",
            {
                "employee_id": "Employee ID",
                "first_name": "Legal First Name",
                "last_name": "Legal Last Name",
                "work_email": "Primary Work Email",
                "org_unit_code": "Cost Center",
                "hire_date": "Hire Date",
                "job_title": "Business Title",
                "job_role_code": "Job Profile ID",
                "manager_employee_id": "Supervisor Employee ID",
                "location": "Location",
                "country": "Country ISO Code",
                "employment_type": "Time Type",
                "termination_date": "Termination Date",
                "status": "Worker Status",
                "effective_date": "Effective Date",
            },
        ),
        "bamboohr": Preset(
            "bamboohr",
            "BambooHR employee report",
            {
                "employee_id": "Employee #",
                "first_name": "First Name",
                "last_name": "Last Name",
                "work_email": "Work Email",
                "org_unit_code": "Department",
                "hire_date": "Hire Date",
                "job_title": "Job Title",
                "job_role_code": "Job Code",
                "manager_employee_id": "Reporting To Employee #",
                "location": "Location",
                "country": "Country",
                "employment_type": "Employment Status",
                "termination_date": "Termination Date",
                "status": "Status",
                "effective_date": "Effective Date",
            },
            {"date_format": "%m/%d/%Y"},
        ),
    },
    ImportKind.METRIC_OBSERVATIONS: {
        "tandem": Preset("tandem", "Tandem column names", {name: name for name in METRIC_OBSERVATIONS.names}),
    },
}
DEFAULT_PRESET = "tandem"

DATE_FORMATS: tuple[tuple[str, str], ...] = (
    (ISO_DATE, "2025-03-31 (ISO)"),
    ("%d/%m/%Y", "31/03/2025"),
    ("%m/%d/%Y", "03/31/2025"),
    ("%d.%m.%Y", "31.03.2025"),
    ("%d-%m-%Y", "31-03-2025"),
)
