"""tandem.core.bulk (multi-row insert and upsert) and the in_array lookup, on the test database (SQLite or
PostgreSQL, whichever the run uses)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from tandem.core.bulk import bulk_insert_rows, bulk_upsert_rows
from tandem.lrs.models import ActivityDefinition, LearningRecord
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 5, 4, 9, 30, 15, 250000, tzinfo=dt.UTC)
FIELDS = ("actor_ifi", "activity_id", "person_id", "first_attempt", "last_attempt", "attempts", "statements", "completed",
          "passed", "best_score_scaled", "total_seconds")  # fmt: skip


def _row(
    actor: str, activity: str, *, attempts: int, person_id: int | None = None, passed: bool | None = None
):
    return (actor, activity, person_id, NOW, NOW + dt.timedelta(days=attempts), attempts, 2 * attempts, attempts > 1, passed,
            0.5 * attempts, 60.0 * attempts)  # fmt: skip


def test_upsert_inserts_new_rows_and_updates_existing_ones_by_the_unique_key():
    person = PersonFactory()
    bulk_upsert_rows(
        model=LearningRecord,
        fields=FIELDS,
        rows=[_row("mbox:mailto:a@x.org", "https://x.org/1", attempts=1), _row("mbox:mailto:b@x.org", "https://x.org/1", attempts=1)],
        unique_fields=("actor_ifi", "activity_id"),
        update_fields=FIELDS[2:],
    )  # fmt: skip
    bulk_upsert_rows(
        model=LearningRecord,
        fields=FIELDS,
        rows=[_row("mbox:mailto:a@x.org", "https://x.org/1", attempts=3, person_id=person.pk, passed=True),
              _row("mbox:mailto:c@x.org", "https://x.org/2", attempts=2, passed=False)],
        unique_fields=("actor_ifi", "activity_id"),
        update_fields=FIELDS[2:],
    )  # fmt: skip
    rows = {r.actor_ifi: r for r in LearningRecord.objects.all()}
    assert sorted(rows) == ["mbox:mailto:a@x.org", "mbox:mailto:b@x.org", "mbox:mailto:c@x.org"]
    a = rows["mbox:mailto:a@x.org"]
    assert (a.attempts, a.completed, a.passed, a.person_id) == (3, True, True, person.pk)
    assert a.first_attempt == NOW and a.last_attempt == NOW + dt.timedelta(days=3)
    assert (a.best_score_scaled, a.total_seconds) == (1.5, 180.0)
    assert rows["mbox:mailto:b@x.org"].attempts == 1 and rows["mbox:mailto:b@x.org"].passed is None
    assert rows["mbox:mailto:c@x.org"].passed is False


def test_upsert_values_come_back_exactly_and_nan_takes_the_array_path():
    """PostgreSQL sends the rows as one JSON parameter (NaN has no JSON form: those rows go as arrays)."""
    person = PersonFactory()
    offset = dt.datetime(2026, 5, 4, 11, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    fields = (*FIELDS, "completed_at")
    exact = ("mbox:mailto:ü@x.org", "https://x.org/ä?q=\"1\"", person.pk, offset, offset, 2**31 - 1, 7, True, False,
             0.1 + 0.2, 5e-324, offset)  # fmt: skip
    with_nan = (
        "mbox:mailto:n@x.org",
        "https://x.org/n",
        None,
        NOW,
        NOW,
        0,
        0,
        False,
        None,
        float("nan"),
        1.0,
        None,
    )
    sql = []
    for row in (exact, with_nan):
        with CaptureQueriesContext(connection) as queries:
            bulk_upsert_rows(model=LearningRecord, fields=fields, rows=[row], unique_fields=("actor_ifi", "activity_id"),
                             update_fields=fields[2:])  # fmt: skip
        sql.append(queries[-1]["sql"])
    if connection.vendor == "postgresql":
        assert "json_array_elements" in sql[0] and "unnest" in sql[1]
    got = LearningRecord.objects.get(actor_ifi=exact[0])
    assert tuple(getattr(got, name) for name in ("activity_id", "person_id", "first_attempt", "attempts", "statements",
                 "completed", "passed", "best_score_scaled", "total_seconds", "completed_at")) == (
        exact[1], person.pk, offset, 2**31 - 1, 7, True, False, 0.1 + 0.2, 5e-324, offset)  # fmt: skip
    nan = LearningRecord.objects.get(actor_ifi=with_nan[0])
    assert nan.passed is None and nan.completed_at is None
    if connection.vendor == "postgresql":  # SQLite stores NaN as NULL
        assert nan.best_score_scaled != nan.best_score_scaled


def test_upsert_rejects_a_value_longer_than_its_column_instead_of_cutting_it():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite does not enforce varchar lengths")
    with pytest.raises(DataError), transaction.atomic():
        bulk_upsert_rows(
            model=ActivityDefinition,
            fields=("activity_id", "definition", "updated", "catalog_item_key"),
            rows=[("https://x.org/a", "{}", NOW, "k" * 201)],
            unique_fields=("activity_id",),
            update_fields=("definition",),
            prepared=("definition",),
        )
    assert not ActivityDefinition.objects.exists()


def test_insert_rows_writes_every_row_and_a_duplicate_key_rolls_the_insert_back():
    rows = [(f"https://x.org/{i}", "{}", NOW, "") for i in range(1500)]  # more than one statement's worth
    fields = ("activity_id", "definition", "updated", "catalog_item_key")
    assert (
        bulk_insert_rows(model=ActivityDefinition, fields=fields, rows=rows, prepared=("definition",)) == 1500
    )
    assert ActivityDefinition.objects.count() == 1500
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert_rows(model=ActivityDefinition, fields=fields, rows=[("https://x.org/new", "{}", NOW, ""), rows[0]],
                         prepared=("definition",))  # fmt: skip
    assert ActivityDefinition.objects.count() == 1500


@pytest.mark.parametrize("size", [0, 1, 3, 1200])
def test_in_array_selects_what_in_selects(size):
    people = PersonFactory.create_batch(3)
    activities = [f"https://x.org/{i}" for i in range(5)]
    for index, activity in enumerate(activities):
        LearningRecord.objects.create(actor_ifi=f"mbox:mailto:{index}@x.org", activity_id=activity,
                                      person=people[index % 3], first_attempt=NOW, last_attempt=NOW)  # fmt: skip
    wanted = (activities[:3] + [f"https://x.org/other/{i}" for i in range(size)])[:size]
    by_in = set(LearningRecord.objects.filter(activity_id__in=wanted).values_list("pk", flat=True))
    by_array = set(LearningRecord.objects.filter(activity_id__in_array=wanted).values_list("pk", flat=True))
    assert by_array == by_in
    assert len(by_array) == min(size, 3)
    # Foreign keys, ids and None among the values; negated and combined.
    person_ids = [people[0].pk, None]
    assert set(
        LearningRecord.objects.filter(person__in_array=person_ids).values_list("pk", flat=True)
    ) == set(LearningRecord.objects.filter(person__in=[people[0].pk]).values_list("pk", flat=True))
    assert LearningRecord.objects.exclude(Q(activity_id__in_array=activities[:2])).count() == 3


def test_in_array_is_one_parameter_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: elsewhere in_array is IN (…)")
    ids = [uuid.uuid4() for _ in range(1000)]
    sql, params = LearningRecord.objects.filter(
        activity_id__in_array=[str(i) for i in ids]
    ).query.sql_with_params()
    assert "= ANY(%s::text[])" in sql
    assert len(params) == 1 and len(params[0]) == 1000
