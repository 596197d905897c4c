"""Reading statements: single lookups and the filtered, paged StatementResult of GET /statements."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from django.core import signing
from django.db import connection, transaction
from django.db.models import Count, Exists, F, FilteredRelation, Func, OuterRef, Q, QuerySet, Sum, TextField
from django.db.models.functions import Cast, Substr, TruncMonth
from django.utils import timezone

from tandem.lrs.catalog import activity_catalog_match
from tandem.lrs.models import (
    ActivityDefinition,
    Attachment,
    LearningRecord,
    LrsClient,
    Statement,
    StatementCounter,
    StatementRelation,
)
from tandem.lrs.multipart import AttachmentPart
from tandem.lrs.records import (
    MAX_LIMIT,
    LrsBadRequest,
    LrsNotFound,
    StatementFilter,
    StatementPage,
)
from tandem.lrs.xapi import (
    XapiValidationError,
    agent_ifi,
    contexts_as_arrays,
    statement_activity_ids,
    statement_format,
)
from tandem.org.models import Assignment
from tandem.org.periods import in_force

# How many StatementRef hops the "targeting statements match too" rule follows (the spec says
# recursively; chains longer than this are not followed, see docs/lrs-storage.md).
STATEMENT_REF_DEPTH = 3
_MORE_SALT = "tandem.lrs.more"


def agent_key(agent: Any) -> str | None:
    """The normalised inverse functional identifier of an Agent or identified Group, e.g.
    "mbox:mailto:ann@example.com" or "account:https://example.com|ann"; None when it has none."""
    if not isinstance(agent, dict):
        return None
    try:
        kind, value = agent_ifi(agent=agent)
    except XapiValidationError:
        return None
    return f"{kind}:{value}"[:512]


def stored_text(stored: dt.datetime) -> str:
    """ISO 8601 UTC with milliseconds: the form `stored` takes in statements and headers."""
    return stored.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _counter_probe() -> tuple[bool, int | None]:
    """(no writer holds the StatementCounter lock right now, the last seq committed) in one query.

    PostgreSQL: `FOR SHARE SKIP LOCKED` skips the row while a writer holds it `FOR UPDATE`, and waits for
    nobody; concurrent readers share the lock. SQLite: the connection's transactions are BEGIN IMMEDIATE,
    so a reader inside one holds the database's only write lock and no writer can be in flight; outside one,
    a transaction is opened to wait out the writer (at most one batch, milliseconds).
    """
    table = connection.ops.quote_name(StatementCounter._meta.db_table)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT last FROM {table} WHERE id = 1 FOR SHARE SKIP LOCKED")  # noqa: S608
            row = cursor.fetchone()
        if row is not None:
            return True, int(row[0])
        # Locked by a writer, or not created yet: then no statement was ever committed, and the only write
        # that could be missed is the LRS's very first one, racing this read (accepted).
        last = StatementCounter.objects.filter(pk=1).values_list("last", flat=True).first()
        return last is None, last
    if connection.in_atomic_block:
        return True, StatementCounter.objects.filter(pk=1).values_list("last", flat=True).first()
    with transaction.atomic():
        return True, StatementCounter.objects.filter(pk=1).values_list("last", flat=True).first()


def statements_snapshot() -> tuple[int, dt.datetime]:
    """The last seq committed, and the time before which every statement `stored` is readable.

    Communication 2.1.3.s2.b5: X-Experience-API-Consistent-Through is "the timestamp for which all Statements
    that have or will have a stored property before that time are known with reasonable certainty to be
    available for retrieval". Writers are serialised by the StatementCounter lock, take `stored` only after
    acquiring it and commit before releasing it, so `stored` grows with `seq`. Hence:

    * no writer holds the lock when we look: every statement stored before the moment we started looking
      is committed, and every later one will be stored after it: that moment is the answer (recent even
      when nothing arrives, as the spec expects);
    * a writer holds it: its statements will be stored at or after the newest committed `stored`, so that
      is the answer (it trails the clock by at most one write transaction).

    One query on the common path (plus the newest statement's `stored` while a writer is in flight). Clocks
    of several application servers are assumed to agree, as `stored` itself assumes.
    """
    started = timezone.now()
    free, last = _counter_probe()
    if free:
        return last or 0, started
    newest = Statement.objects.filter(seq=last).values_list("stored", flat=True).first() if last else None
    return last or 0, newest or started


def consistent_through() -> dt.datetime:
    """X-Experience-API-Consistent-Through for a response (see statements_snapshot)."""
    return statements_snapshot()[1]


def activity_definitions_get(*, activity_ids: Collection[str]) -> dict[str, dict[str, Any]]:
    """The stored canonical definitions of these activities, by id (one query; unknown ids absent)."""
    if not activity_ids:
        return {}
    rows = ActivityDefinition.objects.filter(activity_id__in=set(activity_ids)).values_list(
        "activity_id", "definition"
    )
    return {activity_id: definition for activity_id, definition in rows if definition}


def _formatted(statements: list[dict[str, Any]], fmt: str, languages: list[str]) -> list[dict[str, Any]]:
    """Statements shaped for ``fmt``; canonical loads every definition the page needs in one query."""
    if fmt == "exact":
        return [contexts_as_arrays(statement=statement) for statement in statements]
    definitions: dict[str, dict[str, Any]] = {}
    if fmt == "canonical":
        ids = set().union(*(statement_activity_ids(statement=statement) for statement in statements))
        definitions = activity_definitions_get(activity_ids=ids)
    return [
        statement_format(statement=statement, fmt=fmt, languages=languages, definitions=definitions)
        for statement in statements
    ]


def statement_get(
    *,
    statement_id: uuid.UUID,
    voided: bool,
    authority_ifi: str | None = None,
    fmt: str = "exact",
    languages: list[str] | None = None,
) -> tuple[dict[str, Any], dt.datetime]:
    """A single statement (statementId) or a voided one (voidedStatementId), with its stored time.

    A voided statement is not found by statementId, and a statement that is not voided is not found by
    voidedStatementId (Communication 2.1.4).
    """
    statements = Statement.objects.filter(pk=statement_id, voided=voided)
    if authority_ifi is not None:
        statements = statements.filter(authority_ifi=authority_ifi)
    row = statements.values_list("exact", "stored").first()
    if row is None:
        raise LrsNotFound(f"No {'voided ' if voided else ''}statement {statement_id}")
    return _formatted([row[0]], fmt, languages or [])[0], row[1]


def _agent_relations(filters: StatementFilter) -> list[str] | None:
    """Where the agent must appear: actor or object, or anywhere with related_agents (None)."""
    if filters.related_agents:
        return None
    return [StatementRelation.Relation.ACTOR, StatementRelation.Relation.OBJECT]


def _driver(filters: StatementFilter) -> tuple[str, str, list[str] | None] | None:
    """(kind, value, relations) of the relation rows that drive the direct branch, or None.

    An agent (or a related_activities activity) can appear in a statement anywhere; its relation rows carry
    the statement's seq, so walking (kind, value, seq) yields the newest (or oldest) page without reading
    the agent's whole history. relations None: any relation.
    """
    if filters.agent_ifi is not None:
        return StatementRelation.Kind.AGENT, filters.agent_ifi, _agent_relations(filters)
    if filters.activity is not None and filters.related_activities:
        return StatementRelation.Kind.ACTIVITY, filters.activity, None
    return None


def _relation_rows(kind: str, value: str, relations: list[str] | None) -> QuerySet[StatementRelation]:
    rows = StatementRelation.objects.filter(kind=kind, value=value)
    return rows if relations is None else rows.filter(relation__in=relations)


def _matching(filters: StatementFilter, *, prefix: str = "", driven: str | None = None) -> Q | None:
    """The non-time conditions of the query, or None when there are none.

    prefix: the path from the queried model to Statement ("statement__" from a relation row); driven: the
    relation kind the driving rows already filter on, left out here.
    """
    conditions = Q()
    present = False
    if filters.agent_ifi is not None and driven != StatementRelation.Kind.AGENT:
        rows = _relation_rows(StatementRelation.Kind.AGENT, filters.agent_ifi, _agent_relations(filters))
        conditions &= Q(**{f"{prefix}pk__in": rows.values("statement_id")})
        present = True
    if filters.verb is not None:
        conditions &= Q(**{f"{prefix}verb_id": filters.verb})
        present = True
    if filters.activity is not None:
        if filters.related_activities:
            if driven != StatementRelation.Kind.ACTIVITY:
                rows = _relation_rows(StatementRelation.Kind.ACTIVITY, filters.activity, None)
                conditions &= Q(**{f"{prefix}pk__in": rows.values("statement_id")})
        else:
            conditions &= Q(**{f"{prefix}object_activity_id": filters.activity})
        present = True
    if filters.registration is not None:
        conditions &= Q(**{f"{prefix}registration": filters.registration})
        present = True
    return conditions if present else None


def _targeting(condition: Q, depth: int = STATEMENT_REF_DEPTH) -> Exists:
    """True for a statement whose StatementRef object targets one matching the condition, following
    up to `depth` hops (Communication 2.1.3, filter conditions for StatementRefs).

    A correlated EXISTS: each candidate looks its target up by primary key, so the cost follows the
    number of targeting statements, not the number of statements matching the filter. Targets are
    looked up among all statements, voided ones included: "Ann voided <X>" is found by a filter that X
    matches.
    """
    target = Statement.objects.filter(pk=OuterRef("object_statement_ref"))
    if depth > 1:
        return Exists(target.filter(condition | Q(_targeting(condition, depth - 1))))
    return Exists(target.filter(condition))


def _statement_conditions(filters: StatementFilter, *, prefix: str = "") -> Q:
    """Not voided, the time window and read/mine, on Statement (or through `prefix`)."""
    conditions = Q(**{f"{prefix}voided": False})
    if filters.since is not None:
        conditions &= Q(**{f"{prefix}stored__gt": filters.since})
    if filters.until is not None:
        conditions &= Q(**{f"{prefix}stored__lte": filters.until})
    if filters.authority_ifi is not None:
        conditions &= Q(**{f"{prefix}authority_ifi": filters.authority_ifi})
    return conditions


def _paged(queryset: QuerySet[Any], filters: StatementFilter) -> QuerySet[Any]:
    """The paging bounds on the queryset's own `seq`, ordered by it."""
    if filters.max_seq is not None:
        queryset = queryset.filter(seq__lte=filters.max_seq)
    if filters.after_seq is not None:
        if filters.ascending:
            queryset = queryset.filter(seq__gt=filters.after_seq)
        else:
            queryset = queryset.filter(seq__lt=filters.after_seq)
    return queryset.order_by("seq" if filters.ascending else "-seq")


def statement_querysets(*, filters: StatementFilter) -> list[QuerySet[Any]]:
    """The ordered querysets whose merged heads make one page; each yields `seq`, `exact` and `stored`.

    With agent/verb/activity/registration filters there are two: the statements matching directly and the
    statements targeting a match, read from the partial index of statements that have a StatementRef
    object. One query with an OR of the two would make PostgreSQL test every statement in the table
    against the subqueries. The direct branch is served in order by the (column, seq) indexes, or, for
    agent and related_activities, by walking the relation rows' (kind, value, seq) index and joining each
    statement by primary key (a statement naming the agent twice comes twice: see _head).
    """
    direct, prefix = _direct(filters)
    if prefix:
        direct = direct.annotate(exact=F(f"{prefix}exact"), stored=F(f"{prefix}stored"))
    condition = _matching(filters)
    if condition is None:
        return [_paged(direct, filters)]
    statements = Statement.objects.filter(_statement_conditions(filters))
    targeting = _paged(
        statements.filter(object_statement_ref__isnull=False).filter(_targeting(condition)), filters
    )
    return [_paged(direct, filters), targeting]


def _direct(filters: StatementFilter) -> tuple[QuerySet[Any], str]:
    """The statements matching the filters themselves (no StatementRef targeting, no paging), and the path
    from the queryset's model to Statement: "" for Statement, "statement__" for relation rows that drive it
    (see _driver; their own `seq` is the statement's, so _paged and _head work on either)."""
    driver = _driver(filters)
    if driver is None:
        statements = Statement.objects.filter(_statement_conditions(filters))
        condition = _matching(filters)
        return (statements if condition is None else statements.filter(condition)), ""
    kind, value, relations = driver
    rows = _relation_rows(kind, value, relations).filter(_statement_conditions(filters, prefix="statement__"))
    rest = _matching(filters, prefix="statement__", driven=kind)
    return (rows if rest is None else rows.filter(rest)), "statement__"


def _head(
    queryset: QuerySet[Any],
    *,
    ascending: bool,
    size: int,
    columns: Sequence[str] = ("seq", "exact", "stored"),
) -> dict[int, tuple[Any, ...]]:
    """The first `size` distinct statements of an ordered branch, by seq (`columns` start with seq).

    A relation-driven branch has one row per place the statement names the agent (same seq, adjacent in
    the order): duplicates are dropped here rather than by a NOT EXISTS in SQL, which PostgreSQL turns into
    an anti join it may plan without the seq condition (a scan of the agent's rows per row). When they cut
    a page short, read on past the last seq: one query unless the agent is named twice in the page.
    """
    found: dict[int, tuple[Any, ...]] = {}
    while True:
        rows = list(queryset.values_list(*columns)[:size])
        for row in rows:
            found.setdefault(row[0], row)
        if len(rows) < size or len(found) >= size:
            return dict(list(found.items())[:size])
        queryset = queryset.filter(seq__gt=rows[-1][0]) if ascending else queryset.filter(seq__lt=rows[-1][0])


def statements_query(*, filters: StatementFilter, languages: list[str] | None = None) -> StatementPage:
    """One page of the StatementResult (the snapshot bound, then one query per ordered branch).

    The first page fixes `max_seq` (the last seq committed now); later pages keep it, so statements
    arriving while a client pages never shift or duplicate what it sees.
    """
    last, through = statements_snapshot()
    if filters.max_seq is None:
        filters = replace(filters, max_seq=last)
    limit = filters.limit if 0 < filters.limit <= MAX_LIMIT else MAX_LIMIT
    merged: dict[int, tuple[Any, ...]] = {}
    for queryset in statement_querysets(filters=filters):
        merged.update(_head(queryset, ascending=filters.ascending, size=limit + 1))
    rows = sorted(merged.values(), key=lambda row: row[0], reverse=not filters.ascending)[: limit + 1]
    page = rows[:limit]
    more = replace(filters, after_seq=page[-1][0]) if len(rows) > limit else None
    return StatementPage(
        statements=_formatted([exact for _seq, exact, _stored in page], filters.format, languages or []),
        more=more,
        consistent_through=through,
        last_stored=max((stored for _s, _e, stored in page), default=None),
    )


def more_token_dumps(*, filters: StatementFilter) -> str:
    """Signed, so a client cannot edit the paging state (or lift its read/mine restriction)."""
    payload = {key: value for key, value in asdict(filters).items() if value is not None}
    return signing.dumps(json.loads(json.dumps(payload, default=str)), salt=_MORE_SALT, compress=True)


def more_token_loads(*, token: str) -> StatementFilter:
    try:
        payload = signing.loads(token, salt=_MORE_SALT)
        for name in ("since", "until"):
            if name in payload:
                payload[name] = dt.datetime.fromisoformat(payload[name])
        if "registration" in payload:
            payload["registration"] = uuid.UUID(payload["registration"])
        return StatementFilter(**payload)
    except (signing.BadSignature, TypeError, ValueError) as error:
        raise LrsBadRequest("The more token is not valid", field="more", rule="token") from error


def statement_attachments(*, statements: Sequence[Mapping[str, Any]]) -> list[AttachmentPart]:
    """The stored data of the statements' attachments, once per hash, in order of first mention (one query).

    Attachments known only by fileUrl have no stored data and are left out.
    """
    hashes: dict[str, None] = {}
    for statement in statements:
        obj = statement.get("object")
        for holder in (statement, obj if isinstance(obj, Mapping) else {}):
            for attachment in holder.get("attachments") or []:
                if isinstance(attachment, Mapping) and isinstance(attachment.get("sha2"), str):
                    hashes.setdefault(attachment["sha2"].lower(), None)
    if not hashes:
        return []
    rows = Attachment.objects.filter(sha2__in=list(hashes)).values_list("sha2", "content_type", "content")
    found = {sha2: AttachmentPart(sha2=sha2, content_type=ct, content=bytes(data)) for sha2, ct, data in rows}
    return [found[sha2] for sha2 in hashes if sha2 in found]


def lrs_client_list() -> list[LrsClient]:
    """Every LRS credential, newest first (the secret hash never leaves this app's services)."""
    return list(LrsClient.objects.defer("secret_hash").order_by("-created_at"))


# --- pages: statements people can read, and aggregates for department heads ------------------------------

BROWSE_PAGE_SIZE = 50


@dataclass(frozen=True)
class StatementRow:
    """One statement as a page shows it: who, did what, to which activity, when, with what result."""

    id: uuid.UUID
    seq: int
    stored: dt.datetime
    timestamp: dt.datetime
    actor: str  # the actor's name, else its identifier
    actor_ifi: str
    person_id: int | None
    verb_id: str
    verb: str  # display name (English preferred), else the IRI's last segment
    activity_id: str  # empty when the object is not an Activity
    activity: str  # canonical name, else the name inside the statement, else the IRI
    catalog_key: str  # the catalog item the activity belongs to ("" until a catalog claims it)
    result: str  # e.g. "completed · passed · 90%"


@dataclass(frozen=True)
class StatementBrowsePage:
    rows: list[StatementRow]
    before: int | None  # seq to ask for the next (older) page; None on the last page


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _language_pick(value: Any) -> str:
    if isinstance(value, Mapping) and value:
        return str(value.get("en-US") or value.get("en") or next(iter(value.values())))
    return ""


SURVEY_TYPE = "http://adlnet.gov/expapi/activities/survey"


def _result_text(result: Any, *, survey: bool = False) -> str:
    if not isinstance(result, Mapping):
        return ""
    if survey:
        return "answered" if result.get("completion") is True else ""
    parts = []
    if result.get("completion") is True:
        parts.append("completed")
    if result.get("success") is not None:
        parts.append("passed" if result["success"] else "failed")
    score = result.get("score")
    if isinstance(score, Mapping):
        if isinstance(score.get("scaled"), int | float):
            parts.append(f"{round(score['scaled'] * 100)}%")
        elif isinstance(score.get("raw"), int | float):
            parts.append(f"score {score['raw']:g}")
    return " · ".join(parts)


def statements_browse(
    *,
    person_id: int | None = None,
    agent_ifi: str | None = None,
    verb: str | None = None,
    activity: str | None = None,
    since: dt.datetime | None = None,
    before: int | None = None,
    limit: int = BROWSE_PAGE_SIZE,
) -> StatementBrowsePage:
    """Non-voided statements newest first, keyset-paged by seq (no COUNT: the table may be huge).

    person_id restricts to one person's statements (a learner's own page); the caller decides who may pass
    which filter. agent_ifi matches the agent as actor or object, read as GET /statements reads it: walking
    the agent's relation rows newest first. Three queries whatever the page size (the statements, canonical
    names, catalog keys), one more when a statement naming the agent as actor and object cuts the page short.
    """
    # The direct branch of GET /statements?agent=&verb=&activity=&since= (no targeting statements here).
    filters = StatementFilter(
        agent_ifi=agent_ifi or None,
        verb=verb or None,
        activity=activity or None,
        since=since,
        after_seq=before,
    )
    statements, prefix = _direct(filters)
    if person_id is not None:
        statements = statements.filter(**{f"{prefix}person_id": person_id})
    columns = ["seq"] + [
        f"{prefix}{column}"
        for column in (
            "id",
            "stored",
            "timestamp",
            "actor_ifi",
            "person_id",
            "verb_id",
            "object_activity_id",
            "exact",
        )
    ]
    found = list(
        _head(_paged(statements, filters), ascending=False, size=limit + 1, columns=columns).values()
    )
    page = found[:limit]
    activity_ids = {row[7] for row in page if row[7]}
    names = _activity_names(activity_ids)
    catalog = activity_catalog_match(activity_iris=activity_ids)
    rows = []
    for seq, statement_id, stored, timestamp, actor_ifi, person, verb_id, activity_id, exact in page:
        obj = _mapping(exact.get("object"))
        definition = _mapping(obj.get("definition"))
        actor = _mapping(exact.get("actor"))
        verb_display = _language_pick(_mapping(exact.get("verb")).get("display"))
        rows.append(
            StatementRow(
                id=statement_id,
                seq=seq,
                stored=stored,
                timestamp=timestamp,
                actor=str(actor.get("name") or actor_ifi),
                actor_ifi=actor_ifi,
                person_id=person,
                verb_id=verb_id,
                verb=verb_display or verb_id.rstrip("/").rsplit("/", 1)[-1],
                activity_id=activity_id or "",
                activity=(
                    names.get(activity_id or "")
                    or _language_pick(definition.get("name"))
                    or activity_id
                    or str(obj.get("objectType", ""))
                ),
                catalog_key=catalog.get(activity_id or "", ""),
                # A survey's "score" is an answer (e.g. "how much do you apply?"), not a learning score.
                result=_result_text(exact.get("result"), survey=definition.get("type") == SURVEY_TYPE),
            )
        )
    return StatementBrowsePage(rows=rows, before=page[-1][0] if len(found) > limit else None)


def _activity_names(activity_ids: Collection[str]) -> dict[str, str]:
    """Canonical display names (English preferred) from ActivityDefinition; one query."""
    if not activity_ids:
        return {}
    return {
        activity_id: name
        for activity_id, definition in ActivityDefinition.objects.filter(
            activity_id__in=list(activity_ids)
        ).values_list("activity_id", "definition")
        if (name := _language_pick(definition.get("name") if isinstance(definition, Mapping) else None))
    }


@dataclass(frozen=True)
class GroupFigures:
    """Statements, people and completions of one group; None where the group is under the minimum size."""

    key: str
    label: str
    people: int | None
    statements: int | None
    completions: int | None
    complement: bool = False  # hidden although large enough: see _with_complement

    @property
    def suppressed(self) -> bool:
        return self.people is None


@dataclass(frozen=True)
class LearningAggregates:
    """What a department head may see of their department's learning: group figures only."""

    minimum: int
    people: int | None  # people with statements in scope (None: under the minimum)
    statements: int | None
    by_activity: list[GroupFigures]
    by_team: list[GroupFigures]
    by_month: list[tuple[dt.date, GroupFigures]]


def _figures(
    key: str, label: str, people: int, statements: int, completions: int, minimum: int
) -> GroupFigures:
    if people < minimum:
        return GroupFigures(key=key, label=label, people=None, statements=None, completions=None)
    return GroupFigures(key=key, label=label, people=people, statements=statements, completions=completions)


def _unit_at(field: str) -> FilteredRelation:
    """The person's assignment at the row's timestamp `field` (its UTC date; no date cast, see in_force), as a
    LEFT JOIN (NULL: none that day)."""
    return FilteredRelation(
        "person__assignments", condition=in_force(F(field), prefix="person__assignments__")
    )


def _in_units_at(field: str, org_unit_ids: Collection[int]) -> Exists:
    """The row's person was assigned to one of the units at the row's timestamp `field`.

    EXISTS rather than filtering the _unit_at join: overlapping assignments cannot duplicate rows."""
    return Exists(
        Assignment.objects.filter(
            in_force(OuterRef(field)), person_id=OuterRef("person_id"), org_unit_id__in=list(org_unit_ids)
        )
    )


def learning_aggregates(
    *, org_unit_ids: Collection[int] | None, since: dt.date, minimum: int, top: int = 15
) -> LearningAggregates:
    """Statements and completions of the people in the org units (None: everyone), per activity, per team
    and per month (of the statement's timestamp), from `since`.

    The unit is the one the person was assigned to (org Assignment) on the statement's timestamp date, or
    for completions on the learning record's completed_at date (UTC dates), so figures stay with the team
    the learning happened in after people move; no assignment that day: "No team", outside any scope.
    Every group with fewer than `minimum` distinct people shows no figure (completions count people who
    completed, from learning records). Seven aggregate queries plus one for names, whatever the size.
    """
    start = dt.datetime.combine(since.replace(day=1), dt.time(), tzinfo=dt.UTC)
    statements = Statement.objects.filter(voided=False, person__isnull=False, timestamp__gte=start).alias(
        unit=_unit_at("timestamp")
    )
    records = LearningRecord.objects.filter(
        person__isnull=False, completed=True, completed_at__gte=start
    ).alias(unit=_unit_at("completed_at"))
    if org_unit_ids is not None:
        # Only people ever assigned to the units, then the dated check: without the first condition the
        # database tests every statement of the period (ten times slower for a department of the demo).
        ever = Assignment.objects.filter(org_unit_id__in=list(org_unit_ids)).values("person_id")
        statements = statements.filter(person_id__in=ever).filter(_in_units_at("timestamp", org_unit_ids))
        records = records.filter(person_id__in=ever).filter(_in_units_at("completed_at", org_unit_ids))
    totals = statements.aggregate(people=Count("person", distinct=True), statements=Count("id"))
    overall = _figures("all", "All", totals["people"], totals["statements"], 0, minimum)

    completions_by_activity = dict(
        records.values("activity_id")
        .annotate(n=Count("person", distinct=True))
        .values_list("activity_id", "n")
    )
    activity_rows = list(
        statements.filter(object_activity_id__isnull=False)
        .values("object_activity_id")
        .annotate(people=Count("person", distinct=True), n=Count("id"))
        .order_by("-people", "-n", "object_activity_id")[:top]
    )
    names = _activity_names({row["object_activity_id"] for row in activity_rows})
    by_activity = [
        _figures(
            row["object_activity_id"],
            names.get(row["object_activity_id"], row["object_activity_id"]),
            row["people"],
            row["n"],
            completions_by_activity.get(row["object_activity_id"], 0),
            minimum,
        )
        for row in activity_rows
    ]

    completions_by_team = dict(
        records.values("unit__org_unit_id")
        .annotate(n=Count("person", distinct=True))
        .values_list("unit__org_unit_id", "n")
    )
    by_team = [
        _figures(
            str(row["unit__org_unit__code"] or ""),
            str(row["unit__org_unit__name"] or "No team"),
            row["people"],
            row["n"],
            completions_by_team.get(row["unit__org_unit_id"], 0),
            minimum,
        )
        for row in statements.values("unit__org_unit_id", "unit__org_unit__code", "unit__org_unit__name")
        .annotate(people=Count("person", distinct=True), n=Count("id"))
        .order_by("unit__org_unit__name")
    ]

    def month_key(value: dt.date | dt.datetime | str) -> dt.date:
        if isinstance(value, str):  # "YYYY-MM" from _month on SQLite
            return dt.date(int(value[:4]), int(value[5:7]), 1)
        return value.date() if isinstance(value, dt.datetime) else value

    completions_by_month = {
        month_key(month): n
        for month, n in records.annotate(month=_month("completed_at"))
        .values("month")
        .annotate(n=Count("person", distinct=True))
        .values_list("month", "n")
    }
    month_rows = {
        month_key(row["month"]): row
        for row in statements.annotate(month=_month("timestamp"))
        .values("month")
        .annotate(people=Count("person", distinct=True), n=Count("id"))
    }
    by_month = []
    month, last = start.date(), timezone.now().astimezone(dt.UTC).date().replace(day=1)
    while month <= last:
        row = month_rows.get(month)
        figures = _figures(
            month.isoformat(),
            month.strftime("%b %y"),
            row["people"] if row else 0,
            row["n"] if row else 0,
            completions_by_month.get(month, 0),
            minimum,
        )
        by_month.append((month, figures))
        month = (month + dt.timedelta(days=32)).replace(day=1)
    months = _with_complement([figures for _month, figures in by_month])
    return LearningAggregates(
        minimum=minimum,
        people=overall.people,
        statements=overall.statements,
        by_activity=_with_complement(by_activity),
        by_team=_with_complement(by_team),
        by_month=[(month, figures) for (month, _before), figures in zip(by_month, months, strict=True)],
    )


def _month(field: str) -> Func:
    """The UTC month of a timestamp column: TruncMonth, except on SQLite, where Django computes it with a
    Python function called per row (half the department page's time on the demo data); there the stored
    text is naive UTC "YYYY-MM-DD HH:MM:SS", so its first seven characters are the month."""
    if connection.vendor == "sqlite":
        return Substr(field, 1, 7)
    return TruncMonth(field, tzinfo=dt.UTC)


def _with_complement(groups: Sequence[GroupFigures]) -> list[GroupFigures]:
    """Complementary suppression: a group hidden alone could be read off as the total minus the groups shown
    (teams and months split the total's statements), so the smallest shown group is hidden with it."""
    hidden = sum(1 for group in groups if group.suppressed)
    shown = [group for group in groups if not group.suppressed]
    if hidden != 1 or not shown:
        return list(groups)
    smallest = min(shown, key=lambda group: (group.people or 0, group.statements or 0, group.key))
    return [
        replace(group, people=None, statements=None, completions=None, complement=True)
        if group is smallest
        else group
        for group in groups
    ]


@dataclass(frozen=True)
class ActivitySeen:
    """An activity IRI that statements in the LRS were about, with its display name and statement count."""

    activity_id: str
    name: str
    statements: int
    learners: int


def activity_search(*, query: str = "", limit: int = 20) -> list[ActivitySeen]:
    """Activities seen in the LRS whose IRI or definition (name, description) contains the query, most
    statements first.

    Counts come from the learning records (one per actor and activity, kept current by statements_store),
    so a search reads those rather than every statement. Two queries, three with a query.
    """
    records = LearningRecord.objects.all()
    query = query.strip()
    if query:
        # The name lives in the definition's JSON (a language map); its text is searched as a whole.
        named = ActivityDefinition.objects.annotate(text=Cast("definition", TextField())).filter(
            text__icontains=query
        )
        records = records.filter(
            Q(activity_id__icontains=query) | Q(activity_id__in=named.values("activity_id"))
        )
    rows = list(
        records.values("activity_id")
        .annotate(n_statements=Sum("statements"), n_learners=Count("id"))
        .order_by("-n_statements", "activity_id")[: max(1, limit)]
    )
    names = _activity_names([row["activity_id"] for row in rows])
    return [
        ActivitySeen(
            activity_id=row["activity_id"],
            name=names.get(row["activity_id"], ""),
            statements=int(row["n_statements"] or 0),
            learners=row["n_learners"],
        )
        for row in rows
    ]
