"""Reading statements: single lookups and the filtered, paged StatementResult of GET /statements."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from typing import Any

from django.core import signing
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from tandem.lrs.models import Attachment, LrsClient, Statement, StatementCounter, StatementRelation
from tandem.lrs.multipart import AttachmentPart
from tandem.lrs.records import (
    MAX_LIMIT,
    LrsBadRequest,
    LrsNotFound,
    StatementFilter,
    StatementPage,
)
from tandem.lrs.xapi import XapiValidationError, agent_ifi, statement_format

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


def consistent_through() -> dt.datetime:
    """Statements stored before this moment are readable.

    Writers are serialised by the StatementCounter lock and take `stored` after acquiring it, so
    only a write in flight at this instant (milliseconds long) can still commit an earlier `stored`.
    """
    return timezone.now()


def _format(statement: dict[str, Any], fmt: str, languages: list[str]) -> dict[str, Any]:
    if fmt == "exact":
        return statement
    return statement_format(statement=statement, fmt=fmt, languages=languages)


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
    return _format(row[0], fmt, languages or []), row[1]


def _matching(filters: StatementFilter) -> Q | None:
    """The non-time conditions of the query, or None when there are none."""
    conditions = Q()
    present = False
    if filters.agent_ifi is not None:
        relations = StatementRelation.objects.filter(
            kind=StatementRelation.Kind.AGENT, value=filters.agent_ifi
        )
        if not filters.related_agents:
            relations = relations.filter(
                relation__in=[StatementRelation.Relation.ACTOR, StatementRelation.Relation.OBJECT]
            )
        conditions &= Q(pk__in=relations.values("statement_id"))
        present = True
    if filters.verb is not None:
        conditions &= Q(verb_id=filters.verb)
        present = True
    if filters.activity is not None:
        if filters.related_activities:
            relations = StatementRelation.objects.filter(
                kind=StatementRelation.Kind.ACTIVITY, value=filters.activity
            )
            conditions &= Q(pk__in=relations.values("statement_id"))
        else:
            conditions &= Q(object_activity_id=filters.activity)
        present = True
    if filters.registration is not None:
        conditions &= Q(registration=filters.registration)
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


def statement_querysets(*, filters: StatementFilter) -> list[QuerySet[Statement]]:
    """The ordered querysets whose merged heads make one page.

    With agent/verb/activity/registration filters there are two: the statements matching directly
    (served in order by the (column, seq) indexes) and the statements targeting a match, read from the
    partial index of statements that have a StatementRef object. One query with an OR of the two
    would make PostgreSQL test every statement in the table against the subqueries.
    """
    statements = Statement.objects.filter(voided=False)
    if filters.since is not None:
        statements = statements.filter(stored__gt=filters.since)
    if filters.until is not None:
        statements = statements.filter(stored__lte=filters.until)
    if filters.authority_ifi is not None:
        statements = statements.filter(authority_ifi=filters.authority_ifi)
    if filters.max_seq is not None:
        statements = statements.filter(seq__lte=filters.max_seq)
    if filters.after_seq is not None:
        if filters.ascending:
            statements = statements.filter(seq__gt=filters.after_seq)
        else:
            statements = statements.filter(seq__lt=filters.after_seq)
    order = "seq" if filters.ascending else "-seq"
    condition = _matching(filters)
    if condition is None:
        return [statements.order_by(order)]
    targeting = statements.filter(object_statement_ref__isnull=False).filter(_targeting(condition))
    return [statements.filter(condition).order_by(order), targeting.order_by(order)]


def statements_query(*, filters: StatementFilter, languages: list[str] | None = None) -> StatementPage:
    """One page of the StatementResult (the snapshot bound, then one query per ordered branch).

    The first page fixes `max_seq` (the last seq committed now); later pages keep it, so statements
    arriving while a client pages never shift or duplicate what it sees.
    """
    through = consistent_through()
    if filters.max_seq is None:
        last = StatementCounter.objects.values_list("last", flat=True).first() or 0
        filters = replace(filters, max_seq=last)
    limit = filters.limit if 0 < filters.limit <= MAX_LIMIT else MAX_LIMIT
    merged: dict[int, tuple[int, Any, dt.datetime]] = {}
    for queryset in statement_querysets(filters=filters):
        for row in queryset.values_list("seq", "exact", "stored")[: limit + 1]:
            merged[row[0]] = row
    rows = sorted(merged.values(), key=lambda row: row[0], reverse=not filters.ascending)[: limit + 1]
    page = rows[:limit]
    more = replace(filters, after_seq=page[-1][0]) if len(rows) > limit else None
    return StatementPage(
        statements=[_format(exact, filters.format, languages or []) for _seq, exact, _stored in page],
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
