"""The import pipeline: upload -> validate every row (preview) -> confirm -> write in one transaction.

A run moves uploaded -> validating -> invalid | previewed -> queued -> running -> done | invalid | failed.
Large files do their validating and running in a django-tasks task; small ones in the request.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
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
from tandem.imports.mappings import mapping_file_read, rules_parse
from tandem.imports.models import ColumnMapping, ImportKind, ImportRun
from tandem.imports.parsing import ParseError, row_count_estimate, table_read
from tandem.imports.references import (
    references_choose,
    references_create,
    references_defaults,
    references_proposed,
)
from tandem.imports.reporting import errors_group
from tandem.imports.selectors import (
    PERSON_LOOKUPS,
    Mapping,
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
ERROR_LIMIT = 20_000  # errors kept on the run (the count and the groups in the summary are always exact)
Status = ImportRun.Status
TEXT_FIELDS = {"job_title", "location", "country", "employment_type"}  # stored as "" rather than NULL


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


# --- mappings -----------------------------------------------------------------------------------


def column_mapping_create(
    *,
    actor_id: int | None,
    kind: str,
    name: str,
    columns: dict[str, Any],
    date_format: str = ISO_DATE,
    ignore: Sequence[str] = (),
) -> ColumnMapping:
    """Save a custom mapping {our field: their column, None (not imported) or a rule (see mappings.py)};
    fields it leaves out (or leaves "") are found by their name or an alias."""
    if kind not in KINDS:
        raise DomainError(f"Unknown import kind {kind!r}")
    slug = slugify(name)
    if not slug:
        raise DomainError("Give the mapping a name (letters, digits and dashes)")
    if slug in PRESETS[kind]:
        raise DomainError(f"{slug!r} is the name of a built-in preset: choose another name")
    if ColumnMapping.objects.filter(kind=kind, name=slug).exists():
        raise DomainError(f"A {kind} mapping named {slug!r} already exists")
    if date_format not in dict(DATE_FORMATS):
        raise DomainError(f"Unsupported date format {date_format!r}")
    # None: not imported; "" (a blank form field): found by name, as if not given.
    given = {
        key: value for key, value in columns.items() if not (isinstance(value, str) and not value.strip())
    }
    rules = rules_parse(kind=kind, columns=given)
    off = [name for name, rule in rules.items() if rule.off and KINDS[kind].get(name).required]
    if off:
        raise DomainError(f"{', '.join(off)} cannot be left out: a {kind} file needs it")
    cleaned = {key: rule.as_plain() for key, rule in rules.items()}
    ignored = sorted({column.strip() for column in ignore if column.strip()})
    if not cleaned and not ignored:
        raise DomainError("Name at least one column")
    options: dict[str, Any] = {} if date_format == ISO_DATE else {"date_format": date_format}
    if ignored:
        options["ignore"] = ignored
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


def column_mapping_import(*, actor_id: int | None, content: bytes, name: str = "") -> ColumnMapping:
    """Save a mapping from a mapping file (YAML or JSON, as mapping_file_export writes); `name` overrides
    the file's own name."""
    mapping = mapping_file_read(content=content)
    return column_mapping_create(
        actor_id=actor_id,
        kind=mapping.kind,
        name=name or mapping.name,
        columns=mapping.columns,
        date_format=mapping.date_format,
        ignore=mapping.ignore,
    )


# --- runs ---------------------------------------------------------------------------------------


def import_run_create(
    *,
    actor_id: int | None,
    kind: str,
    filename: str,
    content: bytes,
    mapping_name: str = "",
    as_of: dt.date | None = None,
    export_date: dt.date | None = None,
    create_references: bool = False,
    mapping_file: bytes | None = None,
) -> ImportRun:
    """Store the uploaded file with the mapping it will be read with; nothing is checked yet.

    export_date: the day the export was taken (the as-of date unless one is given; leavers without a
    termination date left on it). create_references: the caller may create org units and job roles, so
    unknown ones are offered for creation instead of being errors."""
    if mapping_file is not None:
        # A mapping file used as it is, without saving it (the command line's --mapping FILE).
        read = mapping_file_read(content=mapping_file)
        if read.kind != kind:
            raise DomainError(f"The mapping file is for {read.kind} files, not {kind}")
        file_options: dict[str, Any] = {"ignore": list(read.ignore)} if read.ignore else {}
        if read.date_format != ISO_DATE:
            file_options["date_format"] = read.date_format
        mapping = Mapping(read.name or "file", read.name, read.columns, file_options, saved=True)
    else:
        mapping = mapping_resolve(kind=kind, name=mapping_name or DEFAULT_PRESET)
    options: dict[str, Any] = {
        **mapping.options,
        "as_of": (as_of or export_date or today()).isoformat(),
        "strict": mapping.saved,
    }
    if export_date is not None:
        options["export_date"] = export_date.isoformat()
    if create_references and kind == ImportKind.PEOPLE:
        options["create_references"] = True
    return ImportRun.objects.create(
        kind=kind,
        filename=filename[-255:],
        content=content,
        size=len(content),
        mapping_name=mapping.name,
        columns=mapping.columns,
        options=options,
        row_count=row_count_estimate(content=content),
        phase="Waiting to start",
        created_by_id=actor_id,
    )


def _in_background(run: ImportRun) -> bool:
    """Many rows, or a large file (whatever it claims: an XLSX's row count comes from its own dimension,
    and a few long lines cost as much as many short ones)."""
    return (
        run.row_count > settings.TANDEM_IMPORT_BACKGROUND_ROWS
        or run.size > settings.TANDEM_IMPORT_BACKGROUND_BYTES
    )


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
    export_date: dt.date | None = None,
    create_references: bool = False,
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
        export_date=export_date,
        create_references=create_references,
    )
    if _in_background(run) if background is None else background:
        _enqueue(run.pk)
        return run
    return import_run_validate(run_id=run.pk)


def import_run_confirm(
    *,
    run_id: int,
    actor_id: int | None,
    references: dict[str, dict[str, dict[str, str]]] | None = None,
    background: bool | None = None,
    progress: ProgressCallback | None = None,
) -> ImportRun:
    """Write a previewed run: now for small files, in the background for large ones (background=None).

    references: the org units and job roles to create with it, as the preview listed them, with the names and
    parents chosen ({"org_units": {code: {"name", "parent"}}, "job_roles": {code: {"name"}}}); the preview's
    defaults when None. Only for a run uploaded by someone allowed to create them."""
    run = ImportRun.objects.defer("content").get(pk=run_id)
    if run.purged_at is not None:
        raise DomainError("The file was deleted (imports keep files for a limited time): upload it again")
    chosen = references_choose(run=run, chosen=references)
    claimed = ImportRun.objects.filter(pk=run_id, status=Status.PREVIEWED).update(
        status=Status.QUEUED,
        phase="Waiting to start",
        progress_done=0,
        options={**run.options, "confirmed_by": actor_id, "references": chosen},
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
    warnings: list[RowError] = field(default_factory=list)
    references: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # to create (references.py)
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
        return Checked(errors=[row_error(error.row, error.column, "", str(error))])
    ImportRun.objects.filter(pk=run.pk).update(row_count=len(table.rows), progress_total=len(table.rows))
    run.row_count = len(table.rows)
    options = run.options
    date_format = options.get("date_format", ISO_DATE)
    strict = bool(options.get("strict"))
    on = dt.date.fromisoformat(options["as_of"])
    ignore = options.get("ignore", ())
    validated: Validated
    if run.kind == ImportKind.PEOPLE:
        export_date = options.get("export_date")
        validated = people_validate(
            table=table,
            columns=run.columns,
            strict=strict,
            date_format=date_format,
            references=people_references(),
            as_of=on,
            ignore=ignore,
            export_date=dt.date.fromisoformat(export_date) if export_date else None,
            create_references=bool(options.get("create_references")),
            progress=phase("Checking rows"),
        )
    else:
        validated = metric_observations_validate(
            table=table,
            columns=run.columns,
            strict=strict,
            date_format=date_format,
            references=metric_references(),
            as_of=on,
            ignore=ignore,
            progress=phase("Checking rows"),
        )
    # Row order reads best (checks run field by field, then across rows).
    errors = sorted(validated.errors, key=lambda error: error["row"])
    checked = Checked(
        errors=errors,
        warnings=validated.warnings,
        rows=validated.rows,
        columns=validated.columns,
        references=references_proposed(validated=validated, columns=run.columns),
    )
    if checked.errors:
        return checked
    phase("Comparing with Tandem")
    if run.kind == ImportKind.PEOPLE:
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
    summary: dict[str, Any] = {
        "rows": rows,
        "errors": len(checked.errors),
        "warnings": len(checked.warnings),
        **checked.counts,
        "error_groups": errors_group(errors=checked.errors),
        "warning_groups": errors_group(errors=checked.warnings),
    }
    if checked.references:
        summary["references"] = checked.references
    return summary


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
                created = references_create(
                    proposed=checked.references,
                    chosen=run.options.get("references") or references_defaults(checked.references),
                    actor_id=actor_id,
                    on=dt.date.fromisoformat(run.options["as_of"]),
                )
                counts = people_apply(
                    plan=checked.plan, actor_id=actor_id, source=source, progress=write_progress
                )
                # After commit: the LRS links learning records to the people just written.
                event_publish(name=PEOPLE_IMPORTED, payload={"import_run_id": run.pk})
            else:
                created = {}
                counts = metric_observations_upsert(
                    rows=checked.rows, actor_id=actor_id, source=source, audit=False
                )
            summary = {**_summary(checked, run.row_count), **counts, **created}
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
