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
from tandem.imports.mappings import FieldRule, MappingError, rules_parse
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
class NewReference:
    """An org unit or job role code the file uses and Tandem does not have yet, offered for creation."""

    code: str
    first_row: int
    earliest: dt.date | None  # the earliest hire date of a row using it (the unit must exist by then)
    rows: int = 0
    name: str = ""


@dataclass
class Validated:
    rows: list[Any] = field(default_factory=list)  # PersonRow or ObservationRow, in file order
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)  # imported as said, worth a look
    columns: dict[str, str] = field(default_factory=dict)  # our field -> the header actually used
    new_org_units: dict[str, NewReference] = field(default_factory=dict)
    new_job_roles: dict[str, NewReference] = field(default_factory=dict)


# --- columns ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bound:
    """A field bound to its source in this file: the rule, the header shown in messages, and for a plain
    column the cell index (the fast path: no rule to apply)."""

    rule: FieldRule
    shown: str
    index: int | None = None


def columns_resolve(
    *,
    spec: KindSpec,
    headers: list[str],
    columns: dict[str, Any],
    strict: bool,
    ignore: tuple[str, ...] | list[str] = (),
) -> tuple[dict[str, Bound], dict[str, int], list[RowError]]:
    """Bind each field to its source: the mapping's rule first, else the field's name or an alias.

    A column the mapping names (or ignores) is never bound automatically to another field, and a field the
    mapping leaves blank is not bound at all. strict: every column a rule names must be in the file (saved
    custom mappings); presets list the usual headers of a system, so a missing one falls back to the name.
    Returns (bound fields, {column name as rules spell it: index}, errors).
    """
    try:
        rules = rules_parse(kind=spec.kind, columns=columns)
    except MappingError as error:
        return {}, {}, [row_error(1, "", "", str(error))]
    positions: dict[str, int] = {}
    for index, header in enumerate(headers):
        positions.setdefault(header_key(header), index)
    claimed = {header_key(column) for rule in rules.values() for column in rule.columns}
    claimed |= {header_key(column) for column in ignore}
    lookup: dict[str, int] = {}
    found: dict[str, Bound] = {}
    missing_required: list[str] = []
    stray: list[str] = []

    def automatic(spec_field: FieldSpec) -> Bound | None:
        for candidate in (spec_field.name, *spec_field.aliases):
            key = header_key(candidate)
            if key in positions and key not in claimed:
                index = positions[key]
                claimed.add(key)
                return Bound(FieldRule(column=headers[index]), headers[index], index)
        return None

    for spec_field in spec.fields:
        rule = rules.get(spec_field.name)
        bound: Bound | None = None
        if rule is None:
            bound = automatic(spec_field)
        elif rule.off:
            if spec_field.required:
                missing_required.append(f"{spec_field.name} (the mapping leaves it blank)")
            continue
        elif rule.constant is not None:
            bound = Bound(rule, rule.describe())
        else:
            absent = [column for column in rule.columns if header_key(column) not in positions]
            if not absent:
                for column in rule.columns:
                    lookup[column] = positions[header_key(column)]
                plain = rule.column and not rule.transform and not rule.values
                shown = headers[lookup[rule.column]] if rule.column else rule.describe()
                bound = Bound(rule, shown, lookup[rule.column] if plain else None)
            elif not strict and rule.column and not rule.transform and not rule.values:
                bound = automatic(spec_field)  # a preset's usual header is not in this file
            if bound is None:
                named = ", ".join(repr(column) for column in absent)
                if spec_field.required and rule.column == spec_field.name:
                    missing_required.append(spec_field.name)
                elif spec_field.required:
                    missing_required.append(f"{spec_field.name} (mapped from {named})")
                elif strict:
                    stray.append(f"{spec_field.name} → {named}")
        if bound is not None:
            found[spec_field.name] = bound
        elif rule is None and spec_field.required:
            missing_required.append(spec_field.name)
    errors: list[RowError] = []
    if missing_required:
        errors.append(row_error(1, "", "", f"Missing required column(s): {', '.join(missing_required)}"))
    if stray:
        errors.append(
            row_error(1, "", "", f"The mapping names column(s) that are not in the file: {', '.join(stray)}")
        )
    if errors:
        errors[-1]["message"] += f". The file's columns are: {', '.join(repr(h) for h in headers if h)}"
    return found, lookup, errors


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
    found: dict[str, Bound],
    lookup: dict[str, int],
    date_format: str,
    as_of: dt.date,
    errors: list[RowError],
    progress: ProgressCallback | None,
) -> list[tuple[int, dict[str, Any]]]:
    """Every row as {field: value} (blank optional cells -> None); cell errors appended to `errors`."""
    plan = [
        (name, bound, spec.get(name).required, _converter(spec.get(name), date_format))
        for name, bound in found.items()
    ]
    absent = {name: None for name in spec.names if name not in found}
    total = len(table.rows)
    step = max(total // 50, 1)  # ~2% between progress reports
    converted: list[tuple[int, dict[str, Any]]] = []
    for position, (number, cells) in enumerate(table.rows):
        values: dict[str, Any] = dict(absent)
        width = len(cells)
        for name, bound, required, convert in plan:
            header = bound.shown
            if bound.index is not None:
                cell: Cell = cells[bound.index] if bound.index < width else ""
            else:
                try:
                    cell = bound.rule.value(cells, lookup, as_of)
                except ValueError as error:
                    values[name] = None
                    errors.append(row_error(number, header, "", str(error)))
                    continue
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
    columns: dict[str, Any],
    strict: bool,
    date_format: str,
    as_of: dt.date,
    ignore: tuple[str, ...] | list[str],
    progress: ProgressCallback | None,
) -> tuple[Validated, dict[str, str], list[tuple[int, dict[str, Any]]] | None]:
    """Resolve the columns, then convert every cell: (result so far, field -> header shown in errors, rows).

    Rows are None when the columns themselves are wrong (nothing else is worth checking then).
    """
    found, lookup, errors = columns_resolve(
        spec=spec, headers=table.headers, columns=columns, strict=strict, ignore=ignore
    )
    result = Validated(errors=errors, columns={name: bound.shown for name, bound in found.items()})
    if errors:
        return result, {}, None
    header = {name: result.columns.get(name, name) for name in spec.names}
    converted = _cells_convert(
        spec=spec,
        table=table,
        found=found,
        lookup=lookup,
        date_format=date_format,
        as_of=as_of,
        errors=errors,
        progress=progress,
    )
    return result, header, converted


def _reference_used(new: dict[str, NewReference], code: str, row: int, hired: dt.date | None) -> NewReference:
    reference = new.setdefault(code, NewReference(code, row, hired))
    reference.rows += 1
    if hired and (reference.earliest is None or hired < reference.earliest):
        reference.earliest = hired
    return reference


def people_validate(
    *,
    table: Table,
    columns: dict[str, Any],
    strict: bool,
    date_format: str,
    references: PeopleReferences,
    as_of: dt.date,
    ignore: tuple[str, ...] | list[str] = (),
    export_date: dt.date | None = None,
    create_references: bool = False,
    progress: ProgressCallback | None = None,
) -> Validated:
    """export_date: the day the export was taken; a leaver without a termination date left on it (a warning).
    create_references: unknown org units and job roles are listed to create (Validated.new_*), not errors."""
    result, header, converted = _columns_and_cells(
        spec=KINDS["people"],
        table=table,
        columns=columns,
        strict=strict,
        date_format=date_format,
        as_of=as_of,
        ignore=ignore,
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
        if unit is not None and unit not in references.org_unit_codes and create_references:
            _reference_used(result.new_org_units, unit, number, values["hire_date"])
        elif unit is not None and unit not in references.org_unit_codes:
            errors.append(
                row_error(
                    number,
                    header["org_unit_code"],
                    unit,
                    f"Unknown org unit {unit!r}: create it in Tandem first",
                )
            )
        role = values["job_role_code"]
        if role is not None and role not in references.job_role_codes and create_references:
            new_role = _reference_used(result.new_job_roles, role, number, values["hire_date"])
            new_role.name = new_role.name or values["job_title"] or ""
        elif role is not None and role not in references.job_role_codes:
            errors.append(row_error(number, header["job_role_code"], role, f"Unknown job role {role!r}"))
        manager = values["manager_employee_id"]
        if manager is not None and employee_id is not None:
            manager_rows.append((number, employee_id, manager))
        hired, left = values["hire_date"], values["termination_date"]
        if values["status"] == "terminated" and left is None and export_date is not None:
            values["termination_date"] = left = export_date
            result.warnings.append(
                row_error(
                    number,
                    header["termination_date"],
                    "",
                    f"A leaver without a termination date: left on {export_date.isoformat()}, the day the"
                    " export was taken",
                )
            )
        elif values["status"] == "terminated" and left is None:
            # Without the date, Tandem cannot end their assignment: they would stay counted in their team.
            errors.append(
                row_error(
                    number,
                    header["status"],
                    "terminated",
                    "Status is terminated but the termination date is empty: give the day they left, or"
                    " say on which day the export was taken (leavers then leave on that day)",
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
    columns: dict[str, Any],
    strict: bool,
    date_format: str,
    references: MetricReferences,
    as_of: dt.date,
    ignore: tuple[str, ...] | list[str] = (),
    progress: ProgressCallback | None = None,
) -> Validated:
    result, header, converted = _columns_and_cells(
        spec=KINDS["metric_observations"],
        table=table,
        columns=columns,
        strict=strict,
        date_format=date_format,
        as_of=as_of,
        ignore=ignore,
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
