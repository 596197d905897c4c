"""LRS client credentials: the services and `tandem lrs-credentials`."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command

from tandem.audit.models import AuditEvent
from tandem.lrs.auth import lrs_client_authenticate
from tandem.lrs.models import LrsClient
from tandem.lrs.records import LrsBadRequest
from tandem.lrs.services import lrs_client_create, lrs_client_revoke, lrs_client_rotate
from tests.lrs.factories import Xapi, basic_auth, statement

pytestmark = pytest.mark.django_db


def _command(*args: str) -> list[str]:
    out = StringIO()
    call_command("lrs-credentials", *args, stdout=out)
    return out.getvalue().splitlines()


def test_lrs_client_create_returns_secret_once_and_stores_hash():
    client, credentials = lrs_client_create(name="Moodle", scopes=["statements/write"])
    assert credentials.secret not in client.secret_hash
    assert check_password(credentials.secret, client.secret_hash)
    assert client.authority["account"]["name"] == credentials.key
    assert client.authority_ifi.startswith("account:")
    assert AuditEvent.objects.filter(entity_type="lrs_client", action="create").count() == 1


def test_lrs_client_create_rejects_unknown_scope():
    with pytest.raises(LrsBadRequest):
        lrs_client_create(name="x", scopes=["statements/delete"])


def test_lrs_client_revoke_stops_authentication():
    _client, credentials = lrs_client_create(name="x", scopes=["all"])
    header = basic_auth(credentials.key, credentials.secret)
    assert lrs_client_authenticate(authorization=header) is not None
    revoked = lrs_client_revoke(key=credentials.key)
    assert not revoked.active and revoked.revoked_at
    assert lrs_client_authenticate(authorization=header) is None


def test_lrs_client_rotate_replaces_secret():
    _client, old = lrs_client_create(name="x", scopes=["all"])
    new = lrs_client_rotate(key=old.key)
    assert new.key == old.key and new.secret != old.secret
    assert lrs_client_authenticate(authorization=basic_auth(old.key, old.secret)) is None
    assert lrs_client_authenticate(authorization=basic_auth(new.key, new.secret)) is not None


def test_lrs_credentials_cli_create_prints_one_json_line(client):
    lines = _command(
        "create", "--name", "Course player", "--scope", "statements/write", "--scope", "statements/read"
    )
    assert len(lines) == 1
    created = json.loads(lines[0])
    assert set(created) == {"key", "secret"}
    stored = LrsClient.objects.get(key=created["key"])
    assert stored.scopes == ["statements/read", "statements/write"]
    # The printed credential works against the endpoint.
    api = Xapi(client, created["key"], "1.0.3")
    api.headers = lambda **extra: {  # type: ignore[method-assign]
        "HTTP_AUTHORIZATION": basic_auth(created["key"], created["secret"]),
        "HTTP_X_EXPERIENCE_API_VERSION": "1.0.3",
        **extra,
    }
    assert api.post(statement()).status_code == 200


def test_lrs_credentials_cli_list_and_revoke():
    created = json.loads(_command("create", "--name", "A", "--scope", "all")[0])
    listed = [json.loads(line) for line in _command("list")]
    assert [row["key"] for row in listed] == [created["key"]] and listed[0]["active"]
    assert "secret" not in listed[0] and "secret_hash" not in listed[0]
    assert json.loads(_command("revoke", created["key"])[0]) == {"key": created["key"], "active": False}
    assert not json.loads(_command("list")[0])["active"]


def test_lrs_credentials_cli_revoke_unknown_key_fails():
    with pytest.raises(CommandError):
        _command("revoke", "no-such-key")


def test_lrs_credentials_cli_rejects_unknown_scope():
    with pytest.raises(CommandError):
        _command("create", "--name", "A", "--scope", "everything")


def test_lrs_basic_key_with_nul_character_is_401_not_500(client):
    import base64

    token = base64.b64encode(b"ab\x00cd:secret").decode()
    response = client.get(
        "/xapi/statements", HTTP_AUTHORIZATION=f"Basic {token}", HTTP_X_EXPERIENCE_API_VERSION="1.0.3"
    )
    assert response.status_code == 401


def test_lrs_verified_secret_is_remembered_but_rotation_and_revocation_apply_at_once():
    import base64

    from tandem.lrs import auth

    def header(key: str, secret: str) -> str:
        return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()

    _client, credentials = lrs_client_create(name="lms", scopes=["all"])
    good = header(credentials.key, credentials.secret)
    assert lrs_client_authenticate(authorization=good) is not None
    assert auth._recently_verified(
        auth._verified_digest(credentials.key, credentials.secret, LrsClient.objects.get().secret_hash)
    )
    assert lrs_client_authenticate(authorization=header(credentials.key, "wrong")) is None
    rotated = lrs_client_rotate(key=credentials.key)
    assert lrs_client_authenticate(authorization=good) is None  # the old secret's hash is gone
    assert lrs_client_authenticate(authorization=header(rotated.key, rotated.secret)) is not None
    lrs_client_revoke(key=credentials.key)
    assert lrs_client_authenticate(authorization=header(rotated.key, rotated.secret)) is None
