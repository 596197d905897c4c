"""The gunicorn worker `tandem serve` runs: gunicorn's threaded worker, with JSON answers for the request-line
and header limits.

xAPI clients put an Agent (JSON) and long IRIs in the query string, so a document or statement GET can need a
request line well over gunicorn's default 4 KiB; serve_commands raises it to gunicorn's maximum (8190 bytes).
Beyond that gunicorn answers by itself, before Django sees the request, with a small HTML page an xAPI client
cannot read; this worker sends the xAPI error JSON instead (the same body tandem.xapi.protocol writes).
"""

from __future__ import annotations

import json
from typing import Any

from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from gunicorn.workers.gthread import ThreadWorker

# gunicorn's own ceiling for --limit-request-line (0 would mean "unlimited", i.e. up to 1 MiB held per request).
REQUEST_LINE_LIMIT = 8190


def limit_error_response(*, status: int, reason: str, message: str) -> bytes:
    """A complete HTTP/1.1 response carrying the xAPI error body; the connection is closed after it."""
    body = json.dumps({"error": message, "field": "request", "rule": reason}).encode("utf-8")
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "X-Experience-API-Version: 2.0.0\r\n"
        "Access-Control-Allow-Origin: *\r\n"
        "\r\n"
    )
    return head.encode("ascii") + body


class XapiThreadWorker(ThreadWorker):
    """ThreadWorker whose 414 and 431 answers are xAPI JSON errors; every other error is gunicorn's."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        if isinstance(exc, LimitRequestLine):
            response = limit_error_response(
                status=414,
                reason="URI Too Long",
                message=f"The request line is longer than the {REQUEST_LINE_LIMIT} bytes allowed: "
                "shorten the query (agent, activityId, stateId) or send the request with the alternate "
                "syntax (POST with a form body)",
            )
        elif isinstance(exc, LimitRequestHeaders):
            response = limit_error_response(
                status=431,
                reason="Request Header Fields Too Large",
                message=f"The request headers are too large ({exc}): send fewer or shorter headers",
            )
        else:
            super().handle_error(req, client, addr, exc)
            return
        self.log.warning("Request refused: %s", exc)
        try:
            client.sendall(response)
        except OSError:
            self.log.debug("Failed to send the error response.")
