"""`tandem createadmin`: create an L&D admin account (prompts, environment variables or stdin)."""

from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tandem.accounts.services import ld_admin_create
from tandem.core.scope import DomainError


class Command(BaseCommand):
    stealth_options = ("stdin",)
    help = (
        "Create an L&D admin. Interactive: asks for the email and password. Non-interactive: "
        "--email or TANDEM_ADMIN_EMAIL, and the password from --password-stdin or TANDEM_ADMIN_PASSWORD."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", help="the admin's email address (default: $TANDEM_ADMIN_EMAIL)")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of standard input (keeps it out of the process list)",
        )
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")

    def handle(self, *args: Any, **options: Any) -> None:
        stdin = options.get("stdin") or sys.stdin  # tests pass a StringIO
        interactive = options["interactive"] and stdin.isatty() and not options["password_stdin"]
        email = (options["email"] or os.environ.get("TANDEM_ADMIN_EMAIL", "")).strip()
        if not email:
            if not interactive:
                raise CommandError("Give --email or set TANDEM_ADMIN_EMAIL")
            email = input("Email: ").strip()
        if options["password_stdin"]:
            password = stdin.readline().rstrip("\r\n")
        elif os.environ.get("TANDEM_ADMIN_PASSWORD"):
            password = os.environ["TANDEM_ADMIN_PASSWORD"]
        elif interactive:
            password = self._prompt_password()
        else:
            raise CommandError("Give --password-stdin or set TANDEM_ADMIN_PASSWORD")
        if not password:
            raise CommandError("The password is empty")
        try:
            user = ld_admin_create(email=email, password=password)
        except DomainError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"L&D admin {user.email} created."))

    def _prompt_password(self) -> str:
        while True:
            password = getpass.getpass("Password: ")
            if password == getpass.getpass("Password (again): "):
                return password
            self.stderr.write("The passwords did not match; try again.")
