"""HTTP Basic credentials of LRS clients and what their scopes allow."""

from __future__ import annotations

import base64
import binascii
from enum import Enum

from django.contrib.auth.hashers import check_password, make_password

from tandem.lrs.models import LrsClient, LrsScope


class ReadAccess(Enum):
    NONE = "none"
    MINE = "mine"  # statements/read/mine: only statements this credential's authority wrote
    ALL = "all"


def lrs_client_authenticate(*, authorization: str) -> LrsClient | None:
    """The active client named by an `Authorization: Basic ...` header value, or None."""
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    key, separator, secret = decoded.partition(":")
    # PostgreSQL text cannot hold NUL: such a key cannot exist, and the lookup itself would fail.
    if not separator or not key or len(key) > 64 or "\x00" in key:
        return None
    client = LrsClient.objects.filter(key=key, active=True).first()
    if client is None:
        make_password(secret)  # spend the same time as a real check: keys cannot be probed by timing
        return None
    return client if check_password(secret, client.secret_hash) else None


def client_can_write_statements(*, client: LrsClient) -> bool:
    return bool({LrsScope.STATEMENTS_WRITE, LrsScope.ALL} & set(client.scopes))


def client_statement_read_access(*, client: LrsClient) -> ReadAccess:
    scopes = set(client.scopes)
    if {LrsScope.STATEMENTS_READ, LrsScope.ALL_READ, LrsScope.ALL} & scopes:
        return ReadAccess.ALL
    if LrsScope.STATEMENTS_READ_MINE in scopes:
        return ReadAccess.MINE
    return ReadAccess.NONE
