"""Reads for imports: runs, mappings, and the reference data a file is checked against."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from tandem.core.scope import DomainError
from tandem.imports.fields import ISO_DATE, KINDS, PRESETS
from tandem.imports.mappings import MappingFile, mapping_file_write
from tandem.imports.models import ColumnMapping, ImportRun
from tandem.imports.validation import MetricReferences, PeopleReferences
from tandem.metrics.models import MetricDefinition, MetricObservation
from tandem.metrics.records import ObservationRow
from tandem.metrics.services import entity_key_for
from tandem.org.models import JobRole, OrgUnit, Person

# The list page never needs the file, the errors or the diffs.
_HEAVY = ("content", "errors", "diffs", "columns")


@dataclass(frozen=True)
class Mapping:
    name: str
    label: str
    columns: dict[str, Any]  # our field -> their column, None (not imported) or a rule (mappings.py)
    options: dict[str, Any] = field(default_factory=dict)
    saved: bool = False


def mapping_resolve(*, kind: str, name: str) -> Mapping:
    """A preset of that kind by name, else a saved custom mapping; DomainError if neither exists."""
    if kind not in KINDS:
        raise DomainError(f"Unknown import kind {kind!r}: use one of {', '.join(KINDS)}")
    preset = PRESETS[kind].get(name)
    if preset is not None:
        return Mapping(preset.name, preset.label, dict(preset.columns), dict(preset.options))
    saved = ColumnMapping.objects.filter(kind=kind, name=name).first()
    if saved is None:
        known = [*PRESETS[kind], *ColumnMapping.objects.filter(kind=kind).values_list("name", flat=True)]
        raise DomainError(f"No mapping named {name!r} for {kind} files (known: {', '.join(known)})")
    return Mapping(saved.name, saved.name, dict(saved.columns), dict(saved.options), saved=True)


def mapping_choices() -> dict[str, list[Mapping]]:
    """Presets then saved mappings, per kind, for the upload form (one query)."""
    choices: dict[str, list[Mapping]] = {
        kind: [Mapping(p.name, p.label, p.columns, p.options) for p in presets.values()]
        for kind, presets in PRESETS.items()
    }
    for saved in ColumnMapping.objects.order_by("kind", "name"):
        choices.setdefault(saved.kind, []).append(
            Mapping(saved.name, saved.name, saved.columns, saved.options, saved=True)
        )
    return choices


def mapping_file_export(*, kind: str, name: str, format: str = "yaml") -> tuple[str, str]:
    """(file name, content) of a preset or saved mapping as a file another installation can import."""
    mapping = mapping_resolve(kind=kind, name=name)
    content = mapping_file_write(
        mapping=MappingFile(
            kind=kind,
            name=mapping.name,
            columns=mapping.columns,
            date_format=mapping.options.get("date_format", ISO_DATE),
            ignore=tuple(mapping.options.get("ignore", ())),
        ),
        format=format,
    )
    return f"tandem-mapping-{kind}-{mapping.name}.{'json' if format == 'json' else 'yaml'}", content


def column_mapping_list() -> QuerySet[ColumnMapping]:
    return ColumnMapping.objects.select_related("created_by").order_by("kind", "name")


def import_run_list(*, limit: int = 50) -> QuerySet[ImportRun]:
    return (
        ImportRun.objects.defer(*_HEAVY).select_related("created_by").order_by("-created_at", "-id")[:limit]
    )


def import_run_get(*, run_id: int) -> ImportRun | None:
    return ImportRun.objects.defer("content").select_related("created_by").filter(pk=run_id).first()


def import_run_errors(*, run_id: int) -> ImportRun | None:
    """A run's kept errors and warnings (for the CSV download), without the file."""
    return ImportRun.objects.only("id", "filename", "errors", "summary").filter(pk=run_id).first()


def import_run_progress(*, run_id: int) -> ImportRun | None:
    """Only what the polling fragment shows (called every second while a run is busy)."""
    return (
        ImportRun.objects.only(
            "id", "status", "phase", "progress_done", "progress_total", "summary", "message"
        )
        .filter(pk=run_id)
        .first()
    )


def org_unit_choices() -> list[tuple[str, str]]:
    """(code, name) of every org unit, for choosing the parent of a unit an import creates."""
    return list(OrgUnit.objects.order_by("path", "code").values_list("code", "name"))


def import_run_report(*, run: ImportRun) -> dict[str, Any]:
    """A run as the page shows it, as plain data (the command line's --format json)."""
    return {
        "id": run.pk,
        "kind": run.kind,
        "filename": run.filename,
        "status": run.status,
        "mapping": run.mapping_name,
        "as_of": run.options.get("as_of"),
        "export_date": run.options.get("export_date"),
        "columns": run.options.get("used_columns") or {},
        "summary": run.summary,
        "errors": run.errors,
        "changes": run.diffs,
        "message": run.message,
    }


# --- reference data -----------------------------------------------------------------------------


def people_references() -> PeopleReferences:
    managers: dict[str, str | None] = dict(
        Person.objects.order_by()
        .values_list("employee_id", "manager__employee_id")
        .iterator(chunk_size=10000)
    )
    return PeopleReferences(
        org_unit_codes=frozenset(OrgUnit.objects.values_list("code", flat=True)),
        job_role_codes=frozenset(JobRole.objects.values_list("code", flat=True)),
        managers=managers,
    )


# PersonRow fields that a file may leave out, and where Person keeps them.
PERSON_LOOKUPS: dict[str, str] = {
    "job_title": "job_title",
    "job_role_code": "job_role__code",
    "manager_employee_id": "manager__employee_id",
    "location": "location",
    "country": "country",
    "employment_type": "employment_type",
    "termination_date": "termination_date",
    "status": "status",
}


def people_current_values(*, fields: list[str]) -> dict[str, dict[str, Any]]:
    """{employee id: {field: stored value}} for the given PersonRow fields, for everyone (one query)."""
    lookups = [PERSON_LOOKUPS[name] for name in fields]
    return {
        row[0]: dict(zip(fields, row[1:], strict=True))
        for row in Person.objects.order_by().values_list("employee_id", *lookups).iterator(chunk_size=10000)
    }


def metric_references() -> MetricReferences:
    return MetricReferences(
        metric_codes=frozenset(MetricDefinition.objects.values_list("code", flat=True)),
        org_unit_codes=frozenset(OrgUnit.objects.values_list("code", flat=True)),
        employee_ids=frozenset(Person.objects.order_by().values_list("employee_id", flat=True)),
    )


def metric_observations_compare(
    *, rows: list[ObservationRow], diff_limit: int
) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """What metric_observations_upsert would do, without writing: counts and the first value changes."""
    metrics = dict(
        MetricDefinition.objects.filter(code__in={r.metric_code for r in rows}).values_list("code", "id")
    )
    units = dict(OrgUnit.objects.values_list("code", "id"))
    people = dict(
        Person.objects.filter(employee_id__in={r.entity_code for r in rows if r.entity_kind == "person"})
        .order_by()
        .values_list("employee_id", "id")
    )
    existing: dict[tuple[int, str, dt.date], float] = {
        (metric_id, key, period): value
        for metric_id, key, period, value in MetricObservation.objects.filter(metric_id__in=metrics.values())
        .order_by()
        .values_list("metric_id", "entity_key", "period_start", "value")
        .iterator(chunk_size=10000)
    }
    counts = {"create": 0, "update": 0, "unchanged": 0}
    diffs: list[dict[str, Any]] = []
    for row in rows:
        entity_id = people.get(row.entity_code) if row.entity_kind == "person" else units.get(row.entity_code)
        key = (metrics[row.metric_code], entity_key_for(row.entity_kind, entity_id), row.period_start)
        label = f"{row.metric_code} · {row.entity_kind} {row.entity_code} · {row.period_start.isoformat()}"
        current = existing.get(key)
        if current is None:
            counts["create"] += 1
            kind = "create"
            changes = [["value", None, row.value]]
        elif current != row.value:
            counts["update"] += 1
            kind = "update"
            changes = [["value", current, row.value]]
        else:
            counts["unchanged"] += 1
            continue
        if len(diffs) < diff_limit:
            diffs.append(
                {"key": label, "kind": kind, "changes": changes, "moved": False, "terminated": False}
            )
    return counts, diffs


def import_run_failed_list(*, since: dt.datetime, limit: int = 10) -> list[ImportRun]:
    """Imports that failed or were refused since `since` and not followed by a successful import of the same
    kind (someone still has to fix the file): the home page's list for L&D. One query."""
    later_done = ImportRun.objects.filter(
        kind=OuterRef("kind"), status=ImportRun.Status.DONE, created_at__gt=OuterRef("created_at")
    )
    return list(
        ImportRun.objects.defer(*_HEAVY)
        .filter(status__in=[ImportRun.Status.FAILED, ImportRun.Status.INVALID], created_at__gte=since)
        .exclude(Exists(later_done))
        .order_by("-created_at", "-id")[:limit]
    )
