import io
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from tandem.accounts.models import Role, User
from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import viewer_for
from tandem.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_createadmin_reads_the_password_from_stdin():
    out = io.StringIO()
    call_command(
        "createadmin",
        "--email",
        "Admin@Example.com",
        "--password-stdin",
        stdin=io.StringIO("a-long-enough-passphrase\n"),
        stdout=out,
    )
    user = User.objects.get(email="admin@example.com")
    assert user.check_password("a-long-enough-passphrase")
    assert not user.is_superuser and not user.is_staff
    assert user.role_grants.get().role == Role.LD_ADMIN
    assert viewer_for(user=user).can(Capability.ADMIN_SITE)
    assert "L&D admin admin@example.com created" in out.getvalue()
    assert AuditEvent.objects.filter(
        entity_type="user", action="create", entity_label="admin@example.com"
    ).exists()


def test_createadmin_from_environment(monkeypatch):
    monkeypatch.setenv("TANDEM_ADMIN_EMAIL", "env@example.com")
    monkeypatch.setenv("TANDEM_ADMIN_PASSWORD", "another-long-passphrase")
    call_command("createadmin", "--no-input", stdout=io.StringIO())
    assert User.objects.get(email="env@example.com").check_password("another-long-passphrase")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "too short"),
        ("password123", "too common"),
        ("48392017465", "entirely numeric"),
        ("", "empty"),
    ],
)
def test_createadmin_validates_the_password(password, message):
    with pytest.raises(CommandError, match=message):
        call_command(
            "createadmin",
            "--email",
            "a@example.com",
            "--password-stdin",
            stdin=io.StringIO(password + "\n"),
            stdout=io.StringIO(),
        )
    assert not User.objects.exists()


def test_createadmin_refuses_an_existing_email(make_user):
    make_user(email="taken@example.com")
    with pytest.raises(CommandError, match="already exists"):
        call_command(
            "createadmin",
            "--email",
            "taken@example.com",
            "--password-stdin",
            stdin=io.StringIO("a-long-enough-passphrase\n"),
            stdout=io.StringIO(),
        )


def test_createadmin_without_email_or_password_non_interactive(monkeypatch):
    monkeypatch.delenv("TANDEM_ADMIN_EMAIL", raising=False)
    monkeypatch.delenv("TANDEM_ADMIN_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="--email"):
        call_command("createadmin", "--no-input", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--password-stdin"):
        call_command("createadmin", "--no-input", "--email", "a@example.com", stdout=io.StringIO())


def test_tandem_createadmin_console_command(tmp_path):
    """The real `tandem` entry point, on its own SQLite data directory."""
    env = {**os.environ, "TANDEM_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    env.pop("DATABASE_URL", None)
    tandem = [sys.executable, "-m", "tandem.cli"]
    subprocess.run([*tandem, "migrate", "-v0"], env=env, check=True, capture_output=True)
    result = subprocess.run(
        [*tandem, "createadmin", "--email", "cli@example.com", "--password-stdin"],
        input="cli-long-passphrase\n",
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "L&D admin cli@example.com created" in result.stdout
