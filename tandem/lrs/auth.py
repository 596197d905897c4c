"""HTTP Basic credentials of LRS clients and what their scopes allow."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
import time
from collections import deque
from enum import Enum

from django.contrib.auth.hashers import check_password

from tandem.lrs.models import LrsClient, LrsScope
from tandem.lrs.records import LrsError

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


# Failed Basic checks (wrong secret, unknown key) are counted per key and per client address over a sliding
# window; past the limit, checks that would need a hash are refused with 429 until the oldest failure ages out.
# A secret verified recently (above) still opens its key, so throttling a key locks out a guesser, not the LMS
# that holds the right secret. In-process counters: each worker counts on its own, which bounds each worker's
# hashing, the resource the limit protects.
FAILURE_WINDOW_SECONDS = 60.0
MAX_FAILURES_PER_KEY = 10
MAX_FAILURES_PER_ADDRESS = 20
# Argon2 checks running at once in one worker (each takes ~100 MiB); more wait, and give up after the timeout.
MAX_CONCURRENT_HASHES = 2
HASH_WAIT_SECONDS = 5.0
_FAILURES_MAX_TRACKED = 4096
_failures: dict[str, deque[float]] = {}
_failures_lock = threading.Lock()
_hashing = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)
# Unknown keys are compared against this, so their path does the same constant-time comparison as a known
# key's cached check, without the Argon2 hash (a key identifies a credential; it is not its secret).
_DUMMY_DIGEST = hashlib.sha256(b"tandem-unknown-key").hexdigest()


class LrsThrottled(LrsError):
    """Too many failed credential checks (or too many running): 429 with Retry-After."""

    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, field="Authorization", rule="throttled")
        self.retry_after = retry_after


def _recent_failures(name: str, now: float) -> deque[float]:
    found = _failures.get(name)
    if found is None:
        return deque()
    while found and found[0] <= now - FAILURE_WINDOW_SECONDS:
        found.popleft()
    return found


def _throttle_check(names: list[tuple[str, int]], now: float) -> None:
    with _failures_lock:
        for name, limit in names:
            failures = _recent_failures(name, now)
            if len(failures) >= limit:
                retry = max(1, int(failures[0] + FAILURE_WINDOW_SECONDS - now) + 1)
                what = "this key" if name.startswith("key:") else "this address"
                raise LrsThrottled(
                    f"Too many failed credential checks for {what}: retry after {retry} seconds",
                    retry_after=retry,
                )


def _failure_record(names: list[str], now: float) -> None:
    with _failures_lock:
        if len(_failures) >= _FAILURES_MAX_TRACKED:
            for name in [n for n, times in _failures.items() if not _recent_failures(n, now)]:
                del _failures[name]
            if len(_failures) >= _FAILURES_MAX_TRACKED:
                _failures.clear()  # bounded under a flood of distinct keys; the address counters refill fast
        for name in names:
            _failures.setdefault(name, deque()).append(now)


def lrs_auth_throttle_clear() -> None:
    """Forget every counted failure (tests, and an operator after a known incident)."""
    with _failures_lock:
        _failures.clear()


def secret_check(*, secret: str, secret_hash: str) -> bool:
    """check_password under the hashing cap: at most MAX_CONCURRENT_HASHES at once in this process."""
    if not _hashing.acquire(timeout=HASH_WAIT_SECONDS):
        raise LrsThrottled("Too many credential checks are running: retry in a moment", retry_after=1)
    try:
        return check_password(secret, secret_hash)
    finally:
        _hashing.release()


class ReadAccess(Enum):
    NONE = "none"
    MINE = "mine"  # statements/read/mine: only statements this credential's authority wrote
    ALL = "all"


def lrs_client_authenticate(*, authorization: str, client_address: str = "") -> LrsClient | None:
    """The active client named by an `Authorization: Basic ...` header value, or None.

    Raises LrsThrottled when the key or ``client_address`` failed too often lately (see above), or when too
    many hashes are running. An unknown key costs no hash: it is a failure like a wrong secret."""
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
    now = time.monotonic()
    counted = [f"key:{key}", f"address:{client_address}"]
    client = LrsClient.objects.filter(key=key, active=True).first()
    if client is None:
        hmac.compare_digest(_verified_digest(key, secret, ""), _DUMMY_DIGEST)
        _throttle_check([(counted[1], MAX_FAILURES_PER_ADDRESS)], now)
        _failure_record(counted, now)
        return None
    digest = _verified_digest(key, secret, client.secret_hash)
    if _recently_verified(digest):
        return client
    _throttle_check([(counted[0], MAX_FAILURES_PER_KEY), (counted[1], MAX_FAILURES_PER_ADDRESS)], now)
    if not secret_check(secret=secret, secret_hash=client.secret_hash):
        _failure_record(counted, now)
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
