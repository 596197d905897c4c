"""Learning records per actor × activity, kept up to date from stored statements, and read for other apps.

Rules (also in docs/lrs-storage.md, "Learning records"). A record covers the non-voided statements whose
object is an Activity, per (actor IFI, activity id):

* first/last attempt: the earliest and latest statement `timestamp`, any verb;
* attempts: distinct attempts among statements with verb attempted, launched, initialized or attended, where
  statements sharing a registration are one attempt (cmi5 sends launched and initialized for one registration;
  a coaching series or a classroom course sends attended per session) and a statement without a registration
  is an attempt of its own;
* completed: some statement has result.completion true or verb completed, passed or mastered; completed_at is
  the earliest such timestamp;
* passed: the latest verdict, by (timestamp, stored order): verb passed → True, failed → False, else
  result.success when present;
* best scores: the highest result.score.scaled and result.score.raw; total_seconds: the sum of result.duration.

Incremental: a batch reads the existing records of its pairs once and merges. A pair is recomputed from its
statements only when that is the only correct answer: a statement of the pair was voided (or, for a record
written before `passed_at` existed, a verdict arrives older than the record's last activity).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from tandem.core.bulk import bulk_upsert_rows
from tandem.lrs.matching import actor_person_ids, anonymous_actor_q
from tandem.lrs.models import ActivityDefinition, LearningRecord, Statement
from tandem.lrs.records import StoredStatement
from tandem.lrs.xapi import VOIDED_VERB, XapiValidationError, duration_seconds

ADL = "http://adlnet.gov/expapi/verbs/"
# attended: sessions of meetings, classes and coaching have no attempted/launched of their own; without it such
# activities showed 0 attempts beside their sessions.
ATTEMPT_VERBS = frozenset({f"{ADL}attempted", f"{ADL}launched", f"{ADL}initialized", f"{ADL}attended"})
COMPLETION_VERBS = frozenset({f"{ADL}completed", f"{ADL}passed", f"{ADL}mastered"})
PASSED_VERB = f"{ADL}passed"
FAILED_VERB = f"{ADL}failed"
# Pairs per OR-ed lookup: keeps each query's parameter count well under SQLite's limit.
_PAIRS_PER_QUERY = 200
_UPDATE_FIELDS = [
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
    "total_seconds",
]

_WRITE_FIELDS = ["actor_ifi", "activity_id", *_UPDATE_FIELDS]

Pair = tuple[str, str]


@dataclass(slots=True)
class _Record:
    """A learning record's row as the write path reads, merges and upserts it (not a model instance:
    building ~1,000 LearningRecord instances per stored batch cost more than the queries around it)."""

    actor_ifi: str
    activity_id: str
    person_id: int | None = None
    first_attempt: dt.datetime | None = None
    last_attempt: dt.datetime | None = None
    attempts: int = 0
    statements: int = 0
    completed: bool = False
    completed_at: dt.datetime | None = None
    passed: bool | None = None
    passed_at: dt.datetime | None = None
    best_score_scaled: float | None = None
    best_score_raw: float | None = None
    total_seconds: float = 0.0
    pk: int | None = None


_SELECT_FIELDS = [*_WRITE_FIELDS, "id"]


@dataclass
class _Facts:
    """What one statement contributes to its record."""

    timestamp: dt.datetime
    attempt_key: str | None
    completed: bool
    verdict: bool | None
    scaled: float | None
    raw: float | None
    seconds: float


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _facts(
    *, exact: dict[str, Any], verb_id: str, timestamp: dt.datetime, registration: Any, pk: Any
) -> _Facts:
    found = exact.get("result")
    result: dict[str, Any] = found if isinstance(found, dict) else {}
    found = result.get("score")
    score: dict[str, Any] = found if isinstance(found, dict) else {}
    seconds = 0.0
    if isinstance(result.get("duration"), str):
        try:
            seconds = duration_seconds(value=result["duration"])
        except XapiValidationError:  # validated on the way in; a stored oddity must not break a batch
            seconds = 0.0
    verdict: bool | None
    if verb_id == PASSED_VERB:
        verdict = True
    elif verb_id == FAILED_VERB:
        verdict = False
    else:
        verdict = result["success"] if isinstance(result.get("success"), bool) else None
    attempt_key = None
    if verb_id in ATTEMPT_VERBS:
        attempt_key = f"r:{registration}" if registration else f"s:{pk}"
    return _Facts(
        timestamp=timestamp,
        attempt_key=attempt_key,
        completed=verb_id in COMPLETION_VERBS or result.get("completion") is True,
        verdict=verdict,
        scaled=_number(score.get("scaled")),
        raw=_number(score.get("raw")),
        seconds=seconds,
    )


@dataclass
class _Tally:
    """A record's values being built (from scratch, or as the increment a batch adds)."""

    first: dt.datetime | None = None
    last: dt.datetime | None = None
    attempt_keys: set[str] = field(default_factory=set)
    statements: int = 0
    completed_at: dt.datetime | None = None
    verdict: bool | None = None
    verdict_at: dt.datetime | None = None
    scaled: float | None = None
    raw: float | None = None
    seconds: float = 0.0

    def add(self, facts: _Facts) -> None:
        """Statements must be added in stored order (a verdict tie on timestamp goes to the later one)."""
        at = facts.timestamp
        self.first = at if self.first is None else min(self.first, at)
        self.last = at if self.last is None else max(self.last, at)
        self.statements += 1
        if facts.attempt_key is not None:
            self.attempt_keys.add(facts.attempt_key)
        if facts.completed:
            self.completed_at = at if self.completed_at is None else min(self.completed_at, at)
        if facts.verdict is not None and (self.verdict_at is None or at >= self.verdict_at):
            self.verdict, self.verdict_at = facts.verdict, at
        if facts.scaled is not None:
            self.scaled = facts.scaled if self.scaled is None else max(self.scaled, facts.scaled)
        if facts.raw is not None:
            self.raw = facts.raw if self.raw is None else max(self.raw, facts.raw)
        self.seconds += facts.seconds


def _max(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


def _apply(record: _Record, tally: _Tally, *, new_attempts: int, fresh: bool) -> None:
    """Write a tally onto a record: replacing it (fresh) or merging into what it holds."""
    assert tally.first is not None and tally.last is not None
    if fresh:
        record.first_attempt, record.last_attempt = tally.first, tally.last
        record.attempts, record.statements = len(tally.attempt_keys), tally.statements
        record.completed, record.completed_at = tally.completed_at is not None, tally.completed_at
        record.passed, record.passed_at = tally.verdict, tally.verdict_at
        record.best_score_scaled, record.best_score_raw = tally.scaled, tally.raw
        record.total_seconds = tally.seconds
        return
    assert record.first_attempt is not None and record.last_attempt is not None
    record.first_attempt = min(record.first_attempt, tally.first)
    record.last_attempt = max(record.last_attempt, tally.last)
    record.attempts += new_attempts
    record.statements += tally.statements
    if tally.completed_at is not None:
        record.completed = True
        record.completed_at = min(filter(None, [record.completed_at, tally.completed_at]))
    # The later verdict wins; on equal timestamps the one stored later (this batch's).
    if tally.verdict_at is not None and (record.passed_at is None or tally.verdict_at >= record.passed_at):
        record.passed, record.passed_at = tally.verdict, tally.verdict_at
    record.best_score_scaled = _max(record.best_score_scaled, tally.scaled)
    record.best_score_raw = _max(record.best_score_raw, tally.raw)
    record.total_seconds += tally.seconds


def _pairs_q(pairs: Collection[Pair]) -> list[Q]:
    """OR-ed (actor_ifi, object_activity_id) conditions, a chunk per query."""
    ordered = sorted(pairs)
    return [
        reduce(or_, (Q(actor_ifi=actor, object_activity_id=activity) for actor, activity in chunk))
        for chunk in (ordered[i : i + _PAIRS_PER_QUERY] for i in range(0, len(ordered), _PAIRS_PER_QUERY))
    ]


def _sqlite_datetime(value: Any) -> dt.datetime | None:
    """SQLite keeps DateTimeFields as naive UTC (Django's connection parses the declared type)."""
    if value is None:
        return None
    parsed = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed.replace(tzinfo=dt.UTC)


def _record_from_db(row: Sequence[Any]) -> _Record:
    record = _Record(*row[:-1])
    record.pk = row[-1]
    if connection.vendor == "sqlite":
        record.first_attempt = _sqlite_datetime(record.first_attempt)
        record.last_attempt = _sqlite_datetime(record.last_attempt)
        record.completed_at = _sqlite_datetime(record.completed_at)
        record.passed_at = _sqlite_datetime(record.passed_at)
        record.completed = bool(record.completed)
        record.passed = None if record.passed is None else bool(record.passed)
    return record


def _records(pairs: Collection[Pair]) -> dict[Pair, _Record]:
    """The existing records of exactly these pairs, by the (actor_ifi, activity_id) unique index.

    PostgreSQL joins the pairs given as two arrays; SQLite gets an OR of (actor = ? AND activity = ?)
    terms, _PAIRS_PER_QUERY pairs a query. Both answer with one index probe per pair. (Filtering
    actor IN … AND activity IN … read every record of the batch's actors × activities, ~100 times more
    rows than asked for.)
    """
    if not pairs:
        return {}
    quote = connection.ops.quote_name
    table = quote(LearningRecord._meta.db_table)
    columns = ", ".join(f"r.{quote(name)}" for name in _SELECT_FIELDS)
    ordered = sorted(pairs)
    rows: list[Sequence[Any]] = []
    # Only quoted names and placeholders are interpolated; the pairs go as parameters.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT {columns} FROM {table} r JOIN unnest(%s::text[], %s::text[]) AS p(actor, activity) "  # noqa: S608
                "ON r.actor_ifi = p.actor AND r.activity_id = p.activity",
                [[actor for actor, _activity in ordered], [activity for _actor, activity in ordered]],
            )
            rows.extend(cursor.fetchall())
        else:
            for start in range(0, len(ordered), _PAIRS_PER_QUERY):
                chunk = ordered[start : start + _PAIRS_PER_QUERY]
                where = " OR ".join(["(r.actor_ifi = %s AND r.activity_id = %s)"] * len(chunk))
                cursor.execute(
                    f"SELECT {columns} FROM {table} r WHERE {where}",  # noqa: S608
                    [value for pair in chunk for value in pair],
                )
                rows.extend(cursor.fetchall())
    found: dict[Pair, _Record] = {}
    for row in rows:
        record = _record_from_db(row)
        found[(record.actor_ifi, record.activity_id)] = record
    return found


def _tallies_from_statements(
    pairs: Collection[Pair], *, excluded: Collection[uuid.UUID]
) -> dict[Pair, _Tally]:
    """Tallies from scratch for the given pairs, from their non-voided statements."""
    tallies: dict[Pair, _Tally] = {}
    for condition in _pairs_q(pairs):
        rows = (
            Statement.objects.filter(condition, voided=False)
            .exclude(pk__in_array=list(excluded))
            .order_by("seq")
            .values_list(
                "id", "actor_ifi", "object_activity_id", "verb_id", "timestamp", "registration", "exact"
            )
        )
        for pk, actor, activity, verb_id, timestamp, registration, exact in rows:
            facts = _facts(
                exact=exact, verb_id=verb_id, timestamp=timestamp, registration=registration, pk=pk
            )
            tallies.setdefault((actor, activity or ""), _Tally()).add(facts)
    return tallies


def _registrations_seen(
    pairs: Collection[Pair], registrations: set[uuid.UUID], *, batch_ids: Collection[uuid.UUID]
) -> set[tuple[str, str, str]]:
    """(actor, activity, "r:<registration>") attempt keys already stored before this batch."""
    if not registrations:
        return set()
    rows = (
        Statement.objects.filter(
            registration__in_array=registrations, verb_id__in=ATTEMPT_VERBS, voided=False
        )
        .exclude(pk__in_array=list(batch_ids))
        .values_list("actor_ifi", "object_activity_id", "registration")
        .distinct()
    )
    return {
        (actor, activity or "", f"r:{reg}")
        for actor, activity, reg in rows
        if (actor, activity or "") in pairs
    }


def learning_records_update(
    *, rows: Sequence[StoredStatement], people: Mapping[str, int] | None = None
) -> None:
    """Bring the records of the pairs in a just-stored batch up to date (called inside statements_store).

    Rows arrive in seq order. Voiding statements in the batch mark their targets: those stored earlier are
    flagged voided only after this runs, so they are excluded here explicitly. people maps the batch's
    actors to person ids (looked up here when not given). New and changed records are written by one
    upsert (INSERT … ON CONFLICT DO UPDATE) with the values merged here, under the store's lock.
    """
    targets = {
        row.object_statement_ref
        for row in rows
        if row.verb_id == VOIDED_VERB and row.object_statement_ref is not None
    }
    batch_ids = {row.id for row in rows}
    increments: dict[Pair, _Tally] = {}
    for row in rows:
        if row.voided or row.id in targets or not row.object_activity_id or not row.actor_ifi:
            continue
        facts = _facts(
            exact=row.exact,
            verb_id=row.verb_id,
            timestamp=row.timestamp,
            registration=row.registration,
            pk=row.id,
        )
        increments.setdefault((row.actor_ifi, row.object_activity_id), _Tally()).add(facts)

    recompute: set[Pair] = set()
    earlier_targets = targets - batch_ids
    if earlier_targets:
        recompute |= {
            (actor, activity or "")
            for actor, activity in Statement.objects.filter(
                pk__in=earlier_targets, voided=False, object_activity_id__isnull=False
            )
            .exclude(actor_ifi="")
            .values_list("actor_ifi", "object_activity_id")
        }
    if people is None:
        people = actor_person_ids(actor_ifis={row.actor_ifi for row in rows if row.actor_ifi})
    people = dict(people)
    pairs = set(increments) | recompute
    if not pairs:
        return
    existing = _records(pairs)
    for pair, tally in increments.items():
        record = existing.get(pair)
        # An older verdict may not be the latest one: without the record's verdict time (records written
        # before passed_at existed) only the pair's statements can tell.
        if (
            record is not None
            and record.passed is not None
            and record.passed_at is None
            and tally.verdict_at is not None
            and record.last_attempt is not None
            and tally.verdict_at < record.last_attempt
        ):
            recompute.add(pair)
    incremental = {pair: tally for pair, tally in increments.items() if pair not in recompute}
    registrations = {
        uuid.UUID(key[2:])
        for pair, tally in incremental.items()
        if pair in existing
        for key in tally.attempt_keys
        if key.startswith("r:")
    }
    seen = _registrations_seen(set(incremental) & set(existing), registrations, batch_ids=batch_ids)
    fresh = _tallies_from_statements(recompute, excluded=targets) if recompute else {}
    missing = {actor for actor, _activity in recompute} - people.keys()
    if missing:  # actors only in voided targets
        people |= actor_person_ids(actor_ifis=missing)

    to_write: list[_Record] = []
    to_delete: list[int] = []
    for pair in sorted(pairs):
        record = existing.get(pair)
        if pair in recompute:
            recomputed = fresh.get(pair)
            if recomputed is None:  # every statement of the pair is voided
                if record is not None and record.pk is not None:
                    to_delete.append(record.pk)
                continue
            tally, is_fresh = recomputed, True
        else:
            tally = incremental[pair]
            is_fresh = record is None
        new_attempts = sum(1 for key in tally.attempt_keys if (pair[0], pair[1], key) not in seen)
        if record is None:
            record = _Record(actor_ifi=pair[0], activity_id=pair[1])
            _apply(record, tally, new_attempts=new_attempts, fresh=True)
            record.person_id = people.get(pair[0])
        else:
            _apply(record, tally, new_attempts=new_attempts, fresh=is_fresh)
            record.person_id = people.get(pair[0], record.person_id)
        to_write.append(record)
    if to_delete:
        LearningRecord.objects.filter(pk__in=to_delete).delete()
    _records_write(to_write)


def _records_write(records: Sequence[_Record]) -> None:
    """New and changed records in one INSERT … ON CONFLICT (actor_ifi, activity_id) DO UPDATE.

    Django's bulk_update writes a CASE WHEN per row and field (~1 ms a row); this is one multi-row statement.
    """
    bulk_upsert_rows(
        model=LearningRecord,
        fields=_WRITE_FIELDS,
        rows=[[getattr(record, name) for name in _WRITE_FIELDS] for record in records],
        unique_fields=("actor_ifi", "activity_id"),
        update_fields=_UPDATE_FIELDS,
    )


def learning_record_pairs(*, verb_id: str | None = None) -> set[Pair]:
    """The (actor, activity) pairs that have a record: those with a non-voided statement whose object is an
    Activity (only statements of verb_id when given). One query."""
    statements = Statement.objects.filter(voided=False, object_activity_id__isnull=False).exclude(
        actor_ifi=""
    )
    if verb_id is not None:
        statements = statements.filter(verb_id=verb_id)
    return {
        (actor, activity or "")
        for actor, activity in statements.order_by().values_list("actor_ifi", "object_activity_id").distinct()
    }


def learning_records_recompute(*, pairs: Iterable[Pair] | None = None) -> int:
    """Rebuild records from their statements (every pair when None): for repairs, and the reference the
    tests compare the incremental path with. Returns the number of records written."""
    if pairs is None:
        wanted = learning_record_pairs()
        LearningRecord.objects.all().delete()
    else:
        wanted = set(pairs)
        LearningRecord.objects.filter(pk__in=[record.pk for record in _records(wanted).values()]).delete()
    tallies = _tallies_from_statements(wanted, excluded=()) if wanted else {}
    people = actor_person_ids(actor_ifis={actor for actor, _activity in tallies})
    created = []
    for (actor, activity), tally in sorted(tallies.items()):
        record = _Record(actor_ifi=actor, activity_id=activity, person_id=people.get(actor))
        _apply(record, tally, new_attempts=0, fresh=True)
        created.append(record)
    _records_write(created)
    return len(created)


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LearningRecordRow:
    """A learning record as other apps (impact, skills) and pages read it."""

    actor_ifi: str
    activity_id: str
    person_id: int | None
    first_attempt: dt.datetime
    last_attempt: dt.datetime
    attempts: int
    statements: int
    completed: bool
    completed_at: dt.datetime | None
    passed: bool | None
    best_score_scaled: float | None
    best_score_raw: float | None
    total_seconds: float


def _row(record: LearningRecord) -> LearningRecordRow:
    return LearningRecordRow(
        actor_ifi=record.actor_ifi,
        activity_id=record.activity_id,
        person_id=record.person_id,
        first_attempt=record.first_attempt,
        last_attempt=record.last_attempt,
        attempts=record.attempts,
        statements=record.statements,
        completed=record.completed,
        completed_at=record.completed_at,
        passed=record.passed,
        best_score_scaled=record.best_score_scaled,
        best_score_raw=record.best_score_raw,
        total_seconds=record.total_seconds,
    )


def learning_records_for(
    *,
    person_ids: Collection[int] | None = None,
    activity_ids: Collection[str] | None = None,
    completed: bool | None = None,
    active_since: dt.datetime | None = None,
) -> list[LearningRecordRow]:
    """Records matching every filter given (None: no filter on that), ordered by person, activity.

    Only records linked to a person are returned when person_ids is given; one query.
    """
    records = LearningRecord.objects.all()
    if person_ids is not None:
        records = records.filter(person_id__in=list(person_ids))
    if activity_ids is not None:
        records = records.filter(activity_id__in=list(activity_ids))
    if completed is not None:
        records = records.filter(completed=completed)
    if active_since is not None:
        records = records.filter(last_attempt__gte=active_since)
    return [_row(record) for record in records.order_by("person_id", "activity_id", "actor_ifi")]


@dataclass(frozen=True)
class LearningOverview:
    records: int
    people: int  # distinct people with a record
    unlinked_records: int  # records whose actor matches nobody, anonymous survey respondents apart
    anonymous_records: int  # records of anonymous survey respondents (never linked, by design)
    completions: int


def learning_overview() -> LearningOverview:
    """Headline counts (one aggregate query)."""
    totals = LearningRecord.objects.aggregate(
        records=Count("id"),
        people=Count("person", distinct=True),
        unlinked=Count("id", filter=Q(person__isnull=True) & ~anonymous_actor_q()),
        anonymous=Count("id", filter=anonymous_actor_q()),
        completions=Count("id", filter=Q(completed=True)),
    )
    return LearningOverview(
        records=totals["records"],
        people=totals["people"],
        unlinked_records=totals["unlinked"],
        anonymous_records=totals["anonymous"],
        completions=totals["completions"],
    )


def learning_completions_by_month(*, since: dt.date) -> list[tuple[dt.date, int]]:
    """Completions per calendar month (of completed_at, UTC) from `since`, months without any included."""
    start = dt.datetime.combine(since.replace(day=1), dt.time(), tzinfo=dt.UTC)
    counts = {
        (row["month"].date() if isinstance(row["month"], dt.datetime) else row["month"]): row["n"]
        for row in LearningRecord.objects.filter(completed_at__gte=start)
        .annotate(month=TruncMonth("completed_at", tzinfo=dt.UTC))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("month")
    }
    found, month, last = [], start.date(), timezone.now().astimezone(dt.UTC).date().replace(day=1)
    while month <= last:
        found.append((month, counts.get(month, 0)))
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return found


@dataclass(frozen=True)
class ActivitySummary:
    activity_id: str
    name: str
    learners: int
    completions: int


def activity_names(*, activity_ids: Collection[str]) -> dict[str, str]:
    """Display names from the canonical activity definitions (English preferred); one query."""
    if not activity_ids:
        return {}
    names = {}
    for activity_id, definition in ActivityDefinition.objects.filter(
        activity_id__in=list(activity_ids)
    ).values_list("activity_id", "definition"):
        name = definition.get("name") if isinstance(definition, dict) else None
        if isinstance(name, dict) and name:
            names[activity_id] = str(name.get("en-US") or name.get("en") or next(iter(name.values())))
    return names


def learning_top_activities(*, limit: int = 10) -> list[ActivitySummary]:
    """Activities with the most learners (one aggregate query, one for names)."""
    rows = list(
        LearningRecord.objects.values("activity_id")
        .annotate(learners=Count("id"), completions=Count("id", filter=Q(completed=True)))
        .order_by("-learners", "activity_id")[:limit]
    )
    names = activity_names(activity_ids=[row["activity_id"] for row in rows])
    return [
        ActivitySummary(
            activity_id=row["activity_id"],
            name=names.get(row["activity_id"], ""),
            learners=row["learners"],
            completions=row["completions"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class NamedLearningRecord:
    """A person's learning record with its activity's display name ("" when no definition names it)."""

    record: LearningRecordRow
    name: str
    # A questionnaire (xAPI activity type survey): its "score" is an answer, never shown as a learning score.
    survey: bool = False


SURVEY_TYPE = "http://adlnet.gov/expapi/activities/survey"


def survey_activity_ids(*, activity_ids: Collection[str]) -> set[str]:
    """Those of the activities whose definition in the LRS has the survey type (one query)."""
    if not activity_ids:
        return set()
    return set(
        ActivityDefinition.objects.filter(
            activity_id__in=list(activity_ids), definition__type=SURVEY_TYPE
        ).values_list("activity_id", flat=True)
    )


def learning_records_of_person(*, person_id: int) -> list[NamedLearningRecord]:
    """One person's records, most recently active first, named (three queries however many there are)."""
    records = sorted(
        learning_records_for(person_ids=[person_id]), key=lambda record: record.last_attempt, reverse=True
    )
    ids = {record.activity_id for record in records}
    names, surveys = activity_names(activity_ids=ids), survey_activity_ids(activity_ids=ids)
    return [
        NamedLearningRecord(
            record=record, name=names.get(record.activity_id, ""), survey=record.activity_id in surveys
        )
        for record in records
    ]


def learning_record_list() -> QuerySet[LearningRecord]:
    """Every record, most recently active first, with its person (for paging on the overview page)."""
    return LearningRecord.objects.select_related("person").order_by("-last_attempt", "-id")
