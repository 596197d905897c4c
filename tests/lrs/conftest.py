from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from tests.lrs.factories import LrsClientFactory, basic_auth

VERSIONS = ["1.0.3", "2.0.0"]


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


@pytest.fixture(params=VERSIONS)
def version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def lrs_client(db: Any):
    return LrsClientFactory(scopes=["statements/write", "statements/read"])


@pytest.fixture
def xapi(client: Client, lrs_client: Any, version: str) -> Xapi:
    return Xapi(client, lrs_client.key, version)


@pytest.fixture
def xapi_for(client: Client, version: str) -> Callable[..., Xapi]:
    def _make(*, scopes: list[str]) -> Xapi:
        return Xapi(client, LrsClientFactory(scopes=scopes).key, version)

    return _make
