from __future__ import annotations

import sys
from argparse import ArgumentParser
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from tandem.demo.context import Step, Tick
from tandem.demo.logins import demo_passwords, logins_path, logins_read, logins_write
from tandem.demo.services import DEFAULT_SEED, demo_build, demo_is_loaded
from tandem.demo.serving import base_url_default, serve


@contextmanager
def _bar(step: Step, total: int) -> Iterator[Tick]:
    # stderr: progress bars redraw with carriage returns, which Django's stdout wrapper would break.
    with tqdm(total=total, desc=f"{step.label:<40}", unit="", file=sys.stderr, leave=True) as bar:

        def tick(done: int) -> None:
            bar.update(done)

        yield tick


class Command(BaseCommand):
    help = "Build the demo company (only into a database without people) and serve it."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="build and print the log-ins, then exit")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="same seed, same company")

    def handle(self, *args: Any, port: int, no_serve: bool, seed: int, **options: Any) -> None:
        data_dir = settings.DATA_DIR
        if not no_serve:
            base_url_default(host="127.0.0.1", port=port)  # before the demo's survey links and IRIs are built
        self.stdout.write("Preparing the database...")
        call_command("migrate", interactive=False, verbosity=0)
        if demo_is_loaded():
            self.stdout.write("The database already has people: the demo company is not loaded again.")
        else:
            self.stdout.write(f"Building the demo company (seed {seed})...")
            passwords = demo_passwords(data_dir=data_dir)
            ctx = demo_build(seed=seed, passwords=passwords, progress=_bar)
            logins_write(data_dir=data_dir, logins=ctx.logins)
            people = ctx.summary.get("people", {})
            self.stdout.write(
                f"Loaded {people.get('active', 0):,} active people ({people.get('people', 0):,} over "
                f"{people.get('months', 0)} months of history)."
            )
        url = f"http://127.0.0.1:{port}/"
        self._print_logins(url, data_dir)
        if no_serve:
            return
        code = serve(host="127.0.0.1", port=port, workers=2, out=self.stdout)
        if code:
            raise CommandError(f"Tandem stopped with exit code {code}")

    def _print_logins(self, url: str, data_dir: Any) -> None:
        logins = logins_read(data_dir=data_dir)
        self.stdout.write("")
        self.stdout.write(f"Tandem demo: {url}")
        if not logins:
            self.stdout.write(f"No demo log-ins are recorded in {logins_path(data_dir=data_dir)}.")
            return
        role_width = max(len(login["label"]) for login in logins)
        email_width = max(len(login["email"]) for login in logins)
        header = f"  {'Role':<{role_width}}  {'Email':<{email_width}}  Password"
        self.stdout.write(header)
        self.stdout.write("  " + "-" * (len(header) + 14))
        for login in logins:
            self.stdout.write(
                f"  {login['label']:<{role_width}}  {login['email']:<{email_width}}  {login['password']}"
            )
        self.stdout.write(f"(kept in {logins_path(data_dir=data_dir)})")
        self.stdout.write("")
