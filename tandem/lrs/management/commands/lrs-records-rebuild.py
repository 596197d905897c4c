"""`tandem lrs-records-rebuild [--verb IRI]`: rebuild learning records from their statements."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from tandem.lrs.services import learning_records_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild learning records (person × activity) from their statements, after the record rules changed "
        "(docs/lrs-storage.md, 'Learning records'). With --verb, only the pairs that have a statement with "
        "that verb. Safe while statements arrive."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--verb", help="only pairs with a statement of this verb IRI")

    def handle(self, *args: Any, **options: Any) -> None:
        show = options["verbosity"] > 0 and sys.stderr.isatty()
        with tqdm(desc="Rebuilding", unit="pair", disable=not show, leave=False) as bar:

            def moved(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            written = learning_records_rebuild(verb_id=options["verb"], progress=moved)
        self.stdout.write(self.style.SUCCESS(f"{written} learning record(s) rebuilt."))
