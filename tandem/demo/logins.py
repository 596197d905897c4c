"""The demo log-ins: random passwords generated once per data directory, kept in demo-logins.json (0600).

No password is in the code; `tandem demo` prints them from this file on every run.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from tandem.accounts.models import Role

LOGINS_FILE = "demo-logins.json"


def logins_path(*, data_dir: Path) -> Path:
    return data_dir / LOGINS_FILE


def logins_read(*, data_dir: Path) -> list[dict[str, str]]:
    """The saved log-ins (role, label, email, password), or [] when this data directory has none."""
    path = logins_path(data_dir=data_dir)
    if not path.exists():
        return []
    return list(json.loads(path.read_text())["logins"])


def demo_passwords(*, data_dir: Path | None = None, password: str | None = None) -> dict[str, str]:
    """One password per role: `password` for all (tests), else the saved ones, else new random ones."""
    if password is not None:
        return {role: password for role in Role.values}
    saved = {login["role"]: login["password"] for login in logins_read(data_dir=data_dir)} if data_dir else {}
    return {role: saved.get(role) or secrets.token_urlsafe(12) for role in Role.values}


def logins_write(*, data_dir: Path, logins: list[dict[str, str]]) -> Path:
    """Replace the file atomically, readable by the owner only (it holds passwords)."""
    path = logins_path(data_dir=data_dir)
    temporary = path.with_suffix(".tmp")
    if temporary.exists():
        temporary.unlink()
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"logins": logins}, handle, indent=2)
    os.replace(temporary, path)
    return path
