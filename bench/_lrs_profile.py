"""In-process, no HTTP: cProfile of statements_store on batches of 100, the time of one Basic-auth check, and
the /xapi/statements GET view with the auth check replaced by the known client (what a query costs besides auth).

    python bench/_lrs_profile.py JSONL CLIENT_KEY SECRET   (TANDEM_DATA_DIR / DATABASE_URL from the environment)
"""

from __future__ import annotations

import base64
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from tandem.lrs.auth import lrs_client_authenticate  # noqa: E402
from tandem.lrs.models import LrsClient  # noqa: E402
from tandem.lrs.services import statements_store  # noqa: E402

path, key, secret = sys.argv[1], sys.argv[2], sys.argv[3]
batches = [json.loads(line) for line in Path(path).read_text().splitlines() if line]
statements = [s for batch in batches for s in batch]
client = LrsClient.objects.get(key=key)
profile = cProfile.Profile()
started = time.perf_counter()
profile.enable()
for start in range(0, len(statements), 100):
    statements_store(statements=statements[start : start + 100], version="1.0.3", client=client)
profile.disable()
elapsed = time.perf_counter() - started
header = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
auth_started = time.perf_counter()
for _ in range(5):
    assert lrs_client_authenticate(authorization=header) is not None
auth_ms = (time.perf_counter() - auth_started) / 5 * 1000

import random  # noqa: E402

from django.db.models import Max, Min  # noqa: E402
from django.test import RequestFactory  # noqa: E402

import tandem.xapi.protocol as protocol  # noqa: E402
import tandem.xapi.views as views  # noqa: E402
from tandem.lrs.models import Statement  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from lrs import query_sets  # noqa: E402

# The protocol module does the Basic check for every resource: stub it to profile the rest.
protocol.lrs_client_authenticate = lambda authorization: client
bounds = Statement.objects.aggregate(lo=Min("stored"), hi=Max("stored"))
rng = random.Random(3)
since = [
    (bounds["lo"] + (bounds["hi"] - bounds["lo"]) * rng.random()).isoformat().replace("+00:00", "Z")
    for _ in range(20)
]
factory = RequestFactory()
view_lines = []
for kind, queries in query_sets(60, since).items():
    times = []
    for number, query in enumerate(queries):
        request = factory.get(
            f"/xapi/statements?{query}",
            HTTP_HOST="127.0.0.1",
            HTTP_X_EXPERIENCE_API_VERSION="1.0.3",
            HTTP_AUTHORIZATION=header,
        )
        started = time.perf_counter()
        response = views.statements(request)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (query, response.status_code, response.content[:300])
        if number >= 10:
            times.append(elapsed)
    times.sort()
    view_lines.append(
        f"GET view without the auth check, {kind}: p50 {times[len(times) // 2]:.1f} ms, "
        f"p95 {times[int(len(times) * 0.95) - 1]:.1f} ms ({len(times)} requests, {Statement.objects.count()} statements)"
    )
# The plans of the statement queries one GET of each kind runs (EXPLAIN on the SQL Django sent).
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

plan_lines = []
for kind, queries in query_sets(1, since[:1]).items():
    request = factory.get(
        f"/xapi/statements?{queries[0]}",
        HTTP_HOST="127.0.0.1",
        HTTP_X_EXPERIENCE_API_VERSION="1.0.3",
        HTTP_AUTHORIZATION=header,
    )
    with CaptureQueriesContext(connection) as captured:
        views.statements(request)
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.startswith("SELECT") or "lrs_statement" not in sql or "lrs_statementcounter" in sql:
            continue
        plan_lines.append(f"plan {kind}: {sql[:160]}…")
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
                plan_lines.extend(f"plan {kind}:   {row[-1]}" for row in cursor.fetchall())
            else:
                cursor.execute(f"EXPLAIN {sql}")
                plan_lines.extend(f"plan {kind}:   {row[0]}" for row in cursor.fetchall())
out = io.StringIO()
pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(28)
print(
    f"statements_store: {len(statements)} statements in {elapsed:.2f} s "
    f"({len(statements) / elapsed:.0f}/s, in-process, no HTTP)"
)
print(f"lrs_client_authenticate (Basic auth check, per request): {auth_ms:.1f} ms")
print("\n".join(view_lines))
print("\n".join(plan_lines))
print(out.getvalue())
