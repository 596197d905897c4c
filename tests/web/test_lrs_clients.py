"""The LRS credentials page: an L&D admin creates a credential, sees the secret once, rotates and revokes it."""

from __future__ import annotations

import base64
import re

import pytest

from tandem.accounts.models import Role
from tandem.audit.models import AuditEvent
from tandem.lrs.auth import lrs_client_authenticate
from tandem.lrs.models import LrsClient

pytestmark = pytest.mark.django_db


def _secret(html: str) -> tuple[str, str]:
    key, secret = re.findall(r"<td><code>([^<]+)</code></td>", html)[:2]
    return key, secret


def _basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def test_admin_creates_credential_and_sees_the_secret_once(client, make_user):
    client.force_login(make_user(roles=[Role.LD_ADMIN]))
    response = client.post("/learning/clients/", {"name": "Moodle", "scopes": ["statements/write", "state"]})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    key, secret = _secret(response.content.decode())
    stored = LrsClient.objects.get(key=key)
    assert stored.scopes == ["state", "statements/write"]
    assert secret not in stored.secret_hash
    assert lrs_client_authenticate(authorization=_basic(key, secret)) == stored
    listing = client.get("/learning/clients/").content.decode()
    assert key in listing and secret not in listing
    assert AuditEvent.objects.filter(entity_type="lrs_client", action="create").exists()


def test_rotate_replaces_the_secret_and_revoke_stops_the_credential(client, make_user):
    client.force_login(make_user(roles=[Role.LD_ADMIN]))
    key, old = _secret(client.post("/learning/clients/", {"name": "LXP", "scopes": ["all"]}).content.decode())
    rotated_key, new = _secret(client.post(f"/learning/clients/{key}/rotate/").content.decode())
    assert rotated_key == key and new != old
    assert lrs_client_authenticate(authorization=_basic(key, old)) is None
    assert lrs_client_authenticate(authorization=_basic(key, new)) is not None
    assert client.post(f"/learning/clients/{key}/revoke/").status_code == 302
    assert lrs_client_authenticate(authorization=_basic(key, new)) is None


def test_form_errors_are_shown_not_raised(client, make_user):
    client.force_login(make_user(roles=[Role.LD_ADMIN]))
    response = client.post("/learning/clients/", {"name": "", "scopes": []})
    assert response.status_code == 400
    assert LrsClient.objects.count() == 0


@pytest.mark.parametrize(
    "role", [Role.LD_TEAM, Role.STAKEHOLDER, Role.MANAGER, Role.LEARNER, Role.IT_REVIEWER]
)
def test_only_ld_admins_manage_credentials(client, make_user, role):
    client.force_login(make_user(roles=[role]))
    assert client.get("/learning/clients/").status_code == 403
    assert client.post("/learning/clients/", {"name": "x", "scopes": ["all"]}).status_code == 403
    assert LrsClient.objects.count() == 0
