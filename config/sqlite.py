"""The PRAGMAs every connection to the embedded SQLite database runs (settings and bench/lrs.py's raw
baseline both use them, so the baseline measures the same database configuration).

Kept free of Django imports.
"""

from __future__ import annotations

import re

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

# A lone UTF-16 surrogate escape in JSON text ("\udc80" not part of a pair), not preceded by an escaped backslash.
_LONE_SURROGATE_ESCAPE = re.compile(
    rb"(?<!\\)((?:\\\\)*)"
    rb"(?:\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2})"
)


def sqlite_text(data: bytes) -> str:
    """The connection's text_factory: TEXT values as str, whatever an earlier release stored.

    The write path refuses lone surrogates now (tandem.lrs.xapi.jsontext), but rows stored before may hold them:
    as JSON escapes, which json.loads turns into strings no page can encode to UTF-8, and, through SQLite's
    JSON functions (json_extract), as bytes that are not UTF-8 ("Could not decode to UTF-8 column"). Both
    become U+FFFD here, so one such row cannot take a page down. Valid text is decoded as before; the escape
    search runs only when the bytes hold a "\\u" escape at all. Cost: about 0.7 µs per TEXT value read over
    the C decoder (0.15 s more per million values), the price of a Python text_factory.
    """
    if b"\\u" in data and _LONE_SURROGATE_ESCAPE.search(data):
        data = _LONE_SURROGATE_ESCAPE.sub(rb"\1\\ufffd", data)
    return data.decode("utf-8", "replace")
