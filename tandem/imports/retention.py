"""Uploaded files are personal data: each run keeps its file, its errors and its field-level changes only for
TANDEM_IMPORT_RETENTION_DAYS (default 30), whatever became of it (dry run, refused, failed or imported).

What stays is what the audit needs: who imported which file name when, the mapping, and the counts.
`tandem serve` queues import_files_purge_task every hour; `tandem import-purge` runs it by hand.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from tandem.audit.services import audit_record
from tandem.imports.models import ImportRun

BUSY = (ImportRun.Status.VALIDATING, ImportRun.Status.QUEUED, ImportRun.Status.RUNNING)
# Only what the list and audit need survives; the groups of errors quote cell values, so they go too.
KEPT_SUMMARY = ("rows", "errors", "warnings", "create", "update", "unchanged", "move", "terminate")


def import_files_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the files (and row-level details) of runs older than the retention period; safe to run twice.
    Returns how many runs were purged. Runs still being worked on are left until they finish."""
    now = now or timezone.now()
    days = settings.TANDEM_IMPORT_RETENTION_DAYS
    cutoff = now - dt.timedelta(days=days)
    due = list(
        ImportRun.objects.filter(created_at__lt=cutoff, purged_at__isnull=True)
        .exclude(status__in=BUSY)
        .values_list("pk", "summary")
    )
    if not due:
        return 0
    with transaction.atomic():
        for pk, summary in due:
            ImportRun.objects.filter(pk=pk, purged_at__isnull=True).update(
                content=b"",
                errors=[],
                diffs=[],
                summary={key: value for key, value in (summary or {}).items() if key in KEPT_SUMMARY},
                message="",
                purged_at=now,
            )
        audit_record(
            actor_id=None,
            action="delete",
            entity_type="import_run",
            entity_id=0,
            entity_label=f"{len(due)} import file(s)",
            changes={"runs": [pk for pk, _ in due], "retention_days": days},
            summary=f"Deleted {len(due)} uploaded file(s) older than {days} days",
        )
    return len(due)


@task()
def import_files_purge_task() -> int:
    return import_files_purge()
