from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.lrs.factories import LrsClientFactory, Xapi

VERSIONS = ["1.0.3", "2.0.0"]


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


@pytest.fixture(autouse=True)
def _auth_failures_forgotten():
    """Failed Basic checks are counted per process (tandem.lrs.auth): each test starts with none."""
    from tandem.lrs.auth import lrs_auth_throttle_clear

    lrs_auth_throttle_clear()
    yield
    lrs_auth_throttle_clear()
