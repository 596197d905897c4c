from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from tandem.demo.serving import serve


class Command(BaseCommand):
    help = "Serve Tandem: the web server (gunicorn) and the background task worker, until Ctrl-C."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--workers", type=int, default=2, help="web server processes (default 2)")
        parser.add_argument(
            "--no-migrate", action="store_true", help="do not apply pending database migrations first"
        )

    def handle(
        self, *args: Any, port: int, host: str, workers: int, no_migrate: bool, **options: Any
    ) -> None:
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        if not no_migrate:
            # A fresh data directory must work straight away; up-to-date databases make this a no-op.
            call_command("migrate", interactive=False, verbosity=0)
        code = serve(host=host, port=port, workers=workers, out=self.stdout)
        if code:
            raise CommandError(f"Tandem stopped with exit code {code}")
