"""What every xAPI resource shares: the outer layer of each view, the call it reads, the responses it writes.

`xapi_view` wraps a resource handler with CORS preflight, version negotiation, the 1.0.3 alternate request
syntax, error mapping and HEAD without a body; the statements resource (views.py) and the document resources
(documents.py) both use it, so they negotiate, authenticate and fail the same way.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.datastructures import CaseInsensitiveMapping
from django.views.decorators.csrf import csrf_exempt

from tandem.lrs.auth import LrsThrottled, lrs_client_authenticate
from tandem.lrs.models import LrsClient
from tandem.lrs.records import LrsBadRequest, LrsError

logger = logging.getLogger("tandem.xapi")

SUPPORTED_VERSIONS = ["1.0.3", "2.0.0"]
LATEST_VERSION = "2.0.0"
# Request bodies above this are refused with 413 before they are read (below Django's own 2.5 MB cap).
MAX_BODY_BYTES = 2 * 1024 * 1024
STATEMENT_METHODS = ("GET", "HEAD", "PUT", "POST")
DOCUMENT_METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE")
CONSISTENT_THROUGH = "X-Experience-API-Consistent-Through"
_VERSION = re.compile(r"^(1\.0|2\.0)(\.\d+)?$")
_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": (
        "Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match"
    ),
    "Access-Control-Expose-Headers": (
        "X-Experience-API-Version, X-Experience-API-Consistent-Through, Last-Modified, ETag"
    ),
    "Access-Control-Max-Age": "86400",
}
# Form fields the 1.0.3 alternate request syntax carries instead of HTTP headers (Communication 1.3).
_FORM_HEADERS = {
    "authorization",
    "x-experience-api-version",
    "content-type",
    "content-length",
    "if-match",
    "if-none-match",
}
# Input that got past the checks but that the storage code could not use: the client's fault, not a 500.
_CLIENT_FAULTS = (KeyError, TypeError, ValueError, AttributeError, RecursionError)


class Refused(Exception):
    """A request answered with `status` before (or instead of) the resource's own work."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


@dataclass(frozen=True)
class Call:
    """One xAPI call: the HTTP request as sent, or the call a 1.0.3 alternate-syntax POST describes."""

    method: str
    params: dict[str, str]
    headers: Mapping[str, str]
    path: str
    request: HttpRequest
    content: bytes | None = None  # alternate syntax: the `content` form field
    alternate: bool = False


def too_large() -> Refused:
    return Refused(413, f"The request body is larger than the {MAX_BODY_BYTES} bytes allowed")


def body_length_check(request: HttpRequest) -> None:
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        raise too_large()


def request_body(request: HttpRequest) -> bytes:
    """The request body, at most MAX_BODY_BYTES (413 beyond), sent with a Content-Length or chunked.

    Django reads a body only up to CONTENT_LENGTH, so a `Transfer-Encoding: chunked` request (no length; the
    server has decoded the chunks, and gunicorn marks such a stream `wsgi.input_terminated`) would read as
    empty. Those are read from the WSGI stream directly, one byte past the limit to tell "too large"."""
    chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    if chunked and not request.META.get("CONTENT_LENGTH"):
        stream = request.META.get("wsgi.input")
        if stream is None:
            return b""
        data = stream.read(MAX_BODY_BYTES + 1)
        if len(data) > MAX_BODY_BYTES:
            raise too_large()
        return bytes(data)
    body_length_check(request)
    try:
        return request.body
    except RequestDataTooBig as error:  # no Content-Length and still too large
        raise too_large() from error


def call_parse(request: HttpRequest, *, methods: Collection[str] = STATEMENT_METHODS) -> Call:
    """The call a request makes; `methods` are those the resource answers (and so the alternate syntax may
    name: DELETE only on the document resources)."""
    params = {key: request.GET[key] for key in request.GET}
    if request.method != "POST" or "method" not in params:
        return Call(str(request.method), params, request.headers, request.path, request)
    # Alternate request syntax: POST ?method=X with a form holding headers, content and parameters.
    if set(params) != {"method"}:
        raise Refused(400, "The alternate request syntax allows no query parameter other than method")
    method = params["method"].upper()
    if method not in methods:
        raise Refused(400, f"method={params['method'][:20]} is not an xAPI method for this resource")
    if request.content_type != "application/x-www-form-urlencoded":
        raise Refused(400, "The alternate request syntax needs an application/x-www-form-urlencoded body")
    body_length_check(request)
    try:
        form = {key: request.POST[key] for key in request.POST}
    except RequestDataTooBig as error:
        raise too_large() from error
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
    return Call(
        method,
        rest,
        CaseInsensitiveMapping(headers),
        request.path,
        request,
        content=content.encode("utf-8") if content is not None else b"",
        alternate=True,
    )


def xapi_response(
    status: int, body: Any = None, *, version: str = LATEST_VERSION, headers: dict[str, str] | None = None
) -> HttpResponse:
    content = b"" if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    response = HttpResponse(content, status=status, content_type="application/json; charset=utf-8")
    response["X-Experience-API-Version"] = version
    for name, value in {**_CORS, **(headers or {})}.items():
        response[name] = value
    return response


def xapi_error(
    status: int, message: str, *, version: str, field: str = "", rule: str = "", **headers: str
) -> HttpResponse:
    body: dict[str, Any] = {"error": message}
    if field or rule:
        body.update(field=field, rule=rule)
    return xapi_response(status, body, version=version, headers=headers)


def version_negotiate(call: Call) -> str:
    value = call.headers.get("X-Experience-API-Version", "").strip()
    if not value:
        raise Refused(400, "The X-Experience-API-Version header is required")
    match = _VERSION.match(value)
    if not match:
        raise Refused(400, f"X-Experience-API-Version {value[:20]} is not supported; use 1.0.3 or 2.0.0")
    negotiated = "1.0.3" if match.group(1) == "1.0" else "2.0.0"
    if call.alternate and negotiated != "1.0.3":
        raise Refused(400, "The alternate request syntax is part of xAPI 1.0.x only")
    return negotiated


def call_client(call: Call) -> LrsClient:
    """The credential of the call (HTTP Basic), or 401 with the challenge."""
    try:
        client = lrs_client_authenticate(
            authorization=call.headers.get("Authorization", ""),
            client_address=str(call.request.META.get("REMOTE_ADDR", "")),
        )
    except LrsThrottled as throttled:
        raise Refused(429, str(throttled), {"Retry-After": str(throttled.retry_after)}) from throttled
    if client is None:
        raise Refused(401, "Valid credentials are required", {"WWW-Authenticate": 'Basic realm="xAPI"'})
    return client


def uuid_param(value: str, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as error:
        raise LrsBadRequest(f"{name} is not a UUID", field=name, rule="uuid") from error


def xapi_view(
    handler: Callable[[Call, str], HttpResponse],
    *,
    versioned: bool = True,
    methods: Collection[str] = STATEMENT_METHODS,
    consistent_through: Callable[[], str] | None = None,
) -> Callable[[HttpRequest], HttpResponse]:
    """Common outer layer: CORS preflight, version negotiation, error mapping, HEAD without body.

    The views are csrf_exempt and login_not_required: machines authenticate with HTTP Basic per call, and the
    site's LoginRequiredMiddleware would otherwise send them to the log-in page. With `consistent_through`,
    every response (errors included) carries X-Experience-API-Consistent-Through unless the handler set it.
    """
    allow_methods = ", ".join([*methods, "OPTIONS"])

    @csrf_exempt
    @login_not_required
    def view(request: HttpRequest) -> HttpResponse:
        version = LATEST_VERSION
        method = str(request.method)
        if method == "OPTIONS":
            response = xapi_response(200, version=LATEST_VERSION)
        else:
            try:
                call = call_parse(request, methods=methods)
                method = call.method
                if versioned:
                    version = version_negotiate(call)
                try:
                    response = handler(call, version)
                except _CLIENT_FAULTS as error:
                    logger.warning("xAPI request could not be processed: %r", error, exc_info=True)
                    raise LrsBadRequest(
                        f"The request could not be processed: {type(error).__name__}"
                    ) from error
            except Refused as refused:
                response = xapi_error(refused.status, str(refused), version=version, **refused.headers)
            except LrsError as error:
                response = xapi_error(
                    error.status, str(error), version=version, field=error.field, rule=error.rule
                )
            if consistent_through is not None and CONSISTENT_THROUGH not in response:
                response[CONSISTENT_THROUGH] = consistent_through()
        response["Access-Control-Allow-Methods"] = allow_methods
        if method == "HEAD":
            response.content = b""
        return response

    return view
