"""The PRAGMAs every connection to the embedded SQLite database runs (settings and bench/lrs.py's raw
baseline both use them, so the baseline measures the same database configuration).

Kept free of Django imports.
"""

from __future__ import annotations

SQLITE_PRAGMAS = (
    # WAL lets readers (progress pages) run while a writer (an import) holds the lock; NORMAL syncs at
    # checkpoints only, which WAL keeps safe against corruption (a power cut may lose the last commits).
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;"
    " PRAGMA cache_size=-32768; PRAGMA mmap_size=268435456;"
    # Checkpoint every ~40 MB of WAL instead of SQLite's 4 MB: a statement batch dirties pages all over
    # the statement, relation and learning-record indexes, and a larger WAL copies each page back once for
    # many commits (ingest over HTTP +15% here). Readers pay a slightly longer WAL lookup.
    " PRAGMA wal_autocheckpoint=10000;"
)
