"""Learning records: what a sequence of statements makes of an actor × activity, incrementally."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.lrs.learning import learning_records_for, learning_records_recompute
from tandem.lrs.models import LearningRecord, Statement
from tandem.lrs.services import statements_store
from tests.factories import PersonFactory
from tests.lrs.factories import ATTEMPTED, COMPLETED, COURSE, agent, statement, voiding

pytestmark = pytest.mark.django_db

ADL = "http://adlnet.gov/expapi/verbs/"
PASSED, FAILED, LAUNCHED, INITIALIZED = f"{ADL}passed", f"{ADL}failed", f"{ADL}launched", f"{ADL}initialized"
EXPERIENCED, ATTENDED = f"{ADL}experienced", f"{ADL}attended"
OTHER = "http://example.com/activities/course-2"
T0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)


def _at(minutes: int) -> str:
    return (T0 + dt.timedelta(minutes=minutes)).isoformat()


def _store(client: Any, *statements: dict[str, Any]) -> None:
    statements_store(statements=list(statements), version="1.0.3", client=client)


def _record(activity: str = COURSE, email: str = "ann@example.com") -> LearningRecord:
    return LearningRecord.objects.get(actor_ifi=f"mbox:mailto:{email}", activity_id=activity)


def test_learning_record_after_attempt_fail_and_better_pass(lrs_client):
    ann = PersonFactory(work_email="Ann@Example.com")
    _store(lrs_client, statement(verb=ATTEMPTED, timestamp=_at(0)))
    _store(
        lrs_client,
        statement(
            verb=FAILED,
            timestamp=_at(30),
            result={"score": {"scaled": 0.4, "raw": 40}, "success": False, "duration": "PT30M"},
        ),
    )
    record = _record()
    assert (record.attempts, record.statements, record.passed, record.completed) == (1, 2, False, False)
    assert record.person_id == ann.pk
    _store(
        lrs_client,
        statement(verb=ATTEMPTED, timestamp=_at(60)),
        statement(
            verb=PASSED,
            timestamp=_at(90),
            result={"score": {"scaled": 0.9, "raw": 90}, "success": True, "duration": "PT25M30S"},
        ),
    )
    record = _record()
    assert record.attempts == 2
    assert record.statements == 4
    assert record.passed is True
    assert record.completed is True and record.completed_at == T0 + dt.timedelta(minutes=90)
    assert (record.best_score_scaled, record.best_score_raw) == (0.9, 90)
    assert record.total_seconds == 30 * 60 + 25 * 60 + 30
    assert (record.first_attempt, record.last_attempt) == (T0, T0 + dt.timedelta(minutes=90))


def test_learning_attempts_count_registrations_once(lrs_client):
    registration = str(uuid.uuid4())
    context = {"registration": registration}
    _store(
        lrs_client, statement(verb=LAUNCHED, context=context), statement(verb=INITIALIZED, context=context)
    )
    _store(lrs_client, statement(verb=INITIALIZED, context=context))  # a later session of the same attempt
    assert _record().attempts == 1
    _store(lrs_client, statement(verb=LAUNCHED, context={"registration": str(uuid.uuid4())}))
    assert _record().attempts == 2


def test_learning_attended_sessions_are_attempts(lrs_client):
    """A coaching series (one registration, a statement per session) is one attempt; a class with its own
    registration is another. Before attended counted, such activities showed 0 attempts."""
    series = {"registration": str(uuid.uuid4())}
    _store(
        lrs_client,
        *(statement(verb=ATTENDED, timestamp=_at(7 * 24 * 60 * week), context=series) for week in range(3)),
    )
    assert (_record().attempts, _record().statements) == (1, 3)
    _store(lrs_client, statement(verb=ATTENDED, context={"registration": str(uuid.uuid4())}))
    assert _record().attempts == 2


def test_learning_records_rebuild_applies_new_rules_to_stored_records(lrs_client):
    """Records written under the old rules (attended not an attempt) are rebuilt; with --verb only the pairs
    holding that verb are touched."""
    _store(lrs_client, statement(verb=ATTENDED, context={"registration": str(uuid.uuid4())}))
    _store(lrs_client, statement(verb=ATTEMPTED, activity=OTHER))
    LearningRecord.objects.update(attempts=0)  # as the old rules left them
    out = io.StringIO()
    call_command("lrs-records-rebuild", "--verb", ATTENDED, stdout=out)
    assert "1 learning record(s) rebuilt" in out.getvalue()
    assert _record().attempts == 1
    assert _record(OTHER).attempts == 0  # not a pair with attended: left alone
    call_command("lrs-records-rebuild", stdout=out)
    assert (_record().attempts, _record(OTHER).attempts) == (1, 1)


def test_learning_completion_from_result_and_older_verdict_does_not_win(lrs_client):
    _store(lrs_client, statement(verb=EXPERIENCED, timestamp=_at(10), result={"completion": True}))
    _store(lrs_client, statement(verb=PASSED, timestamp=_at(20)))
    # Arrives later but happened earlier: the latest verdict by timestamp stays "passed".
    _store(lrs_client, statement(verb=FAILED, timestamp=_at(5)))
    record = _record()
    assert record.completed and record.completed_at == T0 + dt.timedelta(
        minutes=10
    )  # failed is no completion
    assert record.passed is True


def test_learning_older_verdict_is_merged_without_rereading_the_pairs_statements(lrs_client):
    _store(
        lrs_client, statement(verb=FAILED, timestamp=_at(20)), statement(verb=ATTEMPTED, timestamp=_at(30))
    )
    assert (_record().passed, _record().passed_at) == (False, T0 + dt.timedelta(minutes=20))
    with CaptureQueriesContext(connection) as queries:
        _store(lrs_client, statement(verb=PASSED, timestamp=_at(10)))  # older than the record's verdict
    rereads = [q["sql"] for q in queries.captured_queries if 'ORDER BY "lrs_statement"."seq"' in q["sql"]]
    assert rereads == []
    assert (_record().passed, _record().passed_at) == (False, T0 + dt.timedelta(minutes=20))
    _store(lrs_client, statement(verb=PASSED, timestamp=_at(20)))  # same time, stored later: it wins
    assert (_record().passed, _record().passed_at) == (True, T0 + dt.timedelta(minutes=20))


def test_learning_voiding_recomputes_the_pair(lrs_client):
    good = statement(verb=PASSED, timestamp=_at(10), result={"score": {"scaled": 0.95}, "duration": "PT1H"})
    other = statement(verb=ATTEMPTED, timestamp=_at(0), result={"duration": "PT10M"})
    _store(lrs_client, other, good)
    _store(lrs_client, voiding(good["id"]))
    record = _record()
    assert (record.statements, record.completed, record.passed, record.best_score_scaled) == (
        1,
        False,
        None,
        None,
    )
    assert record.total_seconds == 600
    _store(lrs_client, voiding(other["id"]))
    assert not LearningRecord.objects.exists()


def test_learning_statement_voided_before_it_arrives_is_not_counted(lrs_client):
    target = statement(verb=COMPLETED)
    _store(lrs_client, voiding(target["id"]))
    _store(lrs_client, target, statement(verb=ATTEMPTED))
    record = _record()
    assert (record.statements, record.completed) == (1, False)


def test_learning_batch_is_a_bounded_number_of_queries(lrs_client):
    _store(lrs_client, *[statement(actor=agent(f"p{i}@example.com")) for i in range(20)])
    batch = [statement(actor=agent(f"p{i}@example.com"), activity=f"{COURSE}/{i % 3}") for i in range(60)]
    batch += [statement(actor=agent(f"p{i}@example.com"), verb=PASSED) for i in range(20)]
    with CaptureQueriesContext(connection) as queries:
        _store(lrs_client, *batch)
    learning = [q["sql"] for q in queries.captured_queries if "lrs_learningrecord" in q["sql"]]
    assert len(learning) <= 4, learning  # read, create, update (one each)
    assert LearningRecord.objects.count() == 20 + 60


def test_learning_records_for_filters_and_is_frozen(lrs_client):
    ann, ben = PersonFactory(work_email="ann@example.com"), PersonFactory(work_email="ben@example.com")
    _store(
        lrs_client,
        statement(verb=COMPLETED),
        statement(actor=agent("ben@example.com"), verb=ATTEMPTED),
        statement(actor=agent("ben@example.com"), verb=ATTEMPTED, activity=f"{COURSE}/2"),
    )
    rows = learning_records_for(person_ids=[ann.pk, ben.pk], activity_ids=[COURSE])
    assert [(row.person_id, row.completed) for row in rows] == [(ann.pk, True), (ben.pk, False)]
    assert learning_records_for(person_ids=[ben.pk], completed=False)[0].attempts == 1
    with pytest.raises(AttributeError):
        rows[0].completed = False  # type: ignore[misc]


# --- incremental equals recompute ---------------------------------------------------------------

ACTORS = ["a@example.com", "b@example.com"]
ACTIVITIES = [f"{COURSE}/x", f"{COURSE}/y"]
VERBS = [ATTEMPTED, LAUNCHED, INITIALIZED, COMPLETED, PASSED, FAILED, EXPERIENCED]
REGISTRATIONS = [str(uuid.UUID(int=n + 1)) for n in range(3)]

_event = st.fixed_dictionaries(
    {
        "actor": st.sampled_from(ACTORS),
        "activity": st.sampled_from(ACTIVITIES),
        "verb": st.sampled_from(VERBS),
        "minute": st.integers(0, 20),
        "registration": st.none() | st.sampled_from(REGISTRATIONS),
        "scaled": st.none() | st.sampled_from([0.0, 0.25, 0.5, 1.0]),
        "success": st.none() | st.booleans(),
        "completion": st.none() | st.booleans(),
        "seconds": st.none() | st.integers(0, 3600),
        "void": st.none() | st.integers(0, 50),  # void the n-th earlier statement instead
        "cut": st.booleans(),  # end the batch after this one
    }
)


def _statement(event: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if event["scaled"] is not None:
        result["score"] = {"scaled": event["scaled"], "raw": event["scaled"] * 10}
    for key in ("success", "completion"):
        if event[key] is not None:
            result[key] = event[key]
    if event["seconds"] is not None:
        result["duration"] = f"PT{event['seconds']}S"
    extra: dict[str, Any] = {"timestamp": _at(event["minute"])}
    if result:
        extra["result"] = result
    if event["registration"]:
        extra["context"] = {"registration": event["registration"]}
    return statement(actor=agent(event["actor"]), verb=event["verb"], activity=event["activity"], **extra)


FIELDS = [
    "person_id",
    "first_attempt",
    "last_attempt",
    "attempts",
    "statements",
    "completed",
    "completed_at",
    "passed",
    "passed_at",
    "best_score_scaled",
    "best_score_raw",
]


def _snapshot() -> dict[tuple[str, str], tuple[Any, ...]]:
    return {
        (r.actor_ifi, r.activity_id): (*[getattr(r, f) for f in FIELDS], round(r.total_seconds, 6))
        for r in LearningRecord.objects.all()
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(_event, min_size=1, max_size=25))
def test_learning_incremental_equals_recompute(lrs_client, events):
    Statement.objects.all().delete()
    LearningRecord.objects.all().delete()
    stored: list[dict[str, Any]] = []
    batch: list[dict[str, Any]] = []
    for event in events:
        candidates = [s for s in stored + batch if s["verb"]["id"] != f"{ADL}voided"]
        if event["void"] is not None and candidates:
            item = voiding(candidates[event["void"] % len(candidates)]["id"])
            if any(s["object"].get("id") == item["object"]["id"] for s in stored + batch):
                continue  # voided already
        else:
            item = _statement(event)
        batch.append(item)
        if event["cut"]:
            _store(lrs_client, *batch)
            stored += batch
            batch = []
    if batch:
        _store(lrs_client, *batch)
    incremental = _snapshot()
    learning_records_recompute()
    assert incremental == _snapshot()
