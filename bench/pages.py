"""Benchmark: every page shape of the demo company, as each demo role, warm (p95 of 5 loads each).

    .venv/bin/python bench/pages.py [--data-dir DIR] [--database-url URL] [--loads 5] [--markdown]

Builds the demo company into the data directory (a new temporary one unless --data-dir names one that has it
already; with a PostgreSQL --database-url the database must be empty or hold the demo), then, in this process:
  discover  as each role, follow every same-site link from the home page (breadth first); a *shape* is the URL
            pattern the link resolves to (e.g. programs/<slug:code>/) plus its query keys; the first link found
            for each shape is the one measured
  warm      load each page once (not timed), then --loads timed loads; p95 by linear interpolation
  baseline  the health check and the login page, the same way: what Django, the middleware and a template
            cost on this machine in this process, with no Tandem query behind them
Pages answer through Django's test client (no HTTP server, so no network or worker time is counted); any
status other than 200 is listed, not timed. The target (issue 12 §4) is p95 < 500 ms for every page.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 500.0
HREF = re.compile(r'href="(/[^"#]*)"')
# Not pages: static files, the admin site (read-only, Django's own), log-out and the anonymous survey links.
SKIP = ("/static/", "/admin/", "/logout/", "/s/", "/xapi/", "/api/")
MAX_FETCHES_PER_ROLE = 400


@dataclass
class Page:
    role: str
    shape: str
    url: str
    status: int = 0
    cold_ms: float = 0.0
    timings_ms: list[float] = field(default_factory=list)

    @property
    def p95(self) -> float:
        return percentile(self.timings_ms, 95)


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def setup_django(*, data_dir: str, database_url: str | None) -> None:
    os.environ["TANDEM_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()


def ensure_demo() -> None:
    from django.core.management import call_command

    from tandem.demo.services import demo_is_loaded

    call_command("migrate", interactive=False, verbosity=0)
    if not demo_is_loaded():
        started = time.perf_counter()
        call_command("demo", no_serve=True)
        print(f"demo built in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def shape_of(url: str) -> str | None:
    from django.urls import Resolver404, resolve

    parts = urlsplit(url)
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    keys = sorted({key for key, _value in parse_qsl(parts.query, keep_blank_values=True)})
    return match.route + (f"?{'&'.join(keys)}" if keys else "")


def timed_get(client, url: str) -> tuple[int, float, str]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    body = ""
    if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
        body = response.content.decode("utf-8", "replace")
    return response.status_code, elapsed, body


def discover(client, role: str) -> list[Page]:  # type: ignore[no-untyped-def]
    """Breadth-first from the home page; the first URL of each shape, with its (cold) first load."""
    pages: dict[str, Page] = {}
    seen: set[str] = set()
    queue: deque[str] = deque(["/"])
    fetches = 0
    while queue and fetches < MAX_FETCHES_PER_ROLE:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        shape = shape_of(url)
        if shape is None or shape in pages:
            continue
        status, elapsed, body = timed_get(client, url)
        fetches += 1
        pages[shape] = Page(role=role, shape=shape, url=url, status=status, cold_ms=elapsed)
        for link in HREF.findall(body):
            link = link.replace("&amp;", "&")
            if not link.startswith(SKIP) and link not in seen:
                queue.append(link)
    return list(pages.values())


def measure(client, page: Page, loads: int) -> None:  # type: ignore[no-untyped-def]
    if page.status != 200:
        return
    timed_get(client, page.url)  # warm: the cold load was the discovery's
    for _ in range(loads):
        status, elapsed, _body = timed_get(client, page.url)
        if status != 200:
            page.status = status
            return
        page.timings_ms.append(elapsed)


def role_users() -> dict[str, object]:
    from tandem.accounts.models import RoleGrant

    users: dict[str, object] = {}
    for grant in RoleGrant.objects.select_related("user").order_by("role", "user__email"):
        users.setdefault(grant.role, grant.user)
    return users


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", help="a data directory (kept); default: a new temporary one")
    parser.add_argument("--database-url", help="PostgreSQL instead of the data directory's SQLite file")
    parser.add_argument("--loads", type=int, default=5, help="timed loads per page (after one warm-up)")
    parser.add_argument("--markdown", action="store_true", help="also print a Markdown table for RESULTS.md")
    args = parser.parse_args()

    data_dir = args.data_dir or tempfile.mkdtemp(prefix="tandem-bench-pages-")
    setup_django(data_dir=data_dir, database_url=args.database_url)
    ensure_demo()

    from django.db import connection
    from django.test import Client

    engine = connection.vendor
    baseline_client = Client(HTTP_HOST="127.0.0.1")
    baseline: list[Page] = []
    for url, shape in (("/health/", "health/"), ("/login/", "login/")):
        page = Page(role="anonymous", shape=shape, url=url, status=200)
        measure(baseline_client, page, args.loads)
        baseline.append(page)

    results: list[Page] = []
    for role, user in sorted(role_users().items()):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        pages = discover(client, role)
        for page in pages:
            measure(client, page, args.loads)
        results.extend(pages)

    timed = [p for p in results if p.timings_ms]
    slow = [p for p in timed if p.p95 >= TARGET_MS]
    print(f"\nPages of the demo on {engine}: {len(timed)} (role, page shape) pairs timed, {args.loads} warm loads each")
    print(f"{'role':<12} {'page shape':<58} {'cold ms':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for page in sorted(timed, key=lambda p: -p.p95):
        flag = "  OVER" if page.p95 >= TARGET_MS else ""
        median = statistics.median(page.timings_ms)
        print(f"{page.role:<12} {page.shape[:58]:<58} {page.cold_ms:8.0f} {median:8.1f} {page.p95:8.1f}{flag}")
    for page in baseline:
        print(f"{'baseline':<12} {page.shape:<58} {'':>8} {statistics.median(page.timings_ms):8.1f} {page.p95:8.1f}")
    others = [p for p in results if not p.timings_ms]
    if others:
        print("\nNot timed (status other than 200):")
        for page in sorted(others, key=lambda p: (p.role, p.shape)):
            print(f"  {page.role:<12} {page.status} {page.url}")
    worst = max(timed, key=lambda p: p.p95)
    print(
        f"\nworst p95: {worst.p95:.0f} ms ({worst.role}, {worst.shape}); over {TARGET_MS:.0f} ms: {len(slow)}; "
        f"baseline p95: health {baseline[0].p95:.1f} ms, login {baseline[1].p95:.1f} ms"
    )
    if args.markdown:
        print(f"\n| role | page shape | p50 ms | p95 ms ({engine}) |\n|---|---|---:|---:|")
        for page in sorted(timed, key=lambda p: -p.p95)[:25]:
            print(f"| {page.role} | `{page.shape}` | {statistics.median(page.timings_ms):.0f} | {page.p95:.0f} |")


if __name__ == "__main__":
    main()
