"""The embedded database's connection settings (config/sqlite.py) take effect as written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from config.sqlite import SQLITE_PRAGMAS


def test_sqlite_pragmas_set_wal_normal_sync_and_a_40mb_checkpoint(tmp_path: Path):
    connection = sqlite3.connect(tmp_path / "t.sqlite3")
    try:
        connection.executescript(SQLITE_PRAGMAS)
        values = {
            name: connection.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout", "wal_autocheckpoint")
        }
    finally:
        connection.close()
    assert values == {
        "journal_mode": "wal",
        "synchronous": 1,  # NORMAL
        "foreign_keys": 1,
        "busy_timeout": 10000,
        "wal_autocheckpoint": 10000,
    }
