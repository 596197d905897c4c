"""State, Activity Profile and Agent Profile documents (xAPI 1.0.3 Communication 2.2-2.7, 3.1;
IEEE 9274.1.1 / xAPI 2.0 4.1.4 and 4.1.6.2-4.1.6.6), and the Agents/Activities read resources.

Concurrency is optimistic (ETags), made safe under concurrent writers by locking the document row for the
length of the check-then-write: two writers holding the same ETag cannot both pass If-Match.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.fields.json import KT
from django.utils import timezone

from tandem.lrs.matching import actor_person_ids
from tandem.lrs.models import ActivityDefinition, Document, LrsClient, LrsScope, Statement
from tandem.lrs.records import LrsBadRequest, LrsConflict, LrsError, LrsNotFound
from tandem.lrs.xapi import XapiValidationError, account_ifi_parts, agent_ifi, json_parse, mbox_normalise
from tandem.org.models import Person

# A document key's text parts together (UTF-8): PostgreSQL B-tree entries hold about 2.7 kB.
MAX_KEY_BYTES = 2400
# How many distinct names /agents lists for one agent (names come from statements, newest first).
MAX_PERSON_NAMES = 20
# How many identities /agents lists for one person besides the requested one (newest statements first).
MAX_PERSON_IDENTITIES = 50
# Statement.actor_ifi's length: a stored IFI this long may have been cut, so it is not listed as an identity.
MAX_IFI_CHARS = 512


class LrsPreconditionFailed(LrsError):
    status = 412


@dataclass(frozen=True)
class DocumentScope:
    """Where documents live: the kind plus the parts of the key that apply to it ("" otherwise)."""

    kind: str
    activity_id: str = ""
    agent_ifi: str = ""
    registration: str = ""


@dataclass(frozen=True)
class Preconditions:
    """If-Match / If-None-Match as sent: None when the header is absent, else the listed ETags (or "*")."""

    if_match: tuple[str, ...] | None = None
    if_none_match: tuple[str, ...] | None = None

    @property
    def absent(self) -> bool:
        return self.if_match is None and self.if_none_match is None


@dataclass(frozen=True)
class StoredDocument:
    content: bytes
    content_type: str
    etag: str
    updated: dt.datetime


def _is_json(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() == "application/json"


def document_etag(*, content: bytes) -> str:
    """Communication 3.1.s4.b2: the lowercase hex SHA-1 of the contents (unquoted here)."""
    return hashlib.sha1(content, usedforsecurity=False).hexdigest()


def preconditions_parse(*, if_match: str | None, if_none_match: str | None) -> Preconditions:
    """Header values to ETag lists. Quotes are optional (some clients send them bare); weak tags never
    match If-Match (RFC 7232 strong comparison), so they are kept with their W/ prefix."""

    def tags(value: str | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        found = []
        for part in value.split(","):
            tag = part.strip()
            if tag.startswith('"') and tag.endswith('"') and len(tag) >= 2:
                tag = tag[1:-1]
            if tag:
                found.append(tag)
        return tuple(found)

    return Preconditions(if_match=tags(if_match), if_none_match=tags(if_none_match))


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def agent_param_parse(*, value: str, field: str = "agent") -> tuple[dict[str, Any], str]:
    """The `agent` parameter: an Agent (not a Group) with exactly one valid IFI, and its IFI key."""
    try:
        agent = json_parse(raw=value, field=field)
    except XapiValidationError as error:
        raise LrsBadRequest(f"{error.field}: {error.rule}", field=error.field, rule=error.rule) from error
    if not isinstance(agent, dict):
        raise LrsBadRequest(f"{field} must be an Agent object", field=field, rule="object")
    if agent.get("objectType", "Agent") != "Agent":
        # Communication 2.6.s3 note: the agent parameter is an Agent Object and not a Group.
        raise LrsBadRequest(
            f"{field} must be an Agent, not a Group", field=f"{field}.objectType", rule="Agent"
        )
    if _has_nul(agent):  # jsonb cannot store U+0000
        raise LrsBadRequest(f"{field} contains a NUL character", field=field, rule="nul")
    if "name" in agent and not isinstance(agent["name"], str):
        raise LrsBadRequest(f"{field}.name must be a string", field=f"{field}.name", rule="string")
    try:
        kind, ifi = agent_ifi(agent=agent)
    except XapiValidationError as error:
        raise LrsBadRequest(f"{error.field}: {error.rule}", field=error.field, rule=error.rule) from error
    return agent, f"{kind}:{ifi}"[:512]


def client_document_access(*, client: LrsClient, kind: str, write: bool) -> bool:
    """Scopes (Communication 4.2): state for State, profile for both profiles, all; all/read reads only."""
    scopes = set(client.scopes)
    own = LrsScope.STATE if kind == Document.Kind.STATE else LrsScope.PROFILE
    if {own, LrsScope.ALL} & scopes:
        return True
    return not write and LrsScope.ALL_READ in scopes


def client_can_read_activities_agents(*, client: LrsClient) -> bool:
    """/activities and /agents show what statements already show, so statement readers may use them."""
    return bool({LrsScope.ALL, LrsScope.ALL_READ, LrsScope.STATEMENTS_READ} & set(client.scopes))


def _filter(scope: DocumentScope) -> dict[str, str]:
    return {
        "kind": scope.kind,
        "activity_id": scope.activity_id,
        "agent_ifi": scope.agent_ifi,
        "registration": scope.registration,
    }


def document_get(*, scope: DocumentScope, document_id: str) -> StoredDocument:
    row = (
        Document.objects.filter(**_filter(scope), document_id=document_id)
        .values_list("content", "content_type", "etag", "updated")
        .first()
    )
    if row is None:
        raise LrsNotFound(f"No document {document_id[:200]}", field="id", rule="exists")
    return StoredDocument(content=bytes(row[0]), content_type=row[1], etag=row[2], updated=row[3])


def document_ids(*, scope: DocumentScope, since: dt.datetime | None) -> tuple[list[str], dt.datetime | None]:
    """The ids stored or updated after `since` (exclusive), and the newest `updated` among them."""
    documents = Document.objects.filter(**_filter(scope))
    if since is not None:
        documents = documents.filter(updated__gt=since)
    rows = list(documents.order_by("document_id").values_list("document_id", "updated"))
    return [document_id for document_id, _updated in rows], max((u for _d, u in rows), default=None)


def _check(current: Document | None, pre: Preconditions, *, method: str, version: str, kind: str) -> None:
    """Communication 3.1 (1.0.3) / 4.1.4 (2.0). The 409 rule for a PUT without either header:
    1.0.3 3.1.s3 exempts the State Resource ("the requirements below only apply to Agent Profile Resource
    and Activity Profile Resource"); 2.0 4.1.4 has no such exemption and lists State with the profiles."""
    etag = current.etag if current is not None else None
    if pre.if_match is not None and (etag is None or ("*" not in pre.if_match and etag not in pre.if_match)):
        raise LrsPreconditionFailed(
            "If-Match does not match the document's current ETag", field="If-Match", rule="precondition"
        )
    if (
        pre.if_none_match is not None
        and etag is not None
        and ("*" in pre.if_none_match or etag in pre.if_none_match)
    ):
        raise LrsPreconditionFailed(
            "If-None-Match: the document already exists", field="If-None-Match", rule="precondition"
        )
    exempt = kind == Document.Kind.STATE and not version.startswith("2.")
    if method == "PUT" and etag is not None and pre.absent and not exempt:
        raise LrsConflict(
            "The document already exists: check its current state (GET) and send If-Match with its ETag "
            "to replace it",
            field="If-Match",
            rule="required",
        )


def _merged(current: Document, content: bytes) -> bytes:
    """Communication 2.2.s7: the posted object's top-level properties replace the stored ones."""
    if not _is_json(current.content_type):
        raise LrsBadRequest(
            "The stored document is not application/json, so a POST cannot merge into it",
            field="Content-Type",
            rule="json-merge",
        )
    try:
        stored = json.loads(bytes(current.content).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise LrsBadRequest("The stored document is not a JSON object", rule="json-merge") from error
    if not isinstance(stored, dict):
        raise LrsBadRequest("The stored document is not a JSON object", rule="json-merge")
    stored.update(_json_document(content))
    return json.dumps(stored, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _json_document(content: bytes) -> Any:
    """An application/json document's value. It must be JSON every later read and merge can handle: strict
    UTF-8 JSON, finite numbers, no lone surrogates, at most MAX_JSON_DEPTH levels (tandem.lrs.xapi.jsontext)."""
    try:
        return json_parse(raw=content, field="document")
    except XapiValidationError as error:
        raise LrsBadRequest(
            f"The application/json document {error.rule.removeprefix('the key ')}"
            + (f" (at {error.field})" if error.field not in ("", "document") else "")
            + "; send valid JSON, or another Content-Type to store it as it is",
            field=error.field or "document",
            rule=error.rule,
        ) from error


def _posted_object(content: bytes, content_type: str) -> None:
    if not _is_json(content_type):
        raise LrsBadRequest(
            "POST merges JSON documents: send application/json (or PUT to replace the document)",
            field="Content-Type",
            rule="json-merge",
        )
    if not isinstance(_json_document(content), dict):
        raise LrsBadRequest("The posted document must be a JSON object", rule="json-object")


def document_save(
    *,
    scope: DocumentScope,
    document_id: str,
    agent: dict[str, Any] | None,
    content: bytes,
    content_type: str,
    merge: bool,
    preconditions: Preconditions,
    version: str,
) -> StoredDocument:
    """PUT (merge=False: replace) or POST (merge=True: JSON top-level merge, else create as sent).

    An application/json document is checked as JSON either way (a later POST merges into it, and GET
    serves it as JSON); any other type is stored as the bytes sent."""
    if merge and (_is_json(content_type)):
        _posted_object(content, content_type)
    elif _is_json(content_type):
        _json_document(content)
    for attempt in range(2):
        try:
            with transaction.atomic():
                current = (
                    Document.objects.select_for_update()
                    .filter(**_filter(scope), document_id=document_id)
                    .first()
                )
                _check(
                    current,
                    preconditions,
                    method="POST" if merge else "PUT",
                    version=version,
                    kind=scope.kind,
                )
                if current is not None and merge:
                    if not _is_json(content_type):
                        _posted_object(content, content_type)  # raises: cannot merge non-JSON
                    content = _merged(current, content)
                    content_type = "application/json"
                now = timezone.now()
                if current is None:
                    current = Document(**_filter(scope), document_id=document_id, agent=agent)
                current.content = content
                current.content_type = content_type[:255]
                current.etag = document_etag(content=content)
                current.updated = now
                current.save()
                return StoredDocument(content, current.content_type, current.etag, now)
        except IntegrityError:
            # Another writer created the same document between our read and insert: read it again,
            # so the preconditions are judged against what is stored now.
            if attempt:
                raise LrsConflict("The document was created concurrently; retry", rule="concurrent") from None
    raise AssertionError("unreachable")


def document_delete(
    *, scope: DocumentScope, document_id: str, preconditions: Preconditions, version: str
) -> None:
    with transaction.atomic():
        current = (
            Document.objects.select_for_update().filter(**_filter(scope), document_id=document_id).first()
        )
        _check(current, preconditions, method="DELETE", version=version, kind=scope.kind)
        if current is not None:
            current.delete()


def documents_delete(*, scope: DocumentScope) -> int:
    """State DELETE without stateId: all state for the activity and agent (and registration if given)."""
    filters = {key: value for key, value in _filter(scope).items() if key != "registration" or value}
    deleted, _by_model = Document.objects.filter(**filters).delete()
    return deleted


def activity_get(*, activity_id: str, unknown_ok: bool = False) -> tuple[dict[str, Any], dt.datetime | None]:
    """The canonical Activity object (Communication 2.5), merged from every statement that named it.

    An activity no statement named is 404, or with ``unknown_ok`` (xAPI 2.0, 4.1.6.4: the resource
    returns an Activity Object for any IRI) the Activity with only its id, and no time."""
    row = (
        ActivityDefinition.objects.filter(activity_id=activity_id)
        .values_list("definition", "updated")
        .first()
    )
    if row is None:
        if unknown_ok:
            return {"id": activity_id}, None
        raise LrsNotFound("No statement has named this activity", field="activityId", rule="exists")
    activity: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    if row[0]:
        activity["definition"] = row[0]
    return activity, row[1]


def _ifi_property(ifi: str) -> tuple[str, Any] | None:
    """A stored actor IFI ("mbox:mailto:…", "account:<homePage>|<name>") as its Person property and value."""
    if len(ifi) >= MAX_IFI_CHARS:  # cut to the column's length when stored: not the identity that was sent
        return None
    kind, _, value = ifi.partition(":")
    if kind == "account":
        if "|" not in value:
            return None
        home_page, name = account_ifi_parts(value=value)
        return kind, {"homePage": home_page, "name": name}
    if kind in ("mbox", "mbox_sha1sum", "openid") and value:
        return kind, value
    return None


def _linked_person_id(ifi: str) -> int | None:
    """The person an IFI refers to: the link stored with its newest linked statement, else the matching rules.

    The stored link comes first because learning records and the learning pages already use it (it survives a
    later change of work email); the rules cover an identity whose statements arrived before its person
    existed, or that has none yet.
    """
    linked = (
        Statement.objects.filter(actor_ifi=ifi, person__isnull=False)
        .order_by("-seq")
        .values_list("person_id", flat=True)
        .first()
    )
    if linked is not None:
        return linked
    return actor_person_ids(actor_ifis=[ifi]).get(ifi)


def _person_identities(person_id: int, *, requested: str) -> list[str]:
    """The other IFIs the LRS has linked to the person (newest first), then the mbox of their work email."""
    ifis = list(
        Statement.objects.filter(person_id=person_id)
        .exclude(actor_ifi="")
        .values("actor_ifi")
        .annotate(last=Max("seq"))
        .order_by("-last")
        .values_list("actor_ifi", flat=True)[:MAX_PERSON_IDENTITIES]
    )
    email = (Person.objects.filter(pk=person_id).values_list("work_email", flat=True).first() or "").strip()
    if "@" in email:
        work = f"mbox:{mbox_normalise(mbox=f'mailto:{email}')}"
        # Matching compares work emails without case, so a statement mbox differing only in case is this one.
        if not any(known.lower() == work.lower() for known in [requested, *ifis]):
            ifis.append(work)
    return [known for known in ifis if known != requested]


def person_get(*, agent: dict[str, Any], ifi: str) -> dict[str, Any]:
    """The Person object for an agent (Communication 2.4): every identity the LRS knows is the same person,
    and the names seen for them.

    When the IFI refers to a person (see _linked_person_id), the Person lists each IFI of the statements
    linked to that person and the mbox of their work email, the requested identity first; otherwise only the
    requested identity. 2.4.s3.b3: an agent the LRS knows nothing about still gets a Person with what the
    request gave. At most six queries, however many identities or statements the person has.
    """
    ifis = [ifi]
    person_id = _linked_person_id(ifi)
    if person_id is not None:
        ifis.extend(_person_identities(person_id, requested=ifi))
    names: list[str] = []
    if isinstance(agent.get("name"), str):
        names.append(agent["name"])
    seen = (
        Statement.objects.filter(actor_ifi__in=ifis)
        .annotate(actor_name=KT("exact__actor__name"))
        .exclude(actor_name=None)
        .values("actor_name")
        .annotate(last=Max("seq"))
        .order_by("-last")
        .values_list("actor_name", flat=True)[:MAX_PERSON_NAMES]
    )
    names.extend(name for name in seen if name not in names)
    person: dict[str, Any] = {"objectType": "Person"}
    if names:
        person["name"] = names
    # The requested identity as the request gave it (the stored forms are normalised), then the others.
    kind = ifi.split(":", 1)[0]
    if kind == "account":
        person["account"] = [{"homePage": agent["account"]["homePage"], "name": agent["account"]["name"]}]
    else:
        person[kind] = [agent[kind]]
    for other in ifis[1:]:
        found = _ifi_property(other)
        if found is not None:
            person.setdefault(found[0], []).append(found[1])
    return person
