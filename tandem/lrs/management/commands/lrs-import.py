"""`tandem lrs-import FILE`: store statements exported from another LRS (all or nothing, or --skip-invalid)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from tandem.lrs.bulk_import import BATCH_SIZE, StatementImportError, statements_import

VERSIONS = ["1.0.3", "2.0.0"]


class Command(BaseCommand):
    help = (
        "Import xAPI statements from a JSON array, JSON lines or StatementResult file, validated as "
        "POST /xapi/statements does; nothing is stored if any statement is refused, unless --skip-invalid. "
        "Statements keep their id. The file is read one statement at a time, whatever its size."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # --version here is the xAPI version; "resolve" lets it replace Django's --version flag.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--client", help="key of the LRS credential named as authority (default: an import one)"
        )
        parser.add_argument("--version", choices=VERSIONS, default="1.0.3", dest="xapi_version")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="store the valid statements and write the refused ones, with their reasons, to --report",
        )
        parser.add_argument(
            "--report",
            type=Path,
            help="report of refused statements for --skip-invalid: JSON lines, or CSV for a name ending in "
            ".csv (default: FILE.refused.jsonl)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"Cannot read {path}: no such file")
        report: Path | None = None
        if options["skip_invalid"]:
            report = options["report"] or path.with_name(path.name + ".refused.jsonl")
        elif options["report"]:
            raise CommandError(
                "--report is the list of statements --skip-invalid leaves out: add --skip-invalid"
            )
        show = options["verbosity"] > 0 and sys.stderr.isatty()
        try:
            with tqdm(desc="Storing", unit="statement", disable=not show, leave=False) as bar:
                result = statements_import(
                    path=path,
                    version=options["xapi_version"],
                    client_key=options["client"],
                    batch_size=max(1, options["batch_size"]),
                    skip_invalid=options["skip_invalid"],
                    report_path=report,
                    progress=bar.update,
                )
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        except StatementImportError as error:
            for problem in error.problems:
                self.stderr.write(f"  {problem}")
            if error.total > len(error.problems):
                self.stderr.write(f"  … and {error.total - len(error.problems)} more")
            hint = " Fix them, or import the valid ones with --skip-invalid." if error.total > 1 else ""
            raise CommandError(f"{path}: {error.total} problem(s); nothing was stored.{hint}") from error
        self.stdout.write(
            f"{result.read} statement(s) read, {result.stored} stored, {result.already_stored} already stored "
            f"(same id and content), in {result.batches} batch(es) as client {result.client_key}."
        )
        if result.report_path is not None:
            self.stdout.write(
                f"{result.refused} statement(s) refused and left out, with their reasons in {result.report_path}."
            )
        self.stdout.write(self.style.SUCCESS("Imported."))
