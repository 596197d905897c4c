"""Writing to the LRS: client credentials and storing statements (validated, all or nothing)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import secrets
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from tandem.audit.services import audit_record
from tandem.core.bulk import bulk_insert_rows
from tandem.lrs.ingest import statements_after_store
from tandem.lrs.learning import learning_record_pairs, learning_records_recompute
from tandem.lrs.matching import actor_person_ids
from tandem.lrs.models import (
    ActivityDefinition,
    Attachment,
    LearningRecord,
    LrsClient,
    LrsScope,
    Statement,
    StatementCounter,
    StatementRelation,
)
from tandem.lrs.multipart import AttachmentPart
from tandem.lrs.records import (
    ClientCredentials,
    LrsBadRequest,
    LrsConflict,
    StoredStatement,
)
from tandem.lrs.selectors import agent_key, stored_text
from tandem.lrs.xapi import (
    SIGNATURE_USAGE_TYPE,
    VOIDED_VERB,
    XapiValidationError,
    json_value_check,
    signature_verify,
    statement_differences,
    statement_equivalent,
    statement_validate,
    timestamp_parse,
)

# The account home page of the authority Agent the LRS writes for each client ("tandem.invalid" is a
# reserved name: the account is identified by the key, the page is never fetched).
AUTHORITY_HOME_PAGE = "https://tandem.invalid/xapi/clients"


# --- clients ------------------------------------------------------------------------------------


def _secret_pair() -> tuple[str, str]:
    secret = secrets.token_urlsafe(32)
    return secret, make_password(secret)


def _client_record(
    *,
    name: str,
    authority_name: str,
    key: str,
    secret_hash: str,
    scopes: list[str],
    actor_id: int | None,
    summary: str,
) -> LrsClient:
    """Insert a client whose authority is an account agent named by its key, and audit it (the caller holds
    the transaction)."""
    authority = {
        "objectType": "Agent",
        "name": authority_name,
        "account": {"homePage": AUTHORITY_HOME_PAGE, "name": key},
    }
    client = LrsClient.objects.create(
        name=name,
        key=key,
        secret_hash=secret_hash,
        scopes=scopes,
        authority=authority,
        authority_ifi=agent_key(authority) or f"account:{AUTHORITY_HOME_PAGE}|{key}",
    )
    audit_record(
        actor_id=actor_id,
        action="create",
        entity_type="lrs_client",
        entity_id=client.pk,
        entity_label=client.name,
        changes={"scopes": client.scopes},
        summary=summary,
    )
    return client


def lrs_client_create(
    *, name: str, scopes: list[str], actor_id: int | None = None
) -> tuple[LrsClient, ClientCredentials]:
    """A new credential. The secret is returned here once; only its hash is kept."""
    unknown = sorted(set(scopes) - set(LrsScope.values))
    if unknown:
        raise LrsBadRequest(f"Unknown scope {', '.join(unknown)}; choose from {', '.join(LrsScope.values)}")
    if not scopes:
        raise LrsBadRequest("Give at least one scope")
    if not name.strip():
        raise LrsBadRequest("Give the client a name")
    key = secrets.token_hex(16)
    secret, secret_hash = _secret_pair()
    with transaction.atomic():
        client = _client_record(
            name=name.strip()[:200],
            authority_name=name.strip()[:200],
            key=key,
            secret_hash=secret_hash,
            scopes=sorted(set(scopes)),
            actor_id=actor_id,
            summary=f"LRS credential {key} created",
        )
    return client, ClientCredentials(key=key, secret=secret)


def lrs_internal_client_get(*, app: str) -> LrsClient:
    """The credential Tandem's own app ("surveys", ...) stores its statements under, created on first use;
    safe when two callers race. It has no usable secret, so it never opens over HTTP: it only names the
    `authority` of the statements the app writes through statements_store."""
    key = f"tandem-{app}"[:64]
    client = LrsClient.objects.filter(key=key).first()
    if client is not None:
        return client
    try:
        with transaction.atomic():
            return _client_record(
                name=f"Tandem {app} (internal)",
                authority_name=f"Tandem {app}",
                key=key,
                secret_hash=make_password(None),  # unusable: no secret opens it
                scopes=[LrsScope.STATEMENTS_WRITE.value],
                actor_id=None,
                summary=f"Internal LRS credential {key} created for Tandem's {app}",
            )
    except IntegrityError:
        # Another request created it between our read and our insert.
        return LrsClient.objects.get(key=key)


def _client_for_key(key: str) -> LrsClient:
    client = LrsClient.objects.select_for_update().filter(key=key).first()
    if client is None:
        raise LrsBadRequest(f"No LRS credential with key {key}")
    return client


@transaction.atomic
def lrs_client_revoke(*, key: str, actor_id: int | None = None) -> LrsClient:
    """Stop a credential working. Its statements stay (they still name it as their authority)."""
    client = _client_for_key(key)
    if client.active:
        client.active = False
        client.revoked_at = timezone.now()
        client.save(update_fields=["active", "revoked_at"])
        audit_record(
            actor_id=actor_id,
            action="revoke",
            entity_type="lrs_client",
            entity_id=client.pk,
            entity_label=client.name,
            summary=f"LRS credential {key} revoked",
        )
    return client


@transaction.atomic
def lrs_client_rotate(*, key: str, actor_id: int | None = None) -> ClientCredentials:
    """A new secret for the same key (and authority); the old secret stops working at once."""
    client = _client_for_key(key)
    if not client.active:
        raise LrsBadRequest(f"LRS credential {key} is revoked")
    secret, client.secret_hash = _secret_pair()
    client.save(update_fields=["secret_hash"])
    audit_record(
        actor_id=actor_id,
        action="rotate",
        entity_type="lrs_client",
        entity_id=client.pk,
        entity_label=client.name,
        summary=f"LRS credential {key} secret rotated",
    )
    return ClientCredentials(key=key, secret=secret)


# --- statements ---------------------------------------------------------------------------------


def _agents(agent: Any) -> Iterator[str]:
    """IFIs of an Agent or Group and of a group's members (the agent filter matches members too)."""
    if not isinstance(agent, dict):
        return
    key = agent_key(agent)
    if key:
        yield key
    members = agent.get("member")
    if agent.get("objectType") == "Group" and isinstance(members, list):
        for member in members:
            member_key = agent_key(member)
            if member_key:
                yield member_key


def _context_relations(context: Any, relation: str) -> Iterator[tuple[str, str, str]]:
    if not isinstance(context, dict):
        return
    for name in ("instructor", "team"):
        for key in _agents(context.get(name)):
            yield StatementRelation.Kind.AGENT, key, relation
    for item in context.get("contextAgents") or []:  # 2.0
        if isinstance(item, dict):
            for key in _agents(item.get("agent")):
                yield StatementRelation.Kind.AGENT, key, relation
    for item in context.get("contextGroups") or []:  # 2.0
        if isinstance(item, dict):
            for key in _agents(item.get("group")):
                yield StatementRelation.Kind.AGENT, key, relation
    activities = context.get("contextActivities")
    if isinstance(activities, dict):
        for value in activities.values():
            for activity in value if isinstance(value, list) else [value]:
                if isinstance(activity, dict) and isinstance(activity.get("id"), str):
                    yield StatementRelation.Kind.ACTIVITY, activity["id"], relation


def _object_relations(obj: Any, relation: str) -> Iterator[tuple[str, str, str]]:
    if not isinstance(obj, dict):
        return
    object_type = obj.get("objectType", "Activity")
    if object_type in ("Agent", "Group"):
        for key in _agents(obj):
            yield StatementRelation.Kind.AGENT, key, relation
    elif object_type == "Activity" and isinstance(obj.get("id"), str):
        yield StatementRelation.Kind.ACTIVITY, obj["id"], relation


def _relations(
    statement: dict[str, Any], *, actor_keys: Sequence[str], authority_key: str
) -> set[tuple[str, str, str]]:
    """(kind, value, relation) for every agent and activity the statement names.

    actor_keys are the IFIs of the actor (and its members), authority_key the authority's: the store has
    them already, and computing an IFI validates it (most of this function's time otherwise).
    """
    rel = StatementRelation.Relation
    found: set[tuple[str, str, str]] = set()
    found.update((StatementRelation.Kind.AGENT, key, rel.ACTOR) for key in actor_keys)
    found.update(_object_relations(statement.get("object"), rel.OBJECT))
    found.update(_context_relations(statement.get("context"), rel.CONTEXT))
    found.add((StatementRelation.Kind.AGENT, authority_key, rel.AUTHORITY))
    sub = statement.get("object")
    if isinstance(sub, dict) and sub.get("objectType") == "SubStatement":
        found.update(
            (StatementRelation.Kind.AGENT, key, rel.SUBSTATEMENT) for key in _agents(sub.get("actor"))
        )
        found.update(_object_relations(sub.get("object"), rel.SUBSTATEMENT))
        found.update(_context_relations(sub.get("context"), rel.SUBSTATEMENT))
    return {(kind, value[:2048], relation) for kind, value, relation in found}


def _statement_ref(statement: dict[str, Any]) -> uuid.UUID | None:
    obj = statement.get("object")
    if isinstance(obj, dict) and obj.get("objectType") == "StatementRef":
        return uuid.UUID(str(obj["id"]))
    return None


def _is_voiding(statement: dict[str, Any]) -> bool:
    verb = statement.get("verb")
    return isinstance(verb, dict) and verb.get("id") == VOIDED_VERB


def _default_version(version: str) -> str:
    """The version written on a statement that has none (Data 2.4.10: 1.0.0 for a 1.0.x request)."""
    return "2.0.0" if version.startswith("2.") else "1.0.0"


def _nul_path(value: Any, path: str = "") -> str | None:
    """The path of the first string (or key) holding U+0000, which PostgreSQL's JSONB cannot store."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return inner
            found = _nul_path(item, inner)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_path(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def _validated(statements: list[Any], version: str) -> list[dict[str, Any]]:
    """Copies of the statements, every one validated before anything is written."""
    batch = len(statements) > 1
    checked: list[dict[str, Any]] = []
    for index, statement in enumerate(statements):
        where = f"[{index}]" if batch else ""
        if not isinstance(statement, dict):
            raise LrsBadRequest(
                f"{where or 'statement'}: a statement must be a JSON object", field=where, rule="object"
            )
        try:
            # Values no read could handle (lone surrogates, non-finite or huge numbers, deep nesting) first:
            # the validator itself would trip over some of them.
            json_value_check(value=statement)
            statement_validate(statement=statement, version=version)
        except XapiValidationError as error:
            field = f"{where}.{error.field}" if where and error.field else (where or error.field)
            raise LrsBadRequest(f"{field}: {error.rule}", field=field, rule=error.rule) from error
        # A shallow copy is enough: the store only sets top-level keys (id, stored, authority, …) and
        # nothing after it modifies the nested values.
        checked.append(dict(statement))
    return checked


def _attachment_objects(statement: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, Attachment Object) of a statement and of its SubStatement (validated before this runs)."""
    obj = statement.get("object")
    for prefix, holder in (("", statement), ("object.", obj if isinstance(obj, dict) else {})):
        for index, attachment in enumerate(holder.get("attachments") or []):
            yield f"{prefix}attachments[{index}]", attachment


def _attachments_checked(
    statements: list[dict[str, Any]], parts: Sequence[AttachmentPart], statement_id: uuid.UUID | None
) -> dict[str, AttachmentPart]:
    """The parts by hash, once every attachment has its data and every signature verifies.

    Parts arrive with their hashes already checked against their content (tandem.lrs.multipart).
    Content types are taken from the statements: they are validated Internet Media Types there.
    """
    by_hash = {part.sha2: part for part in parts}
    content_types: dict[str, str] = {}
    batch = len(statements) > 1
    for index, statement in enumerate(statements):
        where = f"[{index}]." if batch else ""
        for path, attachment in _attachment_objects(statement):
            field = f"{where}{path}"
            sha2 = str(attachment["sha2"]).lower()
            content_types.setdefault(sha2, str(attachment["contentType"]))
            if attachment["usageType"] == SIGNATURE_USAGE_TYPE:
                _signature_check(statement, by_hash.get(sha2), field, statement_id)
            elif sha2 not in by_hash and "fileUrl" not in attachment:
                raise LrsBadRequest(
                    f"{field}: an attachment without fileUrl needs a multipart/mixed part with "
                    f"X-Experience-API-Hash {sha2}",
                    field=f"{field}.sha2",
                    rule="matching attachment part (Communication 1.5.2.s3.b5)",
                )
    unreferenced = sorted(set(by_hash) - set(content_types))
    if unreferenced:
        raise LrsBadRequest(
            f"multipart/mixed part with X-Experience-API-Hash {unreferenced[0]} is not an attachment of any "
            "statement",
            field="X-Experience-API-Hash",
            rule="every part is a statement's attachment (Communication 1.5.2.s2.b2.b2)",
        )
    return {
        sha2: AttachmentPart(sha2=sha2, content_type=content_types[sha2], content=part.content)
        for sha2, part in by_hash.items()
    }


def _signature_check(
    statement: dict[str, Any], part: AttachmentPart | None, field: str, statement_id: uuid.UUID | None
) -> None:
    """Data 2.6.s5: the JWS must be sent with the statement, decode, and match it."""
    if part is None:
        raise LrsBadRequest(
            f"{field}: a signature attachment needs its JWS as a multipart/mixed part",
            field=f"{field}.sha2",
            rule="signature sent as an attachment part (Data 2.6.s4.b1)",
        )
    try:
        jws = part.content.decode("ascii")
    except UnicodeDecodeError as error:
        raise LrsBadRequest(
            f"{field}: the signature must be a JWS Compact Serialization",
            field=field,
            rule="signature must be a JWS Compact Serialization (Data 2.6.s4.b2)",
        ) from error
    # The statement as received; statementId stands in for a missing id (a random one could never match).
    received = statement if statement_id is None else {"id": str(statement_id), **statement}
    try:
        signature_verify(statement=received, jws=jws)
    except XapiValidationError as error:
        raise LrsBadRequest(
            f"{field}: signature {error.rule} (Data 2.6.s5.b3)", field=field, rule=f"signature {error.rule}"
        ) from error


def _attachments_save(statements: Sequence[dict[str, Any]], parts: Mapping[str, AttachmentPart]) -> None:
    """Store the data of the new statements' attachments, once per hash (bulk, same transaction)."""
    if not parts:
        return
    wanted = {
        sha2
        for statement in statements
        for _path, attachment in _attachment_objects(statement)
        if (sha2 := str(attachment["sha2"]).lower()) in parts
    }
    if not wanted:
        return
    have = set(Attachment.objects.filter(sha2__in=wanted).values_list("sha2", flat=True))
    Attachment.objects.bulk_create(
        [
            Attachment(
                sha2=sha2,
                content_type=parts[sha2].content_type[:255],
                length=len(parts[sha2].content),
                content=parts[sha2].content,
            )
            for sha2 in sorted(wanted - have)
        ],
        # Another batch may store the same content concurrently: equal hash, equal content.
        ignore_conflicts=True,
    )


def _lock_counter() -> StatementCounter:
    """Serialise statement writers for the rest of the transaction (see StatementCounter)."""
    counter = StatementCounter.objects.select_for_update().filter(pk=1).first()
    if counter is None:
        counter, _created = StatementCounter.objects.get_or_create(pk=1)
        counter = StatementCounter.objects.select_for_update().get(pk=1)
    return counter


def _ids_assigned(statements: list[dict[str, Any]], statement_id: uuid.UUID | None) -> list[uuid.UUID]:
    """Give every statement its id (statementId for a PUT, a new UUID when missing); checks the batch."""
    ids: list[uuid.UUID] = []
    for index, statement in enumerate(statements):
        if statement_id is not None:
            if "id" in statement and uuid.UUID(str(statement["id"])) != statement_id:
                raise LrsBadRequest(
                    "The statement id does not match the statementId parameter", field="id", rule="match"
                )
            statement["id"] = str(statement_id)
        statement.setdefault("id", str(uuid.uuid4()))
        ids.append(uuid.UUID(str(statement["id"])))
        if _is_voiding(statement) and _statement_ref(statement) is None:
            raise LrsBadRequest(
                f"[{index}].object: a voiding statement's object must be a StatementRef",
                field="object.objectType",
                rule="StatementRef",
            )
    if len(set(ids)) != len(ids):
        raise LrsBadRequest("The batch holds two statements with the same id", field="id", rule="unique")
    return ids


def statements_store(
    *,
    statements: list[Any],
    version: str,
    client: LrsClient,
    statement_id: uuid.UUID | None = None,
    attachments: Sequence[AttachmentPart] | None = None,
) -> list[str]:
    """Store a batch all or nothing; returns the statement ids in the order given.

    statement_id is the PUT statementId parameter (the statement's own id must match it if present).
    A statement whose id is already stored is left untouched: skipped when equivalent, LrsConflict
    (409) otherwise, and then nothing in the batch is stored.
    attachments are the parts of a multipart/mixed request ([] for application/json): every
    attachment without a fileUrl needs one, every part must belong to an attachment, and signature
    attachments must verify (Communication 1.5.2, Data 2.6). None (callers other than the xAPI
    endpoint, e.g. imports of statements exported without their attachment data) skips these checks.
    """
    if not statements:
        raise LrsBadRequest("No statements given", field="", rule="non-empty")
    incoming = _validated(statements, version)
    parts = {} if attachments is None else _attachments_checked(incoming, attachments, statement_id)
    ids = _ids_assigned(incoming, statement_id)
    return _statements_write(incoming=incoming, ids=ids, version=version, client=client, parts=parts)


def statements_store_generated(
    *, statements: list[dict[str, Any]], version: str, client: LrsClient
) -> list[str]:
    """Store statements this code base generated (the demo company), skipping xAPI validation.

    Validation is most of the CPU cost of a write (~90 µs a statement) and proves nothing for statements
    built by known code; everything else (ids, conflicts, voiding, relations, people, activity definitions,
    learning records) is the path statements_store takes. The dicts are stored as given (not copied).
    """
    if not statements:
        raise LrsBadRequest("No statements given", field="", rule="non-empty")
    ids = _ids_assigned(statements, None)
    return _statements_write(incoming=statements, ids=ids, version=version, client=client, parts={})


# Columns written per statement, in the order _statements_write builds its rows.
_STATEMENT_COLUMNS = (
    "id",
    "seq",
    "exact",
    "stored",
    "timestamp",
    "version",
    "actor_ifi",
    "verb_id",
    "object_activity_id",
    "object_statement_ref",
    "registration",
    "voided",
    "authority_ifi",
    "client_id",
    "person_id",
)
_RELATION_COLUMNS = ("statement_id", "seq", "kind", "value", "relation")


def _statements_write(
    *,
    incoming: list[dict[str, Any]],
    ids: list[uuid.UUID],
    version: str,
    client: LrsClient,
    parts: Mapping[str, AttachmentPart],
) -> list[str]:
    """The write half of statements_store: one transaction, a constant number of queries per batch.

    Statements and relations go in as multi-row INSERTs (COPY on PostgreSQL); people are matched once per
    batch; activity definitions and learning records are merged in bulk (tandem.lrs.ingest).
    """
    with transaction.atomic():
        counter = _lock_counter()
        existing = dict(Statement.objects.filter(pk__in_array=ids).values_list("id", "exact"))
        new: list[tuple[uuid.UUID, dict[str, Any]]] = []
        for statement_uuid, statement in zip(ids, incoming, strict=True):
            stored_exact = existing.get(statement_uuid)
            if stored_exact is None:
                new.append((statement_uuid, statement))
            elif not statement_equivalent(a=stored_exact, b=statement):
                differ = statement_differences(a=stored_exact, b=statement)
                raise LrsConflict(
                    f"Statement {statement_uuid} is already stored with different content"
                    + (f" (differs in {', '.join(differ)})" if differ else "")
                    + ": a statement id names one statement; send a new id for a different statement",
                    field="id",
                    rule="conflict",
                )
        if not new:
            return [str(i) for i in ids]

        # Voiding (Data 2.3.2): a voiding statement may not target another voiding statement.
        voiding_ids = {i for i, s in new if _is_voiding(s)}
        targets = {ref for i, s in new if i in voiding_ids and (ref := _statement_ref(s)) is not None}
        voiding_targets = targets & voiding_ids
        if targets - voiding_targets:
            voiding_targets |= set(
                Statement.objects.filter(pk__in=targets, verb_id=VOIDED_VERB).values_list("id", flat=True)
            )
        if voiding_targets:
            raise LrsBadRequest(
                f"A voiding statement cannot void another voiding statement ({sorted(map(str, voiding_targets))[0]})",
                field="object.id",
                rule="voiding",
            )
        # A statement stored after its voiding statement arrived is voided on arrival.
        voided_new = targets | set(
            Statement.objects.filter(
                verb_id=VOIDED_VERB, object_statement_ref__in_array=[i for i, _s in new]
            ).values_list("object_statement_ref", flat=True)
        )

        now = timezone.now().astimezone(dt.UTC)
        stored = now.replace(microsecond=now.microsecond // 1000 * 1000)  # as precise as `stored` text
        stamp = stored_text(stored)
        authority = copy.deepcopy(client.authority)  # one copy shared by the batch: never modified
        default_version = _default_version(version)
        rows: list[StoredStatement] = []
        relations: list[tuple[uuid.UUID, int, str, str, str]] = []
        # IFIs by actor object: generated batches share one actor dict per learner (kept alive by `new`).
        actors: dict[int, tuple[str, list[str]]] = {}
        seq = counter.last
        for statement_uuid, statement in new:
            seq += 1
            statement["stored"] = stamp
            statement["authority"] = authority
            statement.setdefault("version", default_version)
            statement.setdefault("timestamp", stamp)
            obj = statement.get("object") or {}
            context = statement.get("context") or {}
            actor = statement.get("actor")
            keys = actors.get(id(actor))
            if keys is None:
                keys = actors[id(actor)] = (agent_key(actor) or "", list(_agents(actor)))
            relations.extend(
                (statement_uuid, seq, kind, value, relation)
                for kind, value, relation in sorted(
                    _relations(statement, actor_keys=keys[1], authority_key=client.authority_ifi)
                )
            )
            rows.append(
                StoredStatement(
                    id=statement_uuid,
                    seq=seq,
                    exact=statement,
                    stored=stored,
                    timestamp=timestamp_parse(value=statement["timestamp"], version=version),
                    version=str(statement["version"])[:20],
                    actor_ifi=keys[0],
                    verb_id=str(statement["verb"]["id"])[:2048],
                    object_activity_id=(
                        str(obj["id"])[:2048]
                        if obj.get("objectType", "Activity") == "Activity" and "id" in obj
                        else None
                    ),
                    object_statement_ref=_statement_ref(statement),
                    registration=uuid.UUID(str(context["registration"]))
                    if context.get("registration")
                    else None,
                    voided=statement_uuid in voided_new and statement_uuid not in voiding_ids,
                )
            )
        # mbox actors by work email, account actors through their mapping: one lookup for the batch.
        people = actor_person_ids(actor_ifis={row.actor_ifi for row in rows if row.actor_ifi})
        for row in rows:
            row.person_id = people.get(row.actor_ifi)
        texts = [json.dumps(row.exact) for row in rows]
        for row, text in zip(rows, texts, strict=True):
            # json.dumps writes U+0000 as \u0000, so the walk runs only for a statement that may hold one.
            if "\\u0000" in text and (nul := _nul_path(row.exact)) is not None:
                where = f"[{ids.index(row.id)}]" if len(ids) > 1 else ""
                field = f"{where}.{nul}" if where else nul
                raise LrsBadRequest(
                    f"{field}: contains U+0000", field=field, rule="no U+0000 (NUL) characters"
                )
        bulk_insert_rows(
            model=Statement,
            fields=_STATEMENT_COLUMNS,
            rows=(
                (
                    row.id,
                    row.seq,
                    text,
                    row.stored,
                    row.timestamp,
                    row.version,
                    row.actor_ifi,
                    row.verb_id,
                    row.object_activity_id,
                    row.object_statement_ref,
                    row.registration,
                    row.voided,
                    client.authority_ifi,
                    client.pk,
                    row.person_id,
                )
                for row, text in zip(rows, texts, strict=True)
            ),
            prepared=("exact",),
        )
        bulk_insert_rows(model=StatementRelation, fields=_RELATION_COLUMNS, rows=relations)
        _attachments_save([statement for _i, statement in new], parts)
        statements_after_store(rows=rows, people=people)
        # Targets stored earlier become voided, unless they are voiding statements themselves.
        earlier = targets - {i for i, _s in new}
        if earlier:
            Statement.objects.filter(pk__in=earlier).exclude(verb_id=VOIDED_VERB).update(voided=True)
        StatementCounter.objects.filter(pk=counter.pk).update(last=seq)
    return [str(i) for i in ids]


def learning_records_rebuild(
    *,
    verb_id: str | None = None,
    chunk_size: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Rebuild learning records from their statements: every (actor, activity) pair, or only the pairs with a
    non-voided statement of verb_id. For after a change of the record rules (attended became an attempt verb):
    records are otherwise only merged incrementally and keep what the old rules counted.

    Chunks of pairs, each in its own transaction holding the statement counter lock, so a batch stored
    meanwhile is either in a chunk's reading of the statements or merged after it. progress(done, total)
    after each chunk. Returns the number of records written. Holds the pairs in memory (~100 bytes each).
    """
    pairs = sorted(learning_record_pairs(verb_id=verb_id))
    written = 0
    for start in range(0, len(pairs), chunk_size):
        with transaction.atomic():
            _lock_counter()
            written += learning_records_recompute(pairs=pairs[start : start + chunk_size])
        if progress is not None:
            progress(min(start + chunk_size, len(pairs)), len(pairs))
    return written


def statements_analyze() -> None:
    """Refresh PostgreSQL's planner statistics of the LRS tables, after a bulk load.

    Autovacuum does this on its own schedule, and may be off. Until then a table that grew from thousands
    to millions of rows is planned as if it were small: an agent's page is sorted from all of their
    statements instead of read newest-first from the index (30 ms instead of 10 at 10^6 statements).
    SQLite is left alone: its plans for these queries need no statistics, and ANALYZE could change them.
    """
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in (Statement, StatementRelation, LearningRecord, ActivityDefinition):
            cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")
