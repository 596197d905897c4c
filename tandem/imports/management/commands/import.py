"""`tandem import KIND FILE`: the same pipeline as the upload page, synchronously, with a progress bar."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from tandem.core.scope import DomainError
from tandem.imports.fields import KINDS
from tandem.imports.models import ImportRun
from tandem.imports.selectors import import_run_report
from tandem.imports.services import import_run_create, import_run_import, import_run_validate

COUNT_LABELS = (
    ("rows", "rows"),
    ("create", "to create"),
    ("update", "to update"),
    ("unchanged", "unchanged"),
    ("move", "moves"),
    ("terminate", "terminations"),
)


class ProgressBars:
    """One tqdm bar per phase ("Checking rows", "Writing"...), on stderr so stdout stays the report."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.phase = ""
        self.bar: tqdm[Any] | None = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if phase != self.phase or self.bar is None:
            self.close()
            self.phase = phase
            self.bar = tqdm(total=total, desc=phase, unit="row", leave=False)
        self.bar.total = total
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class Command(BaseCommand):
    help = "Import an HRIS people file or a metric observations file (CSV or XLSX). Nothing is written if any row has an error."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(KINDS), help="what the file contains")
        parser.add_argument("file", type=Path, help="CSV (UTF-8) or XLSX file")
        parser.add_argument("--dry-run", action="store_true", help="check and preview only; write nothing")
        parser.add_argument(
            "--mapping",
            default="",
            help="a mapping file (YAML or JSON), or a preset (tandem, workday, bamboohr) or saved mapping name",
        )
        parser.add_argument(
            "--export-date",
            type=dt.date.fromisoformat,
            default=None,
            help="YYYY-MM-DD: the day the export was taken (the as-of date unless --as-of is given); "
            "leavers without a termination date left on it",
        )
        parser.add_argument(
            "--create-missing",
            action="store_true",
            help="create the org units and job roles the file uses and Tandem does not have (top level, "
            "or under the only top-level unit), in the same all-or-nothing import",
        )
        parser.add_argument(
            "--format", choices=("text", "json"), default="text", help="report as text or as one JSON object"
        )
        parser.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            default=None,
            help="YYYY-MM-DD: the date moves take effect when a row has no effective_date (default: today)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        bars = ProgressBars(enabled=options["verbosity"] > 0)
        mapping = options["mapping"]
        mapping_file = Path(mapping).read_bytes() if mapping and Path(mapping).is_file() else None
        try:
            run = import_run_create(
                actor_id=None,
                kind=options["kind"],
                filename=path.name,
                content=path.read_bytes(),
                mapping_name="" if mapping_file is not None else mapping,
                mapping_file=mapping_file,
                as_of=options["as_of"],
                export_date=options["export_date"],
                create_references=options["create_missing"],
            )
            if options["dry_run"]:
                run = import_run_validate(run_id=run.pk, progress=bars)
            else:
                run = import_run_import(run_id=run.pk, actor_id=None, progress=bars)
        except DomainError as error:
            raise CommandError(str(error)) from error
        finally:
            bars.close()
        if options["format"] == "json":
            self.stdout.write(json.dumps(import_run_report(run=run), ensure_ascii=False, indent=2))
        else:
            self._report(run, dry_run=options["dry_run"])
        if run.status in (ImportRun.Status.INVALID, ImportRun.Status.FAILED):
            count = run.summary.get("errors", len(run.errors))
            raise CommandError(run.message or f"{count} error(s): nothing was imported")

    def _report(self, run: ImportRun, *, dry_run: bool) -> None:
        """The page's preview as text: columns, counts, what will be created, warnings and errors grouped by
        cause, and the field-level changes (the first 200, as on the page)."""
        used = run.options.get("used_columns") or {}
        self.stdout.write(
            f"{run.get_kind_display()} import of {run.filename} "
            f"(mapping {run.mapping_name}, as of {run.options.get('as_of')})"
        )
        if used:
            self.stdout.write(
                "Columns: " + ", ".join(f"{field} ← {header!r}" for field, header in used.items())
            )
        counts = " | ".join(
            f"{label}: {run.summary[key]}" for key, label in COUNT_LABELS if key in run.summary
        )
        if counts:
            self.stdout.write(counts)
        references = run.summary.get("references") or {}
        for kind, label in (("org_units", "Org units"), ("job_roles", "Job roles")):
            if references.get(kind):
                self.stdout.write(f"{label} to create:")
                for ref in references[kind]:
                    parent = f", inside {ref['parent']}" if ref.get("parent") else ""
                    self.stdout.write(f"  {ref['code']} {ref['name']!r}{parent} ({ref['rows']} rows)")
        for title, key, groups in (
            ("warning(s)", "warnings", run.summary.get("warning_groups", [])),
            ("error(s)", "errors", run.summary.get("error_groups", [])),
        ):
            if groups:
                self.stdout.write(f"{run.summary.get(key, 0)} {title}:")
                for group in groups:
                    self.stdout.write(f"  {_where(group)}: {group['message']}")
        if run.diffs and run.status != ImportRun.Status.INVALID:
            self.stdout.write("Changes made:" if run.status == ImportRun.Status.DONE else "Changes to make:")
            for diff in run.diffs:
                tags = "new" if diff["kind"] == "create" else "update"
                tags += " move" if diff.get("moved") else ""
                tags += " termination" if diff.get("terminated") else ""
                changes = "; ".join(
                    f"{name}: {'' if old is None else f'{old} → '}{'(blank)' if new is None else new}"
                    for name, old, new in diff["changes"]
                )
                self.stdout.write(f"  {diff['key']} [{tags}] {changes or 'new record'}")
        if run.status == ImportRun.Status.DONE:
            self.stdout.write(self.style.SUCCESS(f"Imported (run #{run.pk})."))
        elif run.status == ImportRun.Status.PREVIEWED and dry_run:
            self.stdout.write("Dry run: nothing was written.")


def _where(group: dict[str, Any]) -> str:
    """ "row 2, Department" / "1,470 rows: 2, 3, 4, …, Department" / "file" """
    column = f", {group['column']}" if group["column"] else ""
    rows = [row for row in group["rows"] if row]
    if not rows:
        return f"file{column}"
    more = ", …" if group["count"] > len(rows) else ""
    listed = ", ".join(str(row) for row in rows)
    if group["count"] == 1:
        return f"row {listed}{column}"
    return f"{group['count']:,} rows: {listed}{more}{column}"
