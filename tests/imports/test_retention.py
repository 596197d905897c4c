import datetime as dt

import pytest
from django.utils import timezone

from tandem.core.scope import DomainError
from tandem.imports.models import ImportRun
from tandem.imports.retention import import_files_purge
from tandem.imports.services import import_run_confirm, import_run_submit
from tests.imports.factories import csv_bytes, team

pytestmark = pytest.mark.django_db


def test_files_older_than_the_retention_are_purged_whatever_the_status(org, settings):
    settings.TANDEM_IMPORT_RETENTION_DAYS = 30
    old = import_run_submit(actor_id=None, kind="people", filename="a.csv", content=csv_bytes(team()))
    new = import_run_submit(actor_id=None, kind="people", filename="b.csv", content=csv_bytes(team()))
    ImportRun.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    assert import_files_purge() == 1
    assert import_files_purge() == 0  # safe to run twice
    old.refresh_from_db()
    assert bytes(old.content) == b"" and old.diffs == [] and old.purged_at is not None
    assert old.summary["create"] == 4 and "error_groups" not in old.summary
    assert bytes(ImportRun.objects.get(pk=new.pk).content) != b""
    with pytest.raises(DomainError, match="upload it again"):
        import_run_confirm(run_id=old.pk, actor_id=None)
