"""xAPI Statement and About resources (machine API: HTTP Basic against LrsClient, no session, no CSRF).

Views parse the request and shape the response; storing and querying live in tandem.lrs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.utils.http import http_date

from tandem.lrs.auth import (
    ReadAccess,
    client_can_write_statements,
    client_statement_read_access,
)
from tandem.lrs.models import LrsClient
from tandem.lrs.multipart import AttachmentPart, multipart_build, multipart_parse
from tandem.lrs.records import DEFAULT_LIMIT, LrsBadRequest, StatementFilter
from tandem.lrs.selectors import (
    agent_key,
    consistent_through,
    more_token_dumps,
    more_token_loads,
    statement_attachments,
    statement_get,
    statements_query,
    stored_text,
)
from tandem.lrs.services import statements_store
from tandem.lrs.xapi import XapiValidationError, json_parse, timestamp_parse
from tandem.lrs.xapi.downgrade import statement_downgrade, statements_downgrade
from tandem.xapi.protocol import (
    CONSISTENT_THROUGH,
    MAX_BODY_BYTES,
    SUPPORTED_VERSIONS,
    Call,
    Refused,
    call_client,
    request_body,
    uuid_param,
    xapi_response,
    xapi_view,
)

__all__ = ["MAX_BODY_BYTES", "about", "statements"]

_SINGLE_PARAMS = {"statementId", "voidedStatementId", "format", "attachments"}
_QUERY_PARAMS = {
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
}


def _body(call: Call) -> tuple[Any, list[AttachmentPart]]:
    """The statement(s) sent, and the attachment parts when the body is multipart/mixed."""
    if call.alternate:
        content_type = call.headers.get("Content-Type", "application/json").split(";")[0].strip().lower()
        if content_type == "multipart/mixed":
            # Communication 1.3: the form's `content` is a UTF-8 string, it cannot carry binary parts.
            raise Refused(400, "The alternate request syntax cannot carry attachments (multipart/mixed)")
    else:
        content_type = call.request.content_type or "application/json"
    if content_type not in ("application/json", "multipart/mixed"):
        raise Refused(
            400, f"Content-Type {content_type[:60]} is not accepted; send application/json or multipart/mixed"
        )
    raw = call.content if call.content is not None else request_body(call.request)
    parts: list[AttachmentPart] = []
    if content_type == "multipart/mixed":
        raw, parts = multipart_parse(body=raw, content_type=call.headers.get("Content-Type", ""))
    try:
        return json_parse(raw=raw), parts
    except XapiValidationError as error:
        raise LrsBadRequest(f"The request body: {error}", field=error.field, rule=error.rule) from error


def _flag(params: dict[str, str], name: str) -> bool:
    value = params.get(name, "false")
    if value not in ("true", "false"):
        raise LrsBadRequest(f"{name} must be true or false", field=name, rule="boolean")
    return value == "true"


# RFC 9110 12.5.4: a language range is "*" or 1-8 letters then "-" and 1-8 alphanumerics; q is 0 to 1 with
# at most three decimals. Anything else in the header is skipped (it only ranks languages).
_LANGUAGE_RANGE = re.compile(r"^(?:\*|[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)$")
_QUALITY = re.compile(r"^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$")
_MAX_LANGUAGE_RANGES = 32


def _languages(headers: Mapping[str, str]) -> list[str]:
    """Accept-Language ranges, best first; malformed parts are ignored, and only the first 32 are read."""
    header = headers.get("Accept-Language", "")[:2048]
    ranked = []
    for position, part in enumerate(header.split(",")[:_MAX_LANGUAGE_RANGES]):
        tag, _, params = part.strip().partition(";")
        quality = params.strip().removeprefix("q=").removeprefix("Q=").strip() if params else "1"
        if _LANGUAGE_RANGE.match(tag.strip()) and _QUALITY.match(quality) and float(quality) > 0:
            ranked.append((-float(quality), position, tag.strip()))
    return [tag for _q, _position, tag in sorted(ranked)]


def _format(params: dict[str, str]) -> str:
    fmt = params.get("format", "exact")
    if fmt not in ("exact", "ids", "canonical"):
        raise LrsBadRequest("format must be exact, ids or canonical", field="format", rule="enum")
    return fmt


def _filters(params: dict[str, str], *, version: str) -> StatementFilter:
    unknown = set(params) - _QUERY_PARAMS
    if unknown:
        raise LrsBadRequest(
            f"Unknown parameter {sorted(unknown)[0]}", field=sorted(unknown)[0], rule="unknown"
        )
    agent = None
    if "agent" in params:
        try:
            agent = agent_key(json_parse(raw=params["agent"], field="agent"))
        except ValueError:  # XapiValidationError included
            agent = None
        if agent is None:
            raise LrsBadRequest(
                "agent must be an Agent or identified Group (JSON)", field="agent", rule="ifi"
            )
    times = {}
    for name in ("since", "until"):
        if name in params:
            try:
                times[name] = timestamp_parse(value=params[name], version=version)
            except (XapiValidationError, ValueError) as error:
                raise LrsBadRequest(f"{name} is not a timestamp", field=name, rule="timestamp") from error
    limit_text = params.get("limit", str(DEFAULT_LIMIT))
    # ASCII digits only: str.isdigit() also takes "²" and "١٢٣", which int() refuses or misreads.
    if not (limit_text.isascii() and limit_text.isdigit()):
        raise LrsBadRequest("limit must be a non-negative integer", field="limit", rule="integer")
    return StatementFilter(
        agent_ifi=agent,
        verb=params.get("verb"),
        activity=params.get("activity"),
        registration=uuid_param(params["registration"], "registration") if "registration" in params else None,
        related_activities=_flag(params, "related_activities"),
        related_agents=_flag(params, "related_agents"),
        since=times.get("since"),
        until=times.get("until"),
        ascending=_flag(params, "ascending"),
        limit=int(limit_text[:6]) if len(limit_text) <= 6 else 0,
        format=_format(params),
    )


def _statements_response(
    body: Any, statements: list[dict[str, Any]], *, attachments: bool, version: str, headers: dict[str, str]
) -> HttpResponse:
    """JSON, or with attachments=true multipart/mixed: the JSON first, then each attachment's data."""
    if not attachments:
        return xapi_response(200, body, version=version, headers=headers)
    first = json.dumps(body, ensure_ascii=False).encode("utf-8")
    content_type, content = multipart_build(first=first, parts=statement_attachments(statements=statements))
    response = xapi_response(200, version=version, headers=headers)
    response.content = content
    response["Content-Type"] = content_type
    return response


def _downgrades(version: str) -> bool:
    """Strict versioning (docs/xapi-versions.md): a 1.0.x client gets 2.0 statements in 1.0.3 form, because
    a client built on the 1.0.3 schema may reject a version or property that schema does not know. Every
    format, `exact` included: for such a client "as received" means the nearest form it can read."""
    return version.startswith("1.0.") and bool(settings.TANDEM_XAPI_DOWNGRADE_STATEMENTS)


def _statements_get(call: Call, client: LrsClient, version: str) -> HttpResponse:
    access = client_statement_read_access(client=client)
    if access is ReadAccess.NONE:
        raise Refused(403, "This credential may not read statements (needs statements/read)")
    mine = client.authority_ifi if access is ReadAccess.MINE else None
    params = call.params
    nul = sorted(name for name, value in params.items() if "\x00" in name + value)
    if nul:  # PostgreSQL text cannot hold U+0000: no statement could match, and the query would fail
        raise LrsBadRequest(f"{nul[0]!r} contains U+0000", field=nul[0], rule="no U+0000 (NUL) characters")
    languages = _languages(call.headers)
    attachments = _flag(params, "attachments")
    single = {"statementId", "voidedStatementId"} & set(params)
    if single:
        if len(single) == 2:
            raise LrsBadRequest("Give statementId or voidedStatementId, not both", rule="exclusive")
        extra = set(params) - _SINGLE_PARAMS
        if extra:
            raise LrsBadRequest(
                f"{sorted(extra)[0]} cannot be combined with statementId/voidedStatementId",
                field=sorted(extra)[0],
                rule="exclusive",
            )
        name = single.pop()
        statement, stored = statement_get(
            statement_id=uuid_param(params[name], name),
            voided=name == "voidedStatementId",
            authority_ifi=mine,
            fmt=_format(params),
            languages=languages,
        )
        if _downgrades(version):
            statement = statement_downgrade(statement=statement)
        return _statements_response(
            statement,
            [statement],
            attachments=attachments,
            version=version,
            headers={
                CONSISTENT_THROUGH: stored_text(consistent_through()),
                "Last-Modified": http_date(stored.timestamp()),
            },
        )
    if "more" in params:
        if set(params) - {"more", "attachments"}:
            raise LrsBadRequest(
                "more cannot be combined with other parameters", field="more", rule="exclusive"
            )
        filters = more_token_loads(token=params["more"])
    else:
        filters = _filters(params, version=version)
    if mine is not None:  # a token made by a broader credential does not widen this one
        filters = replace(filters, authority_ifi=mine)
    page = statements_query(filters=filters, languages=languages)
    found = statements_downgrade(statements=page.statements) if _downgrades(version) else page.statements
    # The token holds the filters only; attachments=true rides along so every page keeps the format.
    more_params = {"more": more_token_dumps(filters=page.more)} if page.more else {}
    if more_params and attachments:
        more_params["attachments"] = "true"
    more = f"{call.path}?{urlencode(more_params)}" if more_params else ""
    headers = {CONSISTENT_THROUGH: stored_text(page.consistent_through)}
    if page.last_stored is not None:
        headers["Last-Modified"] = http_date(page.last_stored.timestamp())
    return _statements_response(
        {"statements": found, "more": more},
        found,
        attachments=attachments,
        version=version,
        headers=headers,
    )


def _statements_write(call: Call, client: LrsClient, version: str) -> HttpResponse:
    if not client_can_write_statements(client=client):
        raise Refused(403, "This credential may not write statements (needs statements/write)")
    params = call.params
    if call.method == "PUT":
        unknown = set(params) - {"statementId"}
        if unknown or "statementId" not in params:
            raise LrsBadRequest(
                "PUT takes exactly one parameter, statementId", field="statementId", rule="required"
            )
        statement_id = uuid_param(params["statementId"], "statementId")
        body, parts = _body(call)
        if not isinstance(body, dict):
            raise LrsBadRequest("PUT takes a single statement (a JSON object)", rule="object")
        statements_store(
            statements=[body], version=version, client=client, statement_id=statement_id, attachments=parts
        )
        return xapi_response(204, version=version)
    if params:
        raise LrsBadRequest(f"Unknown parameter {sorted(params)[0]}", field=sorted(params)[0], rule="unknown")
    body, parts = _body(call)
    ids = statements_store(
        statements=body if isinstance(body, list) else [body],
        version=version,
        client=client,
        attachments=parts,
    )
    return xapi_response(200, ids, version=version)


def _statements(call: Call, version: str) -> HttpResponse:
    client = call_client(call)
    if call.method in ("GET", "HEAD"):
        return _statements_get(call, client, version)
    if call.method in ("PUT", "POST"):
        return _statements_write(call, client, version)
    raise Refused(405, f"{call.method} is not allowed on /statements", {"Allow": "GET, HEAD, PUT, POST"})


def _about(call: Call, version: str) -> HttpResponse:
    if call.method not in ("GET", "HEAD"):
        raise Refused(405, f"{call.method} is not allowed on /about", {"Allow": "GET, HEAD"})
    return xapi_response(200, {"version": SUPPORTED_VERSIONS, "extensions": {}}, version=version)


def _consistent_through() -> str:
    # Communication 2.1.3.s2.b5: on all responses to Statement Resource requests, errors included. Taken
    # after the handler ran, so a write's own statements are covered.
    return stored_text(consistent_through())


statements = xapi_view(_statements, consistent_through=_consistent_through)
about = xapi_view(_about, versioned=False, methods=("GET", "HEAD"))
