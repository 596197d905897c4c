"""Mappings: how the columns of someone's export become our fields. Pure: no database.

A mapping says, per field, one of
- a column of the file: `employee_id: EmployeeNumber`;
- nothing (`null` or ""): the field is not imported, even if a column has its name or an alias;
- a rule: `{column: …, transform: …, values: {…}}`, `{constant: …}` or `{template: "…{Column}…"}`;
and lists columns to `ignore` (never bound to a field automatically). A column a mapping names is bound to
that field only: never also, by its name or an alias, to another one.

A cell goes through the transform, then the value map (values not in the map pass unchanged), then the field's
own check (a date, an email...). The transforms are the small set in TRANSFORMS, documented in docs/imports.md.

Mapping files (YAML or JSON) carry the same content, so a mapping made in one installation works in another.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from tandem.core.scope import DomainError
from tandem.imports.fields import DATE_FORMATS, ISO_DATE, KINDS
from tandem.imports.parsing import Cell

FILE_VERSION = 1
TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")


class MappingError(DomainError):
    """A mapping (from the page or a file) that cannot be used; the message says which field and why."""


def _years_before(cell: Cell, as_of: dt.date) -> Cell:
    """A number of years (e.g. "years at company") -> the date that many years before the as-of date."""
    if isinstance(cell, dt.date):
        return cell
    try:
        years = float(cell.replace(",", "."))
    except ValueError:
        raise ValueError(f"{cell!r} is not a number of years") from None
    if not 0 <= years <= 100:
        raise ValueError(f"{cell!r} is not a number of years between 0 and 100")
    whole = int(years)
    year = as_of.year - whole
    day = min(as_of.day, 28) if as_of.month == 2 else as_of.day  # 29 February in a year without one
    date = as_of.replace(year=year, day=day)
    return date - dt.timedelta(days=round((years - whole) * 365.25))


def _name_parts(cell: Cell) -> tuple[str, str]:
    """("Maria", "Lopez Garcia") from "Maria Lopez Garcia"; ("Maria", "Lopez") from "Lopez, Maria"."""
    text = str(cell).strip()
    if "," in text:
        last, first = (part.strip() for part in text.split(",", 1))
        return first, last
    first, _, last = text.partition(" ")
    return first, last.strip()


def _code(cell: Cell) -> Cell:
    """ "Research & Development" -> "RESEARCH_DEVELOPMENT": upper case, runs of other characters become _."""
    return re.sub(r"[^A-Z0-9]+", "_", str(cell).upper()).strip("_")


# name -> (what it does, function(cell, as_of) -> cell)
TRANSFORMS: dict[str, tuple[str, Callable[[Cell, dt.date], Cell]]] = {
    "lower": ("lower case (e.g. email addresses)", lambda cell, _on: str(cell).lower()),
    "upper": ("upper case", lambda cell, _on: str(cell).upper()),
    "code": ('a code: "Research & Development" → RESEARCH_DEVELOPMENT', lambda cell, _on: _code(cell)),
    "first_name": (
        'first name of a full name ("Maria Lopez" or "Lopez, Maria")',
        lambda c, _on: _name_parts(c)[0],
    ),
    "last_name": (
        'last name of a full name ("Maria Lopez" or "Lopez, Maria")',
        lambda c, _on: _name_parts(c)[1],
    ),
    "years_before_as_of": (
        "a date that many years before the as-of date (e.g. from YearsAtCompany)",
        _years_before,
    ),
}


@dataclass(frozen=True)
class FieldRule:
    """Where one field's value comes from. Exactly one of column, constant, template; or none (off)."""

    column: str = ""
    constant: str | None = None
    template: str = ""
    transform: str = ""
    values: dict[str, str] = field(default_factory=dict)

    @property
    def off(self) -> bool:
        return not self.column and self.constant is None and not self.template

    @property
    def columns(self) -> list[str]:
        """The file's columns this rule reads."""
        if self.column:
            return [self.column]
        return TEMPLATE_FIELD.findall(self.template)

    def describe(self) -> str:
        """How the page and the command line show the rule ("Department → values map")."""
        if self.constant is not None:
            return f"= {self.constant!r}"
        source = self.column or f"template {self.template!r}"
        extra = [f"transform {self.transform}"] if self.transform else []
        if self.values:
            extra.append(f"{len(self.values)} value(s) mapped")
        return f"{source} ({', '.join(extra)})" if extra else source

    def as_plain(self) -> str | dict[str, Any] | None:
        """What a mapping file (and the database) stores for this rule: a column name when that is all it is."""
        if self.off:
            return None
        if self.column and not self.transform and not self.values:
            return self.column
        plain: dict[str, Any] = {}
        if self.column:
            plain["column"] = self.column
        if self.constant is not None:
            plain["constant"] = self.constant
        if self.template:
            plain["template"] = self.template
        if self.transform:
            plain["transform"] = self.transform
        if self.values:
            plain["values"] = dict(self.values)
        return plain

    def value(self, cells: list[Cell], positions: dict[str, int], as_of: dt.date) -> Cell:
        """This rule's value for one row ("" when blank); ValueError with a plain message when it cannot be."""
        if self.constant is not None:
            value: Cell = self.constant
        elif self.template:
            value = TEMPLATE_FIELD.sub(lambda m: _plain_cell(cells, positions[m.group(1)]), self.template)
        else:
            value = _cell(cells, positions[self.column])
        if value == "":
            return value
        if self.transform:
            value = TRANSFORMS[self.transform][1](value, as_of)
        if self.values and isinstance(value, str):
            value = self.values.get(value, value)
        return value


def _cell(cells: list[Cell], index: int) -> Cell:
    return cells[index] if index < len(cells) else ""


def _plain_cell(cells: list[Cell], index: int) -> str:
    value = _cell(cells, index)
    return value.isoformat() if isinstance(value, dt.date) else value


def rule_parse(*, name: str, raw: object) -> FieldRule:
    """One field's entry of a mapping: a column name, None/"" (off), or a dict rule."""
    if raw is None:
        return FieldRule()
    if isinstance(raw, str):
        return FieldRule(column=raw.strip())
    if not isinstance(raw, dict):
        raise MappingError(
            f"{name}: give a column name, nothing (not imported), or a rule with column/constant/template"
        )
    unknown = sorted(set(raw) - {"column", "constant", "template", "transform", "values"})
    if unknown:
        raise MappingError(
            f"{name}: unknown key(s) {', '.join(unknown)} (use column, constant, template, transform, values)"
        )
    column = str(raw.get("column") or "").strip()
    template = str(raw.get("template") or "").strip()
    constant = raw.get("constant")
    sources = [bool(column), constant is not None, bool(template)]
    if sum(sources) != 1:
        raise MappingError(f"{name}: give exactly one of column, constant or template")
    transform = str(raw.get("transform") or "").strip()
    if transform and transform not in TRANSFORMS:
        raise MappingError(f"{name}: unknown transform {transform!r} (known: {', '.join(TRANSFORMS)})")
    values = raw.get("values") or {}
    if not isinstance(values, dict):
        raise MappingError(
            f"{name}: values must map a value of the file to ours, e.g. {{'Research & Development': RND}}"
        )
    if template and not TEMPLATE_FIELD.search(template):
        raise MappingError(
            f"{name}: a template names at least one column in braces, e.g. '{{EmployeeNumber}}@example.com'"
        )
    return FieldRule(
        column=column,
        constant=None if constant is None else str(constant),
        template=template,
        transform=transform,
        values={str(key): str(value) for key, value in values.items()},
    )


def rules_parse(*, kind: str, columns: dict[str, object]) -> dict[str, FieldRule]:
    """Every entry of a mapping's columns as a FieldRule; MappingError names the first bad one."""
    spec = KINDS[kind]
    unknown = sorted(set(columns) - set(spec.names))
    if unknown:
        raise MappingError(f"Unknown field(s) for {kind} files: {', '.join(unknown)}")
    return {name: rule_parse(name=name, raw=raw) for name, raw in columns.items()}


@dataclass(frozen=True)
class MappingFile:
    """The content of a mapping file, checked."""

    kind: str
    name: str
    columns: dict[str, Any]
    date_format: str = ISO_DATE
    ignore: tuple[str, ...] = ()


def mapping_file_read(*, content: bytes) -> MappingFile:
    """A mapping file, YAML or JSON (JSON is YAML too, but its errors read better from json)."""
    text = content.decode("utf-8-sig", errors="replace")
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise MappingError(f"This is not a mapping file (YAML or JSON): {error}") from error
    if not isinstance(data, dict):
        raise MappingError("This is not a mapping file: expected keys kind, name and fields")
    kind = str(data.get("kind") or "")
    if kind not in KINDS:
        raise MappingError(f"The mapping file's kind {kind!r} is not one of {', '.join(KINDS)}")
    fields = data.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise MappingError("The mapping file has no fields: give 'fields: {our field: their column, …}'")
    rules = rules_parse(kind=kind, columns={str(key): value for key, value in fields.items()})
    date_format = str(data.get("date_format") or ISO_DATE)
    if date_format not in dict(DATE_FORMATS):
        raise MappingError(
            f"Unsupported date format {date_format!r} (known: {', '.join(dict(DATE_FORMATS))})"
        )
    ignore = data.get("ignore") or []
    if not isinstance(ignore, list):
        raise MappingError("ignore: give a list of column names")
    return MappingFile(
        kind=kind,
        name=str(data.get("name") or ""),
        columns={name: rule.as_plain() for name, rule in rules.items()},
        date_format=date_format,
        ignore=tuple(str(column) for column in ignore),
    )


def mapping_file_write(*, mapping: MappingFile, format: str = "yaml") -> str:
    """The mapping as a file another installation can import (mapping_file_read reads it back)."""
    data: dict[str, Any] = {
        "tandem_mapping": FILE_VERSION,
        "kind": mapping.kind,
        "name": mapping.name,
        "date_format": mapping.date_format,
        "ignore": list(mapping.ignore),
        "fields": mapping.columns,
    }
    if format == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
