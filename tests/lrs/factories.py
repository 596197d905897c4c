"""LRS test data: credentials (with a known secret) and valid statements."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import uuid
from email import policy
from email.message import Message
from email.parser import BytesParser
from typing import Any
from urllib.parse import urlencode

import factory
from django.contrib.auth.hashers import make_password
from django.test import Client

from tandem.lrs.models import LrsClient
from tandem.lrs.services import AUTHORITY_HOME_PAGE

SECRET = "s3cret-for-tests"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
ATTEMPTED = "http://adlnet.gov/expapi/verbs/attempted"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
COURSE = "http://example.com/activities/course-1"


class LrsClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LrsClient

    name = factory.Sequence(lambda n: f"Client {n}")
    key = factory.Sequence(lambda n: f"key{n:04d}")
    secret_hash = factory.LazyFunction(lambda: make_password(SECRET))
    scopes = factory.LazyFunction(lambda: ["statements/write", "statements/read"])
    authority = factory.LazyAttribute(
        lambda c: {
            "objectType": "Agent",
            "name": c.name,
            "account": {"homePage": AUTHORITY_HOME_PAGE, "name": c.key},
        }
    )
    authority_ifi = factory.LazyAttribute(lambda c: f"account:{AUTHORITY_HOME_PAGE}|{c.key}")


def basic_auth(key: str, secret: str = SECRET) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def agent(email: str = "ann@example.com", name: str = "Ann") -> dict[str, Any]:
    return {"objectType": "Agent", "mbox": f"mailto:{email}", "name": name}


def statement(
    *,
    actor: dict[str, Any] | None = None,
    verb: str = COMPLETED,
    activity: str = COURSE,
    obj: dict[str, Any] | None = None,
    with_id: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """A valid statement under both 1.0.3 and 2.0.0."""
    data: dict[str, Any] = {
        "actor": copy.deepcopy(actor) if actor else agent(),
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[-1]}},
        "object": obj or {"objectType": "Activity", "id": activity},
        **extra,
    }
    if with_id:
        data = {"id": str(uuid.uuid4()), **data}
    return data


def voiding(target_id: str, **extra: Any) -> dict[str, Any]:
    return statement(verb=VOIDED, obj={"objectType": "StatementRef", "id": target_id}, **extra)


class Xapi:
    """The Django test client speaking xAPI with one credential and one version."""

    def __init__(self, http: Client, key: str, version: str) -> None:
        self.http = http
        self.key = key
        self.version = version

    def headers(self, **extra: Any) -> dict[str, Any]:
        found: dict[str, Any] = {"HTTP_AUTHORIZATION": basic_auth(self.key)}
        if self.version:
            found["HTTP_X_EXPERIENCE_API_VERSION"] = self.version
        found.update(extra)
        return {key: value for key, value in found.items() if value is not None}

    def post(
        self, body: Any, *, raw: bytes | None = None, content_type: str = "application/json", **extra: Any
    ):
        data = raw if raw is not None else json.dumps(body)
        return self.http.post(
            "/xapi/statements", data=data, content_type=content_type, **self.headers(**extra)
        )

    def put(self, body: Any, statement_id: str | None, **extra: Any):
        query = f"?{urlencode({'statementId': statement_id})}" if statement_id else ""
        return self.http.put(
            f"/xapi/statements{query}",
            data=json.dumps(body),
            content_type="application/json",
            **self.headers(**extra),
        )

    def get(self, params: dict[str, Any] | None = None, **extra: Any):
        return self.http.get("/xapi/statements", data=params or {}, **self.headers(**extra))

    def head(self, params: dict[str, Any] | None = None, **extra: Any):
        return self.http.head("/xapi/statements", data=params or {}, **self.headers(**extra))

    def more(self, url: str, **extra: Any):
        return self.http.get(url, **self.headers(**extra))


# --- multipart/mixed statement requests (Communication 1.5.2) -------------------------------------

USAGE = "http://example.com/attachment-usage/test"
TEXT = b"here is a simple attachment"
BOUNDARY = "abcABC0123'()+_,-./:=?"  # the spec's example boundary (Communication 1.5.2.s6)


def attachment(content: bytes, *, content_type: str = "text/plain", **extra: Any) -> dict[str, Any]:
    return {
        "usageType": USAGE,
        "display": {"en-US": "A test attachment"},
        "contentType": content_type,
        "length": len(content),
        "sha2": hashlib.sha256(content).hexdigest(),
        **extra,
    }


def with_attachments(*contents: bytes, **extra: Any) -> dict[str, Any]:
    return statement(attachments=[attachment(content) for content in contents], **extra)


def part(content: bytes, *, sha2: str | None = None, headers: dict[str, str] | None = None) -> tuple:
    found = {
        "Content-Type": "text/plain",
        "Content-Transfer-Encoding": "binary",
        "X-Experience-API-Hash": sha2 or hashlib.sha256(content).hexdigest(),
    }
    found.update(headers or {})
    return {key: value for key, value in found.items() if value is not None}, content


def multipart(body: Any, *parts: tuple, boundary: str = BOUNDARY) -> tuple[bytes, str]:
    """(body, Content-Type) of a statement request written by hand as in Communication 1.5.2.s6."""
    delimiter = f"--{boundary}".encode()
    chunks = [delimiter, b"\r\nContent-Type:application/json\r\n\r\n", json.dumps(body).encode()]
    for headers, content in parts:
        lines = "".join(f"{name}:{value}\r\n" for name, value in headers.items())
        chunks += [b"\r\n", delimiter, b"\r\n", lines.encode(), b"\r\n", content]
    chunks += [b"\r\n", delimiter, b"--"]
    return b"".join(chunks), f'multipart/mixed; boundary="{boundary}"'


def post_multipart(xapi: Xapi, body: Any, *parts: tuple):
    raw, content_type = multipart(body, *parts)
    return xapi.post(None, raw=raw, content_type=content_type)


def parse_response(response) -> list[Message]:
    """The parts of a multipart/mixed response, read with the standard library."""
    head = f"Content-Type: {response['Content-Type']}\r\n\r\n".encode()
    message = BytesParser(policy=policy.compat32).parsebytes(head + response.content)
    assert message.is_multipart() and not message.defects
    return list(message.get_payload())
