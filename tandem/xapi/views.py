"""xAPI Statement and About resources (machine API: HTTP Basic against LrsClient, no session, no CSRF).

Views parse the request and shape the response; storing and querying live in tandem.lrs.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.datastructures import CaseInsensitiveMapping
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from tandem.lrs.auth import (
    ReadAccess,
    client_can_write_statements,
    client_statement_read_access,
    lrs_client_authenticate,
)
from tandem.lrs.models import LrsClient
from tandem.lrs.multipart import AttachmentPart, multipart_build, multipart_parse
from tandem.lrs.records import DEFAULT_LIMIT, LrsBadRequest, LrsError, StatementFilter
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
from tandem.lrs.xapi import XapiValidationError, timestamp_parse

logger = logging.getLogger(__name__)

SUPPORTED_VERSIONS = ["1.0.3", "2.0.0"]
LATEST_VERSION = "2.0.0"
# Request bodies above this are refused with 413 before they are read (below Django's own 2.5 MB cap).
MAX_BODY_BYTES = 2 * 1024 * 1024
_VERSION = re.compile(r"^(1\.0|2\.0)(\.\d+)?$")
_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, PUT, POST, OPTIONS",
    "Access-Control-Allow-Headers": (
        "Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match"
    ),
    "Access-Control-Expose-Headers": (
        "X-Experience-API-Version, X-Experience-API-Consistent-Through, Last-Modified, ETag"
    ),
    "Access-Control-Max-Age": "86400",
}
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


class _Refused(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


# Form fields the 1.0.3 alternate request syntax carries instead of HTTP headers (Communication 1.3).
_FORM_HEADERS = {
    "authorization",
    "x-experience-api-version",
    "content-type",
    "content-length",
    "if-match",
    "if-none-match",
}


@dataclass(frozen=True)
class _Call:
    """One xAPI call: the HTTP request as sent, or the call a 1.0.3 alternate-syntax POST describes."""

    method: str
    params: dict[str, str]
    headers: Mapping[str, str]
    path: str
    request: HttpRequest
    content: bytes | None = None  # alternate syntax: the `content` form field
    alternate: bool = False


def _call(request: HttpRequest) -> _Call:
    params = {key: request.GET[key] for key in request.GET}
    if request.method != "POST" or "method" not in params:
        return _Call(str(request.method), params, request.headers, request.path, request)
    # Alternate request syntax: POST ?method=X with a form holding headers, content and parameters.
    if set(params) != {"method"}:
        raise _Refused(400, "The alternate request syntax allows no query parameter other than method")
    method = params["method"].upper()
    if method not in ("GET", "HEAD", "PUT", "POST"):
        raise _Refused(400, f"method={params['method'][:20]} is not an xAPI method for this resource")
    if request.content_type != "application/x-www-form-urlencoded":
        raise _Refused(400, "The alternate request syntax needs an application/x-www-form-urlencoded body")
    _check_length(request)
    try:
        form = {key: request.POST[key] for key in request.POST}
    except RequestDataTooBig as error:
        raise _Refused(413, f"The request body is larger than the {MAX_BODY_BYTES} bytes allowed") from error
    # The HTTP Content-Type/Length describe the form; the form's own fields describe the content.
    headers = {
        key: value
        for key, value in request.headers.items()
        if key.lower() not in ("content-type", "content-length")
    }
    headers.update({key: value for key, value in form.items() if key.lower() in _FORM_HEADERS})
    content = form.get("content")
    rest = {
        key: value for key, value in form.items() if key.lower() not in _FORM_HEADERS and key != "content"
    }
    return _Call(
        method,
        rest,
        CaseInsensitiveMapping(headers),
        request.path,
        request,
        content=content.encode("utf-8") if content is not None else b"",
        alternate=True,
    )


def _response(
    status: int, body: Any = None, *, version: str = LATEST_VERSION, headers: dict[str, str] | None = None
) -> HttpResponse:
    content = b"" if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    response = HttpResponse(content, status=status, content_type="application/json; charset=utf-8")
    response["X-Experience-API-Version"] = version
    for name, value in {**_CORS, **(headers or {})}.items():
        response[name] = value
    return response


def _error(
    status: int, message: str, *, version: str, field: str = "", rule: str = "", **headers: str
) -> HttpResponse:
    body: dict[str, Any] = {"error": message}
    if field or rule:
        body.update(field=field, rule=rule)
    return _response(status, body, version=version, headers=headers)


def _negotiate(call: _Call) -> str:
    value = call.headers.get("X-Experience-API-Version", "").strip()
    if not value:
        raise _Refused(400, "The X-Experience-API-Version header is required")
    match = _VERSION.match(value)
    if not match:
        raise _Refused(400, f"X-Experience-API-Version {value[:20]} is not supported; use 1.0.3 or 2.0.0")
    negotiated = "1.0.3" if match.group(1) == "1.0" else "2.0.0"
    if call.alternate and negotiated != "1.0.3":
        raise _Refused(400, "The alternate request syntax is part of xAPI 1.0.x only")
    return negotiated


def _client(call: _Call) -> LrsClient:
    client = lrs_client_authenticate(authorization=call.headers.get("Authorization", ""))
    if client is None:
        raise _Refused(401, "Valid credentials are required", {"WWW-Authenticate": 'Basic realm="xAPI"'})
    return client


def _too_large() -> _Refused:
    return _Refused(413, f"The request body is larger than the {MAX_BODY_BYTES} bytes allowed")


def _check_length(request: HttpRequest) -> None:
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        raise _too_large()


def _body(call: _Call) -> tuple[Any, list[AttachmentPart]]:
    """The statement(s) sent, and the attachment parts when the body is multipart/mixed."""
    if call.alternate:
        content_type = call.headers.get("Content-Type", "application/json").split(";")[0].strip().lower()
        if content_type == "multipart/mixed":
            # Communication 1.3: the form's `content` is a UTF-8 string, it cannot carry binary parts.
            raise _Refused(400, "The alternate request syntax cannot carry attachments (multipart/mixed)")
    else:
        content_type = call.request.content_type or "application/json"
    if content_type not in ("application/json", "multipart/mixed"):
        raise _Refused(
            400, f"Content-Type {content_type[:60]} is not accepted; send application/json or multipart/mixed"
        )
    if call.content is not None:
        raw = call.content
    else:
        _check_length(call.request)
        try:
            raw = call.request.body
        except RequestDataTooBig as error:  # no Content-Length (chunked) and still too large
            raise _too_large() from error
    parts: list[AttachmentPart] = []
    if content_type == "multipart/mixed":
        raw, parts = multipart_parse(body=raw, content_type=call.headers.get("Content-Type", ""))
    try:
        return json.loads(raw.decode("utf-8")), parts
    except (UnicodeDecodeError, ValueError) as error:
        raise _Refused(400, "The request body is not valid UTF-8 JSON") from error


def _flag(params: dict[str, str], name: str) -> bool:
    value = params.get(name, "false")
    if value not in ("true", "false"):
        raise LrsBadRequest(f"{name} must be true or false", field=name, rule="boolean")
    return value == "true"


def _uuid(value: str, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as error:
        raise LrsBadRequest(f"{name} is not a UUID", field=name, rule="uuid") from error


def _languages(headers: Mapping[str, str]) -> list[str]:
    header = headers.get("Accept-Language", "")
    ranked = []
    for part in header.split(","):
        tag, _, quality = part.strip().partition(";q=")
        if tag:
            try:
                ranked.append((float(quality or 1), tag.strip()))
            except ValueError:
                continue
    return [tag for _q, tag in sorted(ranked, key=lambda pair: -pair[0])]


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
            agent = agent_key(json.loads(params["agent"]))
        except ValueError:
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
    if not limit_text.isdigit():
        raise LrsBadRequest("limit must be a non-negative integer", field="limit", rule="integer")
    return StatementFilter(
        agent_ifi=agent,
        verb=params.get("verb"),
        activity=params.get("activity"),
        registration=_uuid(params["registration"], "registration") if "registration" in params else None,
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
        return _response(200, body, version=version, headers=headers)
    first = json.dumps(body, ensure_ascii=False).encode("utf-8")
    content_type, content = multipart_build(first=first, parts=statement_attachments(statements=statements))
    response = _response(200, version=version, headers=headers)
    response.content = content
    response["Content-Type"] = content_type
    return response


def _statements_get(call: _Call, client: LrsClient, version: str) -> HttpResponse:
    access = client_statement_read_access(client=client)
    if access is ReadAccess.NONE:
        raise _Refused(403, "This credential may not read statements (needs statements/read)")
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
            statement_id=_uuid(params[name], name),
            voided=name == "voidedStatementId",
            authority_ifi=mine,
            fmt=_format(params),
            languages=languages,
        )
        return _statements_response(
            statement,
            [statement],
            attachments=attachments,
            version=version,
            headers={
                "X-Experience-API-Consistent-Through": stored_text(consistent_through()),
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
    # The token holds the filters only; attachments=true rides along so every page keeps the format.
    more_params = {"more": more_token_dumps(filters=page.more)} if page.more else {}
    if more_params and attachments:
        more_params["attachments"] = "true"
    more = f"{call.path}?{urlencode(more_params)}" if more_params else ""
    headers = {"X-Experience-API-Consistent-Through": stored_text(page.consistent_through)}
    if page.last_stored is not None:
        headers["Last-Modified"] = http_date(page.last_stored.timestamp())
    return _statements_response(
        {"statements": page.statements, "more": more},
        page.statements,
        attachments=attachments,
        version=version,
        headers=headers,
    )


def _statements_write(call: _Call, client: LrsClient, version: str) -> HttpResponse:
    if not client_can_write_statements(client=client):
        raise _Refused(403, "This credential may not write statements (needs statements/write)")
    params = call.params
    through = {"X-Experience-API-Consistent-Through": stored_text(consistent_through())}
    if call.method == "PUT":
        unknown = set(params) - {"statementId"}
        if unknown or "statementId" not in params:
            raise LrsBadRequest(
                "PUT takes exactly one parameter, statementId", field="statementId", rule="required"
            )
        statement_id = _uuid(params["statementId"], "statementId")
        body, parts = _body(call)
        if not isinstance(body, dict):
            raise LrsBadRequest("PUT takes a single statement (a JSON object)", rule="object")
        statements_store(
            statements=[body], version=version, client=client, statement_id=statement_id, attachments=parts
        )
        return _response(204, version=version, headers=through)
    if params:
        raise LrsBadRequest(f"Unknown parameter {sorted(params)[0]}", field=sorted(params)[0], rule="unknown")
    body, parts = _body(call)
    ids = statements_store(
        statements=body if isinstance(body, list) else [body],
        version=version,
        client=client,
        attachments=parts,
    )
    return _response(200, ids, version=version, headers=through)


def _xapi_view(
    handler: Callable[[_Call, str], HttpResponse], *, versioned: bool = True
) -> Callable[[HttpRequest], HttpResponse]:
    """Common outer layer: CORS preflight, version negotiation, error mapping, HEAD without body."""

    @csrf_exempt
    @login_not_required
    def view(request: HttpRequest) -> HttpResponse:
        if request.method == "OPTIONS":
            return _response(200, version=LATEST_VERSION)
        version = LATEST_VERSION
        method = str(request.method)
        try:
            call = _call(request)
            method = call.method
            if versioned:
                version = _negotiate(call)
            response = handler(call, version)
        except _Refused as refused:
            response = _error(refused.status, str(refused), version=version, **refused.headers)
        except LrsError as error:
            response = _error(error.status, str(error), version=version, field=error.field, rule=error.rule)
        if method == "HEAD":
            response.content = b""
        return response

    return view


def _statements(call: _Call, version: str) -> HttpResponse:
    client = _client(call)
    try:
        if call.method in ("GET", "HEAD"):
            return _statements_get(call, client, version)
        if call.method in ("PUT", "POST"):
            return _statements_write(call, client, version)
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as error:
        # Input the validator let through but the storage code could not use: the client's fault.
        logger.warning("xAPI request could not be processed: %r", error, exc_info=True)
        raise LrsBadRequest(f"The request could not be processed: {type(error).__name__}") from error
    raise _Refused(405, f"{call.method} is not allowed on /statements", {"Allow": "GET, HEAD, PUT, POST"})


def _about(call: _Call, version: str) -> HttpResponse:
    if call.method not in ("GET", "HEAD"):
        raise _Refused(405, f"{call.method} is not allowed on /about", {"Allow": "GET, HEAD"})
    return _response(200, {"version": SUPPORTED_VERSIONS, "extensions": {}}, version=version)


statements = _xapi_view(_statements)
about = _xapi_view(_about, versioned=False)
