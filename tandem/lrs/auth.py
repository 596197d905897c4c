"""HTTP Basic credentials of LRS clients and what their scopes allow."""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time
from enum import Enum

from django.contrib.auth.hashers import check_password, make_password

from tandem.lrs.models import LrsClient, LrsScope

# Argon2 costs 100+ ms and 100 MiB per check by design: right for people's passwords, ruinous for an LMS that
# sends a request per batch. A secret that verified recently is remembered for a short time, by a digest of
# (key, secret, stored hash) — never the secret itself — so a rotation (new hash) or revocation (inactive)
# takes effect at once, and a wrong secret is always checked in full.
VERIFIED_TTL_SECONDS = 300
_VERIFIED_MAX = 1024
_verified: dict[str, float] = {}
_verified_lock = threading.Lock()


def _verified_digest(key: str, secret: str, secret_hash: str) -> str:
    return hashlib.sha256(f"{key}\x00{secret}\x00{secret_hash}".encode()).hexdigest()


def _recently_verified(digest: str) -> bool:
    with _verified_lock:
        expires = _verified.get(digest)
        if expires is None:
            return False
        if expires < time.monotonic():
            del _verified[digest]
            return False
        return True


def _remember_verified(digest: str) -> None:
    with _verified_lock:
        if len(_verified) >= _VERIFIED_MAX:
            _verified.clear()  # bounded; a cleared entry only costs one full check
        _verified[digest] = time.monotonic() + VERIFIED_TTL_SECONDS


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
    digest = _verified_digest(key, secret, client.secret_hash)
    if _recently_verified(digest):
        return client
    if not check_password(secret, client.secret_hash):
        return None
    _remember_verified(digest)
    return client


def client_can_write_statements(*, client: LrsClient) -> bool:
    return bool({LrsScope.STATEMENTS_WRITE, LrsScope.ALL} & set(client.scopes))


def client_statement_read_access(*, client: LrsClient) -> ReadAccess:
    scopes = set(client.scopes)
    if {LrsScope.STATEMENTS_READ, LrsScope.ALL_READ, LrsScope.ALL} & scopes:
        return ReadAccess.ALL
    if LrsScope.STATEMENTS_READ_MINE in scopes:
        return ReadAccess.MINE
    return ReadAccess.NONE
