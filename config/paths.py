"""Where Tandem keeps its embedded data (SQLite database, secret key, uploads).

Kept free of Django imports: settings and the CLI both call it before Django starts.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import platformdirs


def data_dir() -> Path:
    """The data directory: $TANDEM_DATA_DIR, else a per-user data directory."""
    raw = os.environ.get("TANDEM_DATA_DIR")
    path = Path(raw).expanduser() if raw else Path(platformdirs.user_data_dir("tandem", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def secret_key(directory: Path) -> str:
    """$TANDEM_SECRET_KEY, else a random key generated once and kept (0600) in the data directory."""
    from_env = os.environ.get("TANDEM_SECRET_KEY")
    if from_env:
        return from_env
    key_file = directory / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()
