"""Checking every row of a table before anything is written. Pure: reference data comes in as plain values.

Errors are dicts {row, column, value, message}: row is the file's row number (header = row 1), column the
file's header for that field (or our field name when the column is missing).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypedDict

from tandem.imports.fields import ISO_DATE, KINDS, FieldSpec, KindSpec, header_key
from tandem.imports.parsing import Cell, Table
from tandem.metrics.records import ObservationRow
from tandem.org.records import PersonRow

ProgressCallback = Callable[[int, int], None]
EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
COUNTRY = re.compile(r"^[A-Za-z]{2}$")
CYCLE_NAMES = 20  # longest chain spelt out in a cycle message


class RowError(TypedDict):
    row: int
    column: str
    value: str
    message: str


def row_error(row: int, column: str, value: object, message: str) -> RowError:
    return {"row": row, "column": column, "value": "" if value is None else str(value), "message": message}


@dataclass(frozen=True)
class PeopleReferences:
    """What the database already knows, as plain values, for checking a people file."""

    org_unit_codes: frozenset[str]
    job_role_codes: frozenset[str]
    managers: dict[str, str | None]  # every existing employee id -> their current manager's employee id


@dataclass(frozen=True)
class MetricReferences:
    metric_codes: frozenset[str]
    org_unit_codes: frozenset[str]
    employee_ids: frozenset[str]


@dataclass
class Validated:
    rows: list[Any] = field(default_factory=list)  # PersonRow or ObservationRow, in file order
    errors: list[RowError] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # our field -> the header actually used


# --- columns ------------------------------------------------------------------------------------


def columns_resolve(
    *, spec: KindSpec, headers: list[str], columns: dict[str, str], strict: bool
) -> tuple[dict[str, int], list[RowError]]:
    """Find each field's column: the mapping's header first, then the field name or an alias.

    strict: every mapping entry must be in the file (saved custom mappings). Presets list the usual
    headers of a system, so their optional entries may be absent.
    """
    positions: dict[str, int] = {}
    for index, header in enumerate(headers):
        positions.setdefault(header_key(header), index)
    found: dict[str, int] = {}
    missing_required: list[str] = []
    stray: list[str] = []
    for spec_field in spec.fields:
        mapped = (columns.get(spec_field.name) or "").strip()
        candidates = [mapped] if mapped else []
        candidates += [spec_field.name, *spec_field.aliases]
        match = next((positions[header_key(c)] for c in candidates if header_key(c) in positions), None)
        if match is not None:
            found[spec_field.name] = match
        elif spec_field.required:
            renamed = mapped and mapped != spec_field.name
            missing_required.append(
                f"{spec_field.name} (mapped from {mapped!r})" if renamed else spec_field.name
            )
        elif mapped and strict:
            stray.append(f"{spec_field.name} → {mapped!r}")
    errors: list[RowError] = []
    if missing_required:
        errors.append(row_error(1, "", "", f"Missing required column(s): {', '.join(missing_required)}"))
    if stray:
        errors.append(
            row_error(1, "", "", f"The mapping names column(s) that are not in the file: {', '.join(stray)}")
        )
    if errors:
        errors[-1]["message"] += f". The file's columns are: {', '.join(repr(h) for h in headers if h)}"
    return found, errors


# --- cells --------------------------------------------------------------------------------------


def _format_label(date_format: str) -> str:
    return date_format.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD").replace("%y", "YY")


def _date_parser(date_format: str) -> Callable[[Cell], dt.date]:
    if date_format == ISO_DATE:

        def parse_iso(value: Cell) -> dt.date:
            if isinstance(value, dt.date):
                return value
            if len(value) > 10 and value[10] in " T":  # "2025-01-31 00:00:00" from some exports
                value = value[:10]
            if len(value) != 10:
                raise ValueError(value)
            return dt.date.fromisoformat(value)

        return parse_iso

    def parse_format(value: Cell) -> dt.date:
        if isinstance(value, dt.date):
            return value
        return dt.datetime.strptime(value, date_format).date()  # noqa: DTZ007 - a date, no time zone

    return parse_format


class CellError(ValueError):
    pass


def _converter(spec_field: FieldSpec, date_format: str) -> Callable[[Cell], Any]:
    """A function turning one non-blank cell into the stored value, raising CellError with a plain message."""
    if spec_field.type == "date":
        parse = _date_parser(date_format)
        label = _format_label(date_format)

        def to_date(value: Cell) -> dt.date:
            try:
                return parse(value)
            except ValueError:
                raise CellError(f"{value!r} is not a date in the format {label}") from None

        return to_date
    if spec_field.type == "number":

        def to_number(value: Cell) -> float:
            text = str(value).replace(" ", "").replace("\u00a0", "")
            try:
                number = float(text)
            except ValueError:
                raise CellError(f"{value!r} is not a number") from None
            if not math.isfinite(number):
                raise CellError(f"{value!r} is not a number")
            return number

        return to_number
    if spec_field.type == "choice":
        allowed = sorted(set(spec_field.choices.values()))

        def to_choice(value: Cell) -> str:
            choice = spec_field.choices.get(header_key(str(value)))
            if choice is None:
                raise CellError(f"{value!r} is not a valid {spec_field.label.lower()} ({', '.join(allowed)})")
            return choice

        return to_choice
    if spec_field.type == "email":

        def to_email(value: Cell) -> str:
            text = str(value)
            if len(text) > 254 or not EMAIL.match(text):
                raise CellError(f"{text!r} is not a valid email address")
            return text

        return to_email
    if spec_field.type == "country":

        def to_country(value: Cell) -> str:
            text = str(value)
            if not COUNTRY.match(text):
                raise CellError(f"{text!r} is not a two-letter country code (e.g. DE, GB, US)")
            return text.upper()

        return to_country
    limit = spec_field.max_length

    def to_text(value: Cell) -> str:
        text = value.isoformat() if isinstance(value, dt.date) else value
        if limit and len(text) > limit:
            raise CellError(f"Too long: at most {limit} characters")
        return text

    return to_text


def _cells_convert(
    *,
    spec: KindSpec,
    table: Table,
    found: dict[str, int],
    headers: list[str],
    date_format: str,
    errors: list[RowError],
    progress: ProgressCallback | None,
) -> list[tuple[int, dict[str, Any]]]:
    """Every row as {field: value} (blank optional cells -> None); cell errors appended to `errors`."""
    plan = [
        (name, index, headers[index], spec.get(name).required, _converter(spec.get(name), date_format))
        for name, index in found.items()
    ]
    absent = {name: None for name in spec.names if name not in found}
    total = len(table.rows)
    step = max(total // 50, 1)  # ~2% between progress reports
    converted: list[tuple[int, dict[str, Any]]] = []
    for position, (number, cells) in enumerate(table.rows):
        values: dict[str, Any] = dict(absent)
        width = len(cells)
        for name, index, header, required, convert in plan:
            cell = cells[index] if index < width else ""
            if cell == "":
                values[name] = None
                if required:
                    errors.append(row_error(number, header, "", f"{header or name} is required"))
                continue
            try:
                values[name] = convert(cell)
            except CellError as error:
                values[name] = None
                errors.append(row_error(number, header, cell, str(error)))
        converted.append((number, values))
        if progress and (position + 1) % step == 0:
            progress(position + 1, total)
    if progress:
        progress(total, total)
    return converted


# --- people -------------------------------------------------------------------------------------


def _manager_cycles(
    *, file_managers: dict[str, str | None], db_managers: dict[str, str | None]
) -> list[list[str]]:
    """Cycles in the reporting line the file would create (the file's rows override the database)."""

    def manager_of(employee_id: str) -> str | None:
        if employee_id in file_managers:
            return file_managers[employee_id]
        return db_managers.get(employee_id)

    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    cycles: list[list[str]] = []
    for start in file_managers:
        if state.get(start):
            continue
        path: list[str] = []
        node: str | None = start
        while node is not None and not state.get(node):
            state[node] = 1
            path.append(node)
            node = manager_of(node)
        if node is not None and state.get(node) == 1:
            cycle = path[path.index(node) :]
            if any(member in file_managers for member in cycle):
                cycles.append(cycle)
        for member in path:
            state[member] = 2
    return cycles


def _columns_and_cells(
    *,
    spec: KindSpec,
    table: Table,
    columns: dict[str, str],
    strict: bool,
    date_format: str,
    progress: ProgressCallback | None,
) -> tuple[Validated, dict[str, str], list[tuple[int, dict[str, Any]]] | None]:
    """Resolve the columns, then convert every cell: (result so far, field -> header shown in errors, rows).

    Rows are None when the columns themselves are wrong (nothing else is worth checking then).
    """
    found, errors = columns_resolve(spec=spec, headers=table.headers, columns=columns, strict=strict)
    result = Validated(errors=errors, columns={name: table.headers[i] for name, i in found.items()})
    if errors:
        return result, {}, None
    header = {name: result.columns.get(name, name) for name in spec.names}
    converted = _cells_convert(
        spec=spec,
        table=table,
        found=found,
        headers=table.headers,
        date_format=date_format,
        errors=errors,
        progress=progress,
    )
    return result, header, converted


def people_validate(
    *,
    table: Table,
    columns: dict[str, str],
    strict: bool,
    date_format: str,
    references: PeopleReferences,
    progress: ProgressCallback | None = None,
) -> Validated:
    result, header, converted = _columns_and_cells(
        spec=KINDS["people"],
        table=table,
        columns=columns,
        strict=strict,
        date_format=date_format,
        progress=progress,
    )
    if converted is None:
        return result
    errors = result.errors
    first_row: dict[str, int] = {}
    file_managers: dict[str, str | None] = {}
    manager_rows: list[tuple[int, str, str]] = []
    for number, values in converted:
        employee_id = values["employee_id"]
        if employee_id is not None:
            if employee_id in first_row:
                errors.append(
                    row_error(
                        number,
                        header["employee_id"],
                        employee_id,
                        f"Employee id {employee_id} appears more than once (first on row {first_row[employee_id]})",
                    )
                )
            else:
                first_row[employee_id] = number
                file_managers[employee_id] = values["manager_employee_id"]
        unit = values["org_unit_code"]
        if unit is not None and unit not in references.org_unit_codes:
            errors.append(
                row_error(
                    number,
                    header["org_unit_code"],
                    unit,
                    f"Unknown org unit {unit!r}: create it in Tandem first",
                )
            )
        role = values["job_role_code"]
        if role is not None and role not in references.job_role_codes:
            errors.append(row_error(number, header["job_role_code"], role, f"Unknown job role {role!r}"))
        manager = values["manager_employee_id"]
        if manager is not None and employee_id is not None:
            manager_rows.append((number, employee_id, manager))
        hired, left = values["hire_date"], values["termination_date"]
        if values["status"] == "terminated" and left is None:
            # Without the date, Tandem cannot end their assignment: they would stay counted in their team.
            errors.append(
                row_error(
                    number,
                    header["status"],
                    "terminated",
                    "Status is terminated but the termination date is empty: give the day they left",
                )
            )
        if hired and left and left < hired:
            errors.append(
                row_error(
                    number,
                    header["termination_date"],
                    left.isoformat(),
                    f"Termination date {left.isoformat()} is before the hire date {hired.isoformat()}",
                )
            )
    for number, _employee_id, manager in manager_rows:
        if manager not in file_managers and manager not in references.managers:
            errors.append(
                row_error(
                    number,
                    header["manager_employee_id"],
                    manager,
                    f"Unknown manager {manager}: not in this file and not in Tandem",
                )
            )
    # Unknown managers are reported above; for the cycle search they end the chain.
    known_managers = {
        eid: manager if manager in file_managers or manager in references.managers else None
        for eid, manager in file_managers.items()
    }
    for cycle in _manager_cycles(file_managers=known_managers, db_managers=references.managers):
        members = [m for m in cycle if m in first_row]
        start = min(members, key=lambda m: first_row[m])
        turn = cycle.index(start)
        chain = cycle[turn:] + cycle[:turn]
        names = [*chain[:CYCLE_NAMES], *(["…"] if len(chain) > CYCLE_NAMES else []), start]
        message = (
            f"Employee {start} cannot be their own manager"
            if len(chain) == 1
            else f"Manager cycle: {' → '.join(names)}"
        )
        errors.append(
            row_error(first_row[start], header["manager_employee_id"], file_managers[start], message)
        )
    if errors:
        return result
    result.rows = [
        PersonRow(
            employee_id=values["employee_id"],
            first_name=values["first_name"],
            last_name=values["last_name"],
            work_email=values["work_email"],
            org_unit_code=values["org_unit_code"],
            hire_date=values["hire_date"],
            job_title=values["job_title"] or "",
            job_role_code=values["job_role_code"],
            manager_employee_id=values["manager_employee_id"],
            location=values["location"] or "",
            country=values["country"] or "",
            employment_type=values["employment_type"] or "full_time",
            termination_date=values["termination_date"],
            status=values["status"],
            effective_date=values["effective_date"],
        )
        for _, values in converted
    ]
    return result


# --- metric observations ------------------------------------------------------------------------


def metric_observations_validate(
    *,
    table: Table,
    columns: dict[str, str],
    strict: bool,
    date_format: str,
    references: MetricReferences,
    progress: ProgressCallback | None = None,
) -> Validated:
    result, header, converted = _columns_and_cells(
        spec=KINDS["metric_observations"],
        table=table,
        columns=columns,
        strict=strict,
        date_format=date_format,
        progress=progress,
    )
    if converted is None:
        return result
    errors = result.errors
    seen: dict[tuple[str, str, str, dt.date], int] = {}
    rows: list[ObservationRow] = []
    for number, values in converted:
        metric, kind, code = values["metric_code"], values["entity_kind"], values["entity_code"] or ""
        if metric is not None and metric not in references.metric_codes:
            errors.append(row_error(number, header["metric_code"], metric, f"Unknown metric {metric!r}"))
        if kind == "person" and code not in references.employee_ids:
            errors.append(
                row_error(
                    number,
                    header["entity_code"],
                    code,
                    f"Unknown person: no employee id {code!r} in Tandem"
                    if code
                    else "Employee id is required",
                )
            )
        elif kind == "org_unit" and code not in references.org_unit_codes:
            errors.append(
                row_error(
                    number,
                    header["entity_code"],
                    code,
                    f"Unknown org unit {code!r}" if code else "Org unit code is required",
                )
            )
        if kind == "company":
            code = ""
        period = values["period_start"]
        if metric is not None and kind is not None and period is not None:
            key = (metric, kind, code, period)
            if key in seen:
                what = "company" if kind == "company" else f"{kind} {code}"
                errors.append(
                    row_error(
                        number,
                        header["period_start"],
                        period.isoformat(),
                        f"Duplicate value for {metric}, {what}, period {period.isoformat()}"
                        f" (first on row {seen[key]})",
                    )
                )
            else:
                seen[key] = number
        if values["value"] is not None and metric and kind and period:
            rows.append(
                ObservationRow(
                    metric_code=metric,
                    period_start=period,
                    entity_kind=kind,
                    entity_code=code,
                    value=values["value"],
                )
            )
    if not errors:
        result.rows = rows
    return result
