"""Fill the store for bench/lrs.py's query part: seeded statements straight into the database through the
LRS's bulk write path (statements_store_generated: ids, relations, people, activity definitions and learning
records as for any write; no HTTP and no xAPI validation), in batches of --batch, one transaction each.

    python bench/_lrs_preload.py COUNT SEED CLIENT_KEY [--batch 1000]   (TANDEM_DATA_DIR / DATABASE_URL from the environment)

The SQLite page cache is raised to 1 GiB for the load (the server keeps its own settings).

Prints one line: "stored COUNT in SECONDS s (RATE/s)".
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

import _lrs_data as data  # noqa: E402
from django.db import connection  # noqa: E402

from tandem.lrs.models import LrsClient  # noqa: E402
from tandem.lrs.services import statements_analyze, statements_store_generated  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("count", type=int)
parser.add_argument("seed", type=int)
parser.add_argument("client_key")
parser.add_argument("--batch", type=int, default=1000)
args = parser.parse_args()
client = LrsClient.objects.get(key=args.client_key)
if connection.vendor == "sqlite":
    # A bulk load into a multi-GB file: with SQLite's default 2 MiB page cache every random index insert
    # (UUID keys, registrations) reads its page back from the OS. The server keeps its own settings.
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size = -1048576")
statements = data.statements(args.seed, args.count)
started = time.perf_counter()
for start in range(0, len(statements), args.batch):
    statements_store_generated(
        statements=statements[start : start + args.batch], version="1.0.3", client=client
    )
# What autovacuum's analyze does on its own schedule (this machine's server runs with autovacuum off), and
# what `tandem lrs-import` does after a large file: the queries are then planned for the table's real size.
statements_analyze()
elapsed = time.perf_counter() - started
print(f"stored {len(statements)} in {elapsed:.1f} s ({len(statements) / elapsed:.0f}/s)")
