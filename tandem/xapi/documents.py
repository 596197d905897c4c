"""xAPI State, Activity Profile, Agent Profile, Activities and Agents resources.

Thin views: parameters and headers in, tandem.lrs.documents does the work. The outer layer (version
negotiation, credentials, CORS, error mapping, HEAD, the alternate request syntax including DELETE) is
tandem.xapi.protocol's, shared with the statements resource.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

from django.http import HttpResponse
from django.utils.http import http_date

from tandem.lrs.documents import (
    MAX_KEY_BYTES,
    DocumentScope,
    activity_get,
    agent_param_parse,
    client_can_read_activities_agents,
    client_document_access,
    document_delete,
    document_etag,
    document_get,
    document_ids,
    document_save,
    documents_delete,
    person_get,
    preconditions_parse,
)
from tandem.lrs.models import Document
from tandem.lrs.records import LrsBadRequest
from tandem.lrs.xapi import XapiValidationError, timestamp_parse
from tandem.xapi.protocol import (
    DOCUMENT_METHODS,
    Call,
    Refused,
    call_client,
    request_body,
    uuid_param,
    xapi_response,
    xapi_view,
)

# An IRI needs a scheme (IEEE 9274.1.1 4.1.6: reject "IRL or IRI values without a scheme").
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_MAX_KEY = 2048  # the Document and ActivityDefinition columns


@dataclass(frozen=True)
class _Resource:
    kind: str
    id_param: str
    activity: bool
    agent: bool
    registration: bool = False


_STATE = _Resource(Document.Kind.STATE, "stateId", activity=True, agent=True, registration=True)
_ACTIVITY_PROFILE = _Resource(Document.Kind.ACTIVITY_PROFILE, "profileId", activity=True, agent=False)
_AGENT_PROFILE = _Resource(Document.Kind.AGENT_PROFILE, "profileId", activity=False, agent=True)


def _check_params(params: dict[str, str], *, allowed: set[str], required: set[str]) -> None:
    for name, value in params.items():
        # PostgreSQL text columns cannot hold NUL; refuse it here instead of failing in the database.
        if "\x00" in name or "\x00" in value:
            raise LrsBadRequest(f"{name[:60]!r} contains a NUL character", field=name[:60], rule="nul")
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise LrsBadRequest(f"Unknown parameter {unknown[0]}", field=unknown[0], rule="unknown")
    missing = sorted(required - set(params))
    if missing:
        raise LrsBadRequest(f"{missing[0]} is required", field=missing[0], rule="required")


def _activity_id(params: dict[str, str]) -> str:
    value = params["activityId"]
    if not _IRI.match(value) or len(value) > _MAX_KEY:
        raise LrsBadRequest("activityId must be an IRI", field="activityId", rule="iri")
    return value


def _text_param(params: dict[str, str], name: str) -> str:
    value = params[name]
    if not value or len(value) > _MAX_KEY:
        raise LrsBadRequest(f"{name} must be 1 to {_MAX_KEY} characters", field=name, rule="length")
    return value


def _since(params: dict[str, str], version: str) -> dt.datetime | None:
    if "since" not in params:
        return None
    try:
        return timestamp_parse(value=params["since"], version=version)
    except (XapiValidationError, ValueError) as error:
        raise LrsBadRequest("since is not a timestamp", field="since", rule="timestamp") from error


def _content(call: Call) -> tuple[bytes, str]:
    """The request body and its Content-Type (the alternate syntax carries both as form fields)."""
    if call.content is not None:
        body = call.content
        content_type = call.headers.get("Content-Type") or "application/octet-stream"
    else:
        body = request_body(call.request)
        content_type = call.request.META.get("CONTENT_TYPE") or "application/octet-stream"
    if "\x00" in content_type:
        raise LrsBadRequest("Content-Type contains a NUL character", field="Content-Type", rule="nul")
    return body, content_type


def _document(call: Call, version: str, resource: _Resource) -> HttpResponse:
    client = call_client(call)
    method = call.method
    if method not in ("GET", "HEAD", "PUT", "POST", "DELETE"):
        raise Refused(405, f"{method} is not allowed here", {"Allow": "GET, HEAD, PUT, POST, DELETE"})
    if not client_document_access(client=client, kind=resource.kind, write=method not in ("GET", "HEAD")):
        need = "state" if resource.kind == Document.Kind.STATE else "profile"
        raise Refused(403, f"This credential may not {method} this resource (needs {need} or all)")
    params = call.params
    single = resource.id_param in params
    allowed = (
        {resource.id_param, "since"} if method in ("GET", "HEAD") and not single else {resource.id_param}
    )
    required = {resource.id_param} if method in ("PUT", "POST") else set()
    if method == "DELETE" and resource.kind != Document.Kind.STATE:
        required = {resource.id_param}  # only State deletes a whole set (Communication 2.3.s5)
    if resource.activity:
        allowed.add("activityId")
        required.add("activityId")
    if resource.agent:
        allowed.add("agent")
        required.add("agent")
    if resource.registration:
        allowed.add("registration")
    _check_params(params, allowed=allowed, required=required)

    agent, ifi = agent_param_parse(value=params["agent"]) if resource.agent else (None, "")
    scope = DocumentScope(
        kind=resource.kind,
        activity_id=_activity_id(params) if resource.activity else "",
        agent_ifi=ifi,
        registration=str(uuid_param(params["registration"], "registration"))
        if "registration" in params
        else "",
    )
    document_id = _text_param(params, resource.id_param) if single else ""
    key_bytes = sum(len(part.encode()) for part in (scope.activity_id, scope.agent_ifi, document_id))
    if key_bytes > MAX_KEY_BYTES:
        # The unique index over the key holds at most ~2.7 kB per entry on PostgreSQL.
        raise LrsBadRequest(
            f"activityId, agent and {resource.id_param} together exceed {MAX_KEY_BYTES} bytes",
            field=resource.id_param,
            rule="length",
        )
    preconditions = preconditions_parse(
        if_match=call.headers.get("If-Match"), if_none_match=call.headers.get("If-None-Match")
    )

    if method in ("GET", "HEAD"):
        if single:
            found = document_get(scope=scope, document_id=document_id)
            response = xapi_response(
                200,
                version=version,
                headers={"ETag": f'"{found.etag}"', "Last-Modified": http_date(found.updated.timestamp())},
            )
            response.content = found.content
            response["Content-Type"] = found.content_type
            return response
        ids, last = document_ids(scope=scope, since=_since(params, version))
        headers = {"ETag": f'"{document_etag(content=json.dumps(ids).encode())}"'}
        if last is not None:
            headers["Last-Modified"] = http_date(last.timestamp())
        return xapi_response(200, ids, version=version, headers=headers)
    if method == "DELETE":
        if single:
            document_delete(
                scope=scope, document_id=document_id, preconditions=preconditions, version=version
            )
        else:
            documents_delete(scope=scope)
        return xapi_response(204, version=version)
    content, content_type = _content(call)
    document_save(
        scope=scope,
        document_id=document_id,
        agent=agent,
        content=content,
        content_type=content_type,
        merge=method == "POST",
        preconditions=preconditions,
        version=version,
    )
    return xapi_response(204, version=version)


def _read_only(call: Call) -> None:
    if call.method not in ("GET", "HEAD"):
        raise Refused(405, f"{call.method} is not allowed here", {"Allow": "GET, HEAD"})
    if not client_can_read_activities_agents(client=call_client(call)):
        raise Refused(403, "This credential may not read activities or agents (needs statements/read or all)")


def _activities(call: Call, version: str) -> HttpResponse:
    _read_only(call)
    _check_params(call.params, allowed={"activityId"}, required={"activityId"})
    activity, updated = activity_get(
        activity_id=_activity_id(call.params), unknown_ok=version.startswith("2.")
    )
    headers = {"Last-Modified": http_date(updated.timestamp())} if updated is not None else {}
    return xapi_response(200, activity, version=version, headers=headers)


def _agents(call: Call, version: str) -> HttpResponse:
    _read_only(call)
    _check_params(call.params, allowed={"agent"}, required={"agent"})
    agent, ifi = agent_param_parse(value=call.params["agent"])
    return xapi_response(200, person_get(agent=agent, ifi=ifi), version=version)


state = xapi_view(lambda call, version: _document(call, version, _STATE), methods=DOCUMENT_METHODS)
activity_profile = xapi_view(
    lambda call, version: _document(call, version, _ACTIVITY_PROFILE), methods=DOCUMENT_METHODS
)
agent_profile = xapi_view(
    lambda call, version: _document(call, version, _AGENT_PROFILE), methods=DOCUMENT_METHODS
)
activities = xapi_view(_activities, methods=("GET", "HEAD"))
agents = xapi_view(_agents, methods=("GET", "HEAD"))
