"""Large files: validation and writing run in a django-tasks task (ImmediateBackend in tests)."""

import csv
import datetime as dt

import pytest
from django.test import override_settings

from tandem.audit.models import AuditEvent
from tandem.imports.models import ImportRun
from tandem.imports.services import import_run_confirm, import_run_process, import_run_submit
from tandem.org.models import Assignment, Person
from tandem.org.selectors import person_assignment_as_of
from tests.imports.factories import HEADER, csv_bytes, team

pytestmark = pytest.mark.django_db


@override_settings(TANDEM_IMPORT_BACKGROUND_ROWS=2)
def test_large_file_validates_and_writes_in_the_background(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = import_run_submit(actor_id=None, kind="people", filename="big.csv", content=csv_bytes(team()))
        assert run.status == ImportRun.Status.UPLOADED  # queued, not checked in the request
    assert len(callbacks) == 1
    run.refresh_from_db()
    assert run.status == ImportRun.Status.PREVIEWED and run.task_result_id
    assert (run.progress_done, run.progress_total) == (4, 4)

    with django_capture_on_commit_callbacks(execute=True):
        run = import_run_confirm(run_id=run.pk, actor_id=None)
        assert run.status == ImportRun.Status.QUEUED
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE and run.summary["create"] == 4
    assert Person.objects.count() == 4

    # The task is safe to run again: a finished run does nothing.
    assert import_run_process.call(run.pk) == "done"
    assert Person.objects.count() == 4 and AuditEvent.objects.filter(action="import").count() == 1


@override_settings(TANDEM_IMPORT_BACKGROUND_ROWS=2)
def test_nothing_is_enqueued_before_commit(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = import_run_submit(actor_id=None, kind="people", filename="big.csv", content=csv_bytes(team()))
    run.refresh_from_db()
    assert run.status == ImportRun.Status.UPLOADED and len(callbacks) == 1


def test_progress_is_saved_during_validation(org):
    seen = []
    from tandem.imports.services import import_run_create, import_run_validate

    run = import_run_create(actor_id=None, kind="people", filename="t.csv", content=csv_bytes(team()))
    import_run_validate(run_id=run.pk, progress=lambda phase, done, total: seen.append((phase, done, total)))
    assert ("Checking rows", 4, 4) in seen


def test_missing_run_task_is_a_noop(db):
    assert import_run_process.call(12345) == "missing"


@pytest.mark.slow
def test_100k_rows_import_correctly(org, tmp_path):
    rows = 100_000
    path = tmp_path / "big.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            manager = f"P{(i - 1) // 8:06d}" if i else ""
            writer.writerow(
                [
                    f"P{i:06d}",
                    "Ann",
                    f"Lee{i}",
                    f"p{i}@example.com",
                    ("SALES", "CS")[i % 2],
                    "2024-01-15",
                    "Rep",
                    "AE",
                    manager,
                ]
            )
    from tandem.imports.services import import_run_create, import_run_import

    run = import_run_create(
        actor_id=None, kind="people", filename="big.csv", content=path.read_bytes(), as_of=dt.date(2025, 1, 1)
    )
    run = import_run_import(run_id=run.pk, actor_id=None)
    assert run.status == ImportRun.Status.DONE, (run.message, run.errors[:3])
    assert run.summary["create"] == rows and run.summary["rows"] == rows
    assert Person.objects.count() == rows and Assignment.objects.count() == rows
    assert Person.objects.get(employee_id="P000009").manager.employee_id == "P000001"
    assert person_assignment_as_of(employee_id="P099999", on=dt.date(2024, 6, 1)).org_unit_code == "CS"
