"""xAPI Basic authentication under attack (tandem.lrs.auth): failures throttled per key and per address
(429, Retry-After, xAPI JSON), unknown keys answered without a hash, concurrent hashing capped."""

from __future__ import annotations

import threading
import time

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher, make_password
from django.test import Client, override_settings

from tandem.lrs import auth
from tandem.lrs.auth import (
    MAX_CONCURRENT_HASHES,
    MAX_FAILURES_PER_ADDRESS,
    MAX_FAILURES_PER_KEY,
    LrsThrottled,
    lrs_client_authenticate,
    secret_check,
)
from tests.lrs.factories import SECRET, LrsClientFactory, basic_auth

pytestmark = pytest.mark.django_db


class CountingHasher(MD5PasswordHasher):
    """A real (fast) hasher that counts its verifications and how many run at once."""

    algorithm = "counting_md5"
    calls = 0
    running = 0
    most = 0
    lock = threading.Lock()

    def verify(self, password, encoded):
        cls = type(self)
        with cls.lock:
            cls.calls += 1
            cls.running += 1
            cls.most = max(cls.most, cls.running)
        time.sleep(0.05)
        try:
            return super().verify(password, encoded)
        finally:
            with cls.lock:
                cls.running -= 1


COUNTING = override_settings(PASSWORD_HASHERS=["tests.lrs.test_auth.CountingHasher"])


def _about(client: Client, key: str, secret: str, address: str = "10.0.0.1"):
    return client.get(
        "/xapi/statements",
        HTTP_AUTHORIZATION=basic_auth(key, secret),
        HTTP_X_EXPERIENCE_API_VERSION="2.0.0",
        REMOTE_ADDR=address,
    )


def test_wrong_secrets_for_a_key_are_throttled_with_retry_after_but_a_verified_secret_still_opens(client):
    lrs = LrsClientFactory()
    assert _about(client, lrs.key, SECRET).status_code == 200  # verified: remembered for a while
    for attempt in range(MAX_FAILURES_PER_KEY):
        assert _about(client, lrs.key, f"wrong-{attempt}", f"10.0.1.{attempt}").status_code == 401
    throttled = _about(client, lrs.key, "wrong-again", "10.0.2.1")
    assert throttled.status_code == 429
    assert 1 <= int(throttled["Retry-After"]) <= 61
    assert throttled.json()["error"].startswith("Too many failed credential checks for this key: retry after")
    assert throttled["X-Experience-API-Version"] == "2.0.0"
    # The LMS holding the right secret keeps working (its check needs no hash); a guesser does not.
    assert _about(client, lrs.key, SECRET, "10.0.2.2").status_code == 200


def test_failures_from_one_address_are_throttled_across_keys(client):
    keys = [LrsClientFactory().key for _n in range(3)]
    for attempt in range(MAX_FAILURES_PER_ADDRESS):
        assert _about(client, keys[attempt % 3], f"wrong-{attempt}").status_code == 401
    refused = _about(client, keys[0], "wrong")
    assert refused.status_code == 429
    assert "for this address" in refused.json()["error"] and refused["Retry-After"]
    # Unknown keys from that address too; another address is not affected.
    assert _about(client, "no-such-key", "x").status_code == 429
    assert _about(client, keys[1], SECRET, "10.9.9.9").status_code == 200


def test_failures_age_out_of_the_window(client, monkeypatch):
    lrs = LrsClientFactory()
    for attempt in range(MAX_FAILURES_PER_KEY):
        _about(client, lrs.key, f"wrong-{attempt}")
    assert _about(client, lrs.key, SECRET).status_code == 429
    later = time.monotonic() + auth.FAILURE_WINDOW_SECONDS + 1
    monkeypatch.setattr(auth.time, "monotonic", lambda: later)  # the clock, not the code under test
    assert _about(client, lrs.key, SECRET).status_code == 200


@COUNTING
def test_unknown_keys_cost_no_hash_and_wrong_secrets_one(client):
    lrs = LrsClientFactory(secret_hash=make_password(SECRET))
    CountingHasher.calls = 0
    for _n in range(5):
        assert _about(client, "unknown-key", "guess").status_code == 401
    assert CountingHasher.calls == 0
    assert _about(client, lrs.key, "wrong").status_code == 401
    assert CountingHasher.calls == 1


@COUNTING
def test_concurrent_hashing_is_capped():
    hashed = make_password(SECRET)
    CountingHasher.most = 0
    results: list[bool] = []
    threads = [
        threading.Thread(target=lambda: results.append(secret_check(secret=SECRET, secret_hash=hashed)))
        for _n in range(MAX_CONCURRENT_HASHES * 3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * len(threads)
    assert CountingHasher.most == MAX_CONCURRENT_HASHES


def test_a_full_hashing_cap_answers_429_not_a_wait_forever(monkeypatch):
    lrs = LrsClientFactory()
    monkeypatch.setattr(auth, "HASH_WAIT_SECONDS", 0.01)
    for _n in range(MAX_CONCURRENT_HASHES):
        auth._hashing.acquire()
    try:
        with pytest.raises(LrsThrottled) as info:
            lrs_client_authenticate(
                authorization=basic_auth(lrs.key, "not-cached"), client_address="10.0.0.5"
            )
        assert info.value.retry_after == 1
    finally:
        for _n in range(MAX_CONCURRENT_HASHES):
            auth._hashing.release()
