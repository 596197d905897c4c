"""`tandem lrs-import FILE`: store statements exported from another LRS, all or nothing."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from tandem.lrs.bulk_import import StatementImportError, statements_file_read, statements_import

VERSIONS = ["1.0.3", "2.0.0"]


class Command(BaseCommand):
    help = (
        "Import xAPI statements from a JSON array, JSON lines or StatementResult file, validated as "
        "POST /xapi/statements does; nothing is stored if any statement is refused. Statements keep their id."
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
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        show = options["verbosity"] > 0 and sys.stderr.isatty()
        try:
            entries = statements_file_read(text=text)
            with tqdm(
                total=len(entries), desc="Storing", unit="statement", disable=not show, leave=False
            ) as bar:
                result = statements_import(
                    entries=entries,
                    version=options["xapi_version"],
                    client_key=options["client"],
                    batch_size=max(1, options["batch_size"]),
                    progress=bar.update,
                )
        except StatementImportError as error:
            for problem in error.problems:
                self.stderr.write(f"  {problem}")
            raise CommandError(f"{path}: {len(error.problems)} problem(s); nothing was stored.") from error
        self.stdout.write(
            f"{result.read} statement(s) read, {result.stored} stored, {result.already_stored} already stored "
            f"(same id and content), in {result.batches} batch(es) as client {result.client_key}."
        )
        self.stdout.write(self.style.SUCCESS("Imported."))
