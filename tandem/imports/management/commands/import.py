"""`tandem import KIND FILE`: the same pipeline as the upload page, synchronously, with a progress bar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from tandem.core.scope import DomainError
from tandem.imports.fields import KINDS
from tandem.imports.models import ImportRun
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
            "--mapping", default="", help="preset (tandem, workday, bamboohr) or saved mapping name"
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
        try:
            run = import_run_create(
                actor_id=None,
                kind=options["kind"],
                filename=path.name,
                content=path.read_bytes(),
                mapping_name=options["mapping"],
                as_of=options["as_of"],
            )
            if options["dry_run"]:
                run = import_run_validate(run_id=run.pk, progress=bars)
            else:
                run = import_run_import(run_id=run.pk, actor_id=None, progress=bars)
        except DomainError as error:
            raise CommandError(str(error)) from error
        finally:
            bars.close()
        self._report(run, dry_run=options["dry_run"])
        if run.status in (ImportRun.Status.INVALID, ImportRun.Status.FAILED):
            count = run.summary.get("errors", len(run.errors))
            raise CommandError(run.message or f"{count} error(s): nothing was imported")

    def _report(self, run: ImportRun, *, dry_run: bool) -> None:
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
        if run.errors:
            self.stdout.write(f"{run.summary.get('errors', len(run.errors))} error(s):")
            for error in run.errors:
                where = f"row {error['row']}" if error["row"] else "file"
                column = f", {error['column']}" if error["column"] else ""
                self.stdout.write(f"  {where}{column}: {error['message']}")
        if run.status == ImportRun.Status.DONE:
            self.stdout.write(self.style.SUCCESS(f"Imported (run #{run.pk})."))
        elif run.status == ImportRun.Status.PREVIEWED and dry_run:
            self.stdout.write("Dry run: nothing was written.")
