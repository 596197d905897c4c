"""The import pipeline: upload -> validate every row (preview) -> confirm -> write in one transaction.

A run moves uploaded -> validating -> invalid | previewed -> queued -> running -> done | invalid | failed.
Large files do their validating and running in a django-tasks task; small ones in the request.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django_tasks import task

from tandem.audit.services import audit_record
from tandem.core.dates import today
from tandem.core.events import PEOPLE_IMPORTED, event_publish
from tandem.core.scope import DomainError
from tandem.imports.fields import DATE_FORMATS, DEFAULT_PRESET, ISO_DATE, KINDS, PRESETS
from tandem.imports.models import ColumnMapping, ImportKind, ImportRun
from tandem.imports.parsing import ParseError, row_count_estimate, table_read
from tandem.imports.selectors import (
    PERSON_LOOKUPS,
    mapping_resolve,
    metric_observations_compare,
    metric_references,
    people_current_values,
    people_references,
)
from tandem.imports.validation import (
    RowError,
    Validated,
    metric_observations_validate,
    people_validate,
    row_error,
)
from tandem.metrics.services import metric_observations_upsert
from tandem.org.assignments import AssignmentConflictError
from tandem.org.people import people_apply, people_plan
from tandem.org.records import PeoplePlan, PersonRow

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[str, int, int], None]  # (phase, done, total)
DIFF_LIMIT = 200  # diffs kept for the preview page
ERROR_LIMIT = 100_000  # errors kept on the run (the count in the summary is always exact)
Status = ImportRun.Status
TEXT_FIELDS = {"job_title", "location", "country", "employment_type"}  # stored as "" rather than NULL


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


# --- mappings -----------------------------------------------------------------------------------


def column_mapping_create(
    *, actor_id: int | None, kind: str, name: str, columns: dict[str, str], date_format: str = ISO_DATE
) -> ColumnMapping:
    """Save a custom mapping {our field: their header}; blank entries fall back to our names and aliases."""
    if kind not in KINDS:
        raise DomainError(f"Unknown import kind {kind!r}")
    slug = slugify(name)
    if not slug:
        raise DomainError("Give the mapping a name (letters, digits and dashes)")
    if slug in PRESETS[kind]:
        raise DomainError(f"{slug!r} is the name of a built-in preset: choose another name")
    if ColumnMapping.objects.filter(kind=kind, name=slug).exists():
        raise DomainError(f"A {kind} mapping named {slug!r} already exists")
    unknown = sorted(set(columns) - set(KINDS[kind].names))
    if unknown:
        raise DomainError(f"Unknown field(s) for {kind} files: {', '.join(unknown)}")
    if date_format not in dict(DATE_FORMATS):
        raise DomainError(f"Unsupported date format {date_format!r}")
    cleaned = {key: value.strip() for key, value in columns.items() if value and value.strip()}
    if not cleaned:
        raise DomainError("Name at least one column")
    options = {} if date_format == ISO_DATE else {"date_format": date_format}
    mapping = ColumnMapping.objects.create(
        name=slug, kind=kind, columns=cleaned, options=options, created_by_id=actor_id
    )
    audit_record(
        actor_id=actor_id,
        action="create",
        entity_type="column_mapping",
        entity_id=mapping.pk,
        entity_label=f"{kind} {slug}",
        changes={"columns": cleaned, "options": options},
    )
    return mapping


# --- runs ---------------------------------------------------------------------------------------


def import_run_create(
    *,
    actor_id: int | None,
    kind: str,
    filename: str,
    content: bytes,
    mapping_name: str = "",
    as_of: dt.date | None = None,
) -> ImportRun:
    """Store the uploaded file with the mapping it will be read with; nothing is checked yet."""
    mapping = mapping_resolve(kind=kind, name=mapping_name or DEFAULT_PRESET)
    options: dict[str, Any] = {
        **mapping.options,
        "as_of": (as_of or today()).isoformat(),
        "strict": mapping.saved,
    }
    return ImportRun.objects.create(
        kind=kind,
        filename=filename[-255:],
        content=content,
        mapping_name=mapping.name,
        columns=mapping.columns,
        options=options,
        row_count=row_count_estimate(content=content),
        phase="Waiting to start",
        created_by_id=actor_id,
    )


def _in_background(run: ImportRun) -> bool:
    return run.row_count > settings.TANDEM_IMPORT_BACKGROUND_ROWS


def _enqueue(run_id: int) -> None:
    """Queue the run's next step once the transaction that prepared it has committed."""

    def send() -> None:
        result = import_run_process.enqueue(run_id)
        ImportRun.objects.filter(pk=run_id).update(task_result_id=str(result.id)[:64])

    transaction.on_commit(send)


def import_run_submit(
    *,
    actor_id: int | None,
    kind: str,
    filename: str,
    content: bytes,
    mapping_name: str = "",
    as_of: dt.date | None = None,
    background: bool | None = None,
) -> ImportRun:
    """Upload and preview: validate now for small files, queue it for large ones (background=None)."""
    run = import_run_create(
        actor_id=actor_id,
        kind=kind,
        filename=filename,
        content=content,
        mapping_name=mapping_name,
        as_of=as_of,
    )
    if _in_background(run) if background is None else background:
        _enqueue(run.pk)
        return run
    return import_run_validate(run_id=run.pk)


def import_run_confirm(
    *,
    run_id: int,
    actor_id: int | None,
    background: bool | None = None,
    progress: ProgressCallback | None = None,
) -> ImportRun:
    """Write a previewed run: now for small files, in the background for large ones (background=None)."""
    run = ImportRun.objects.defer("content").get(pk=run_id)
    claimed = ImportRun.objects.filter(pk=run_id, status=Status.PREVIEWED).update(
        status=Status.QUEUED,
        phase="Waiting to start",
        progress_done=0,
        options={**run.options, "confirmed_by": actor_id},
    )
    if not claimed:
        raise DomainError(f"This import cannot be confirmed: it is {run.get_status_display().lower()}")
    if _in_background(run) if background is None else background:
        _enqueue(run_id)
        run.refresh_from_db()
        return run
    return import_run_execute(run_id=run_id, progress=progress)


@dataclass
class Checked:
    """The outcome of reading and checking a run's file against the database as it is now."""

    errors: list[RowError] = field(default_factory=list)
    rows: list[Any] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    diffs: list[dict[str, Any]] = field(default_factory=list)
    plan: PeoplePlan | None = None


def _reporter(run_id: int, progress: ProgressCallback | None) -> Callable[[str], Callable[[int, int], None]]:
    """Progress for one phase: saved on the run (for the polling page) and passed on (for the CLI bar)."""

    def for_phase(phase: str) -> Callable[[int, int], None]:
        ImportRun.objects.filter(pk=run_id).update(phase=phase, progress_done=0)

        def report(done: int, total: int) -> None:
            ImportRun.objects.filter(pk=run_id).update(progress_done=done, progress_total=total)
            if progress:
                progress(phase, done, total)

        return report

    return for_phase


def _check(run: ImportRun, progress: ProgressCallback | None) -> Checked:
    """Parse, validate every row and compare with the database. Reads only; never writes data."""
    phase = _reporter(run.pk, progress)
    phase("Reading the file")
    try:
        table = table_read(content=bytes(run.content), filename=run.filename)
    except ParseError as error:
        return Checked(errors=[row_error(0, "", "", str(error))])
    ImportRun.objects.filter(pk=run.pk).update(row_count=len(table.rows), progress_total=len(table.rows))
    run.row_count = len(table.rows)
    date_format = run.options.get("date_format", ISO_DATE)
    strict = bool(run.options.get("strict"))
    validated: Validated
    if run.kind == ImportKind.PEOPLE:
        references = people_references()
        validated = people_validate(
            table=table,
            columns=run.columns,
            strict=strict,
            date_format=date_format,
            references=references,
            progress=phase("Checking rows"),
        )
    else:
        validated = metric_observations_validate(
            table=table,
            columns=run.columns,
            strict=strict,
            date_format=date_format,
            references=metric_references(),
            progress=phase("Checking rows"),
        )
    # Row order reads best (checks run field by field, then across rows).
    errors = sorted(validated.errors, key=lambda error: error["row"])
    checked = Checked(errors=errors, rows=validated.rows, columns=validated.columns)
    if checked.errors:
        return checked
    phase("Comparing with Tandem")
    if run.kind == ImportKind.PEOPLE:
        on = dt.date.fromisoformat(run.options["as_of"])
        rows = _keep_what_the_file_leaves_out(validated.rows, columns=checked.columns, on=on)
        try:
            plan = people_plan(rows=rows, on=on)
        except AssignmentConflictError as error:
            # validated.rows follow the file's rows one to one (a file with row errors stopped above).
            numbers = {
                row.employee_id: number
                for row, (number, _cells) in zip(validated.rows, table.rows, strict=True)
            }
            checked.errors = [
                row_error(
                    numbers.get(c.employee_id, 0), checked.columns.get(c.field, c.field), c.value, c.message
                )
                for c in error.conflicts
            ]
            return checked
        checked.plan = plan
        checked.counts = plan.counts
        checked.diffs = [
            {
                "key": change.employee_id,
                "kind": change.kind,
                "moved": change.moved,
                "terminated": change.terminated,
                "changes": [[name, _plain(old), _plain(new)] for name, (old, new) in change.diffs.items()],
            }
            for change in islice((c for c in plan.changes if c.kind != "unchanged"), DIFF_LIMIT)
        ]
    else:
        checked.counts, checked.diffs = metric_observations_compare(
            rows=validated.rows, diff_limit=DIFF_LIMIT
        )
    return checked


def _keep_what_the_file_leaves_out(
    rows: list[PersonRow], *, columns: dict[str, str], on: dt.date
) -> list[PersonRow]:
    """A file without (say) a location column must not blank everyone's location: absent optional
    columns keep the stored values of people who already exist."""
    absent = [name for name in PERSON_LOOKUPS if name not in columns]
    if not absent:
        return rows
    stored = people_current_values(fields=absent)
    kept: list[PersonRow] = []
    for row in rows:
        current = stored.get(row.employee_id)
        if current is None:
            kept.append(row)
            continue
        values = {name: current[name] for name in absent if name != "status"}
        values = {
            name: ("" if value is None and name in TEXT_FIELDS else value) for name, value in values.items()
        }
        if "status" in absent:
            # Derived from the termination date as usual, but "on leave" is not something a date can say.
            ended = values.get("termination_date", row.termination_date)
            derived = "terminated" if ended and ended <= on else "active"
            values["status"] = "on_leave" if derived == "active" and current["status"] == "on_leave" else None
        kept.append(replace(row, **values))
    return kept


def _summary(checked: Checked, rows: int) -> dict[str, Any]:
    return {"rows": rows, "errors": len(checked.errors), **checked.counts}


def import_run_validate(*, run_id: int, progress: ProgressCallback | None = None) -> ImportRun:
    """Check every row and record the preview (counts, diffs, errors). A run already checked is left alone."""
    claimed = ImportRun.objects.filter(pk=run_id, status=Status.UPLOADED).update(status=Status.VALIDATING)
    run = ImportRun.objects.get(pk=run_id)
    if not claimed:
        return run
    try:
        checked = _check(run, progress)
    except Exception as error:
        return _fail(run, error)
    run.status = Status.INVALID if checked.errors else Status.PREVIEWED
    run.phase = ""
    run.summary = _summary(checked, run.row_count)
    run.errors = checked.errors[:ERROR_LIMIT]
    run.diffs = checked.diffs
    run.options = {**run.options, "used_columns": checked.columns}
    run.progress_done = run.progress_total = run.row_count
    run.save(
        update_fields=[
            "status",
            "phase",
            "summary",
            "errors",
            "diffs",
            "options",
            "progress_done",
            "progress_total",
        ]
    )
    return run


def import_run_execute(*, run_id: int, progress: ProgressCallback | None = None) -> ImportRun:
    """Check again (the data may have moved on since the preview), then write everything or nothing."""
    claimed = ImportRun.objects.filter(pk=run_id, status=Status.QUEUED).update(status=Status.RUNNING)
    run = ImportRun.objects.get(pk=run_id)
    if not claimed:
        return run
    return _check_and_write(
        run,
        actor_id=run.options.get("confirmed_by", run.created_by_id),
        progress=progress,
        stale_message="Tandem's data changed since the preview and the file no longer passes; nothing was imported.",
    )


def import_run_import(
    *, run_id: int, actor_id: int | None, progress: ProgressCallback | None = None
) -> ImportRun:
    """Check and write an uploaded run in one pass (the command line: nobody reads a preview in between)."""
    claimed = ImportRun.objects.filter(pk=run_id, status=Status.UPLOADED).update(status=Status.RUNNING)
    run = ImportRun.objects.get(pk=run_id)
    if not claimed:
        return run
    return _check_and_write(run, actor_id=actor_id, progress=progress, stale_message="")


def _check_and_write(
    run: ImportRun, *, actor_id: int | None, progress: ProgressCallback | None, stale_message: str
) -> ImportRun:
    try:
        checked = _check(run, progress)
        if checked.errors:
            run.status = Status.INVALID
            run.phase = ""
            run.summary = _summary(checked, run.row_count)
            run.errors = checked.errors[:ERROR_LIMIT]
            run.message = stale_message
            run.options = {**run.options, "used_columns": checked.columns}
            run.save(update_fields=["status", "phase", "summary", "errors", "message", "options"])
            return run
        ImportRun.objects.filter(pk=run.pk).update(phase="Writing", progress_done=0)
        write_progress = (lambda done, total: progress("Writing", done, total)) if progress else None
        source = f"import #{run.pk} {run.filename}"
        with transaction.atomic():
            if run.kind == ImportKind.PEOPLE:
                assert checked.plan is not None
                counts = people_apply(
                    plan=checked.plan, actor_id=actor_id, source=source, progress=write_progress
                )
                # After commit: the LRS links learning records to the people just written.
                event_publish(name=PEOPLE_IMPORTED, payload={"import_run_id": run.pk})
            else:
                counts = metric_observations_upsert(
                    rows=checked.rows, actor_id=actor_id, source=source, audit=False
                )
            summary = {**_summary(checked, run.row_count), **counts}
            audit_record(
                actor_id=actor_id,
                action="import",
                entity_type="import_run",
                entity_id=run.pk,
                entity_label=run.filename,
                changes={
                    "kind": run.kind,
                    "filename": run.filename,
                    "mapping": run.mapping_name,
                    "as_of": run.options.get("as_of"),
                    **summary,
                },
                summary=_describe(run.kind, summary),
            )
            run.status = Status.DONE
            run.phase = ""
            run.summary = summary
            run.diffs = checked.diffs
            run.errors = []
            run.message = ""
            run.options = {**run.options, "used_columns": checked.columns}
            run.progress_done = run.progress_total = run.row_count
            run.finished_at = timezone.now()
            run.save(
                update_fields=[
                    "status",
                    "phase",
                    "summary",
                    "diffs",
                    "errors",
                    "message",
                    "options",
                    "progress_done",
                    "progress_total",
                    "finished_at",
                ]
            )
    except Exception as error:
        return _fail(run, error)
    return run


def _describe(kind: str, summary: dict[str, Any]) -> str:
    what = "people" if kind == ImportKind.PEOPLE else "observations"
    text = f"{summary.get('create', 0)} {what} created, {summary.get('update', 0)} updated, {summary.get('unchanged', 0)} unchanged"
    if kind == ImportKind.PEOPLE:
        text += f" ({summary.get('move', 0)} moves, {summary.get('terminate', 0)} terminations)"
    return text


def _fail(run: ImportRun, error: Exception) -> ImportRun:
    """An unexpected failure: nothing was written (the write is one transaction); say so on the run."""
    logger.exception("Import run %s failed", run.pk)
    run.status = Status.FAILED
    run.phase = ""
    run.message = f"The import failed and nothing was written: {error}"
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "phase", "message", "finished_at"])
    return run


@task()
def import_run_process(run_id: int) -> str:
    """Background step of a run: validate an uploaded run or write a queued one. Finished runs: no-op."""
    run = ImportRun.objects.only("status").filter(pk=run_id).first()
    if run is None:
        return "missing"
    if run.status == Status.UPLOADED:
        run = import_run_validate(run_id=run_id)
    elif run.status == Status.QUEUED:
        run = import_run_execute(run_id=run_id)
    return str(run.status)
