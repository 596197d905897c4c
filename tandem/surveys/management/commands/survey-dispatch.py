from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from tandem.surveys.services import survey_dispatch_due


class Command(BaseCommand):
    help = "Send the survey invitations and reminders that are due now (safe to run from cron as often as you like)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--survey", type=int, default=None, help="only this survey id")

    def handle(self, *args: Any, survey: int | None, **options: Any) -> None:
        result = survey_dispatch_due(now=timezone.now(), survey_id=survey)
        self.stdout.write(
            f"Sent {result.invitations} invitation(s) and {result.reminders} reminder(s)"
            + (f"; {result.failed} could not be sent and will be retried" if result.failed else "")
        )
