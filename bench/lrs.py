"""Benchmark: the xAPI LRS (/xapi/statements) on SQLite and PostgreSQL, beside Ralph and a raw insert.

    .venv/bin/python bench/lrs.py [--statements 10000] [--preload 200000] [--queries 200] [--no-ralph]
                                  [--database-url postgres://postgres@127.0.0.1:5432/tandem_bench_lrs]
                                  [--no-postgres] [--no-results]

One run, one machine, the same seeded statements (bench/_lrs_data.py) and the same HTTP client
(http.client, one keep-alive connection per client thread) for every target:

  tandem/sqlite    fresh data dir, `tandem migrate`, `tandem lrs-credentials create`, `tandem serve --workers 2`
  tandem/postgres  the same with DATABASE_URL (the database named there is dropped and created again)
  ralph            Ralph 5.0.1 through /work/shared/tools/ralph_peer.sh (filesystem backend)
  raw              the same statement + relation rows, in the same batches of 100, one transaction per batch,
                   into tables equivalent to lrs_statement / lrs_statementrelation (same columns, indexes,
                   foreign keys) in the same database: executemany on SQLite, COPY on PostgreSQL.
                   Rows and JSON are prepared before the clock starts: this is the database's limit.
  floor            the raw insert again (1 connection), but each batch starts as the request body: JSON decoded,
                   every statement checked by Tandem's xAPI validator, rows and JSON built, then inserted. No
                   HTTP, auth, people, conflicts or learning records: the most a validating LRS written in
                   Python could reach here, to read the targets against.

Measured:
  (a) ingest: --statements statements POSTed in batches of 100 by 1 client, then another --statements by
      4 concurrent clients -> statements/s (from an empty store);
  (b) then the store is filled to --preload statements straight into the database with the LRS's bulk write
      path (bench/_lrs_preload.py: statements_store_generated, batches of 1,000, chunks of 100,000; same
      statements for both databases; no HTTP), and filtered GETs (agent, verb, activity, since; limit=100) are timed
      one at a time: p50/p95 over --queries requests each (after 10 warm-up requests each);
  (c) peak RSS (VmHWM) of the gunicorn master + workers, summed (each process's own peak).
Then a cProfile of statements_store (10 batches of 100, in-process) and of the Basic-auth check.

Everything listens on 127.0.0.1 only; every server started here is stopped on exit (also on error).
Results go to bench/RESULTS.md, section "xAPI LRS" (replaced on each run; text after the line
"<!-- notes -->" in that section is kept).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import http.client
import itertools
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import _lrs_data as data  # noqa: E402

from config.sqlite import SQLITE_PRAGMAS  # noqa: E402
from tandem.lrs.xapi.validate import statements_validate  # noqa: E402  (no Django: plain Python)

TANDEM = str(Path(sys.executable).parent / "tandem")
RALPH_PEER = "/work/shared/tools/ralph_peer.sh"
BATCH = 100
PRELOAD_CHUNK = 100_000
VERSION = "1.0.3"
FILTERS = ("agent", "verb", "activity", "since")


def log(message: str) -> None:
    print(f"[{dt.datetime.now(dt.UTC):%H:%M:%S}] {message}", flush=True)


# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ppids() -> dict[int, int]:
    out: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            out[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    return out


def descendants(pid: int) -> list[int]:
    ppids = _ppids()
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in ppids.items():
            if ppid == parent:
                found.append(child)
                frontier.append(child)
    return found


def status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stop_pids(pids: list[int], *, grace: float = 15.0) -> None:
    """SIGTERM each pid (only pids this script started or their children), SIGKILL what is left."""
    for pid in pids:
        if alive(pid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in pids:
        if alive(pid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def wait_http(port: int, path: str, headers: dict[str, str], *, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path, headers=headers)
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port}{path}")


# ---------------------------------------------------------------- HTTP client


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def post_batches(port: int, path: str, auth: str, bodies: list[bytes], clients: int) -> float:
    """POST every body (a JSON array of 100 statements) with `clients` threads; returns seconds."""
    headers = {"Authorization": auth, "X-Experience-API-Version": VERSION, "Content-Type": "application/json"}
    counter = itertools.count()
    lock = threading.Lock()
    errors: list[str] = []

    def work() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        try:
            while not errors:
                with lock:
                    index = next(counter)
                if index >= len(bodies):
                    return
                conn.request("POST", path, body=bodies[index], headers=headers)
                response = conn.getresponse()
                payload = response.read()
                if response.status != 200:
                    errors.append(f"batch {index}: HTTP {response.status} {payload[:300]!r}")
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")
        finally:
            conn.close()

    threads = [threading.Thread(target=work) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(errors[0])
    return elapsed


def time_gets(
    port: int, path: str, auth: str, queries: list[str], *, warmup: int = 10
) -> tuple[list[float], float]:
    """GET path?query one at a time on one connection; latencies in ms and the mean statements per page."""
    headers = {"Authorization": auth, "X-Experience-API-Version": VERSION}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    latencies: list[float] = []
    returned = 0
    try:
        warm = queries[:warmup]
        for number, query in enumerate(warm + queries):
            started = time.perf_counter()
            conn.request("GET", f"{path}?{query}", headers=headers)
            response = conn.getresponse()
            payload = response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                raise RuntimeError(f"GET {query}: HTTP {response.status} {payload[:300]!r}")
            if number >= len(warm):
                latencies.append(elapsed)
                returned += len(json.loads(payload).get("statements", []))
    finally:
        conn.close()
    return latencies, returned / max(1, len(queries))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def query_sets(count: int, since_points: list[str], seed: int = 7) -> dict[str, list[str]]:
    rng = random.Random(seed)
    verbs, activities = data.verbs(), data.activity_ids()
    enc = urllib.parse.urlencode
    return {
        "agent": [
            enc(
                {
                    "agent": json.dumps({"mbox": f"mailto:learner{rng.randrange(data.ACTORS)}@example.com"}),
                    "limit": 100,
                }
            )
            for _ in range(count)
        ],
        "verb": [enc({"verb": rng.choice(verbs), "limit": 100}) for _ in range(count)],
        "activity": [enc({"activity": rng.choice(activities), "limit": 100}) for _ in range(count)],
        "since": [enc({"since": rng.choice(since_points), "limit": 100}) for _ in range(count)],
    }


def now_text() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ---------------------------------------------------------------- raw insert (the database's limit)

AUTHORITY_IFI = "account:https://tandem.invalid/xapi/clients|"
STATEMENT_COLUMNS = (
    "id", "seq", "exact", "stored", "timestamp", "version", "actor_ifi", "verb_id", "object_activity_id",
    "object_statement_ref", "registration", "voided", "authority_ifi", "client_id", "person_id",
)  # fmt: skip
RELATION_COLUMNS = ("statement_id", "seq", "kind", "value", "relation")


def raw_rows(
    statements: list[dict[str, Any]], client_id: int, key: str, first_seq: int, sqlite: bool
) -> list[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """The rows statements_store writes for these statements, in batches of 100, JSON already encoded."""
    authority = {
        "objectType": "Agent",
        "name": "bench",
        "account": {"homePage": "https://tandem.invalid/xapi/clients", "name": key},
    }
    stored = dt.datetime.now(dt.UTC).replace(microsecond=0)
    stamp = stored.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    batches = []
    seq = first_seq
    for start in range(0, len(statements), BATCH):
        rows, relations = [], []
        for statement in statements[start : start + BATCH]:
            seq += 1
            exact = dict(statement, stored=stamp, authority=authority, version="1.0.0")
            sid = statement["id"]
            actor = "mbox:" + statement["actor"]["mbox"]
            obj = statement["object"]["id"]
            ts = dt.datetime.fromisoformat(statement["timestamp"].replace("Z", "+00:00"))
            registration = statement["context"]["registration"]
            if sqlite:  # Django's SQLite storage: uuid as 32 hex, datetimes as text
                sid_v, reg_v = sid.replace("-", ""), registration.replace("-", "")
                stored_v, ts_v = stored.isoformat(sep=" "), ts.isoformat(sep=" ")
            else:
                sid_v, reg_v, stored_v, ts_v = sid, registration, stored, ts
            rows.append((
                sid_v, seq, json.dumps(exact), stored_v, ts_v, "1.0.0", actor, statement["verb"]["id"], obj,
                None, reg_v, False, AUTHORITY_IFI + key, client_id, None,
            ))  # fmt: skip
            rels = {
                ("agent", actor, "actor"),
                ("activity", obj, "object"),
                ("agent", AUTHORITY_IFI + key, "authority"),
            }
            for kind in ("parent", "grouping"):
                for parent in statement["context"].get("contextActivities", {}).get(kind, []):
                    rels.add(("activity", parent["id"], "context"))
            relations.extend((sid_v, seq, *rel) for rel in sorted(rels))
        batches.append((rows, relations))
    return batches


Batch = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]


def _prepared(index: int, batch: Any) -> Batch:
    """The raw runs' batches are (rows, relations) built before the clock starts."""
    return batch


def validated_rows(client_id: int, key: str, first_seq: int, sqlite: bool) -> Callable[[int, bytes], Batch]:
    """The floor's per-batch step: decode the request body, validate, build the rows (all on the clock)."""

    def prepare(index: int, body: bytes) -> Batch:
        statements = json.loads(body)
        statements_validate(statements=statements, version=VERSION)
        return raw_rows(statements, client_id, key, first_seq + index * BATCH, sqlite)[0]

    return prepare


def raw_sqlite(
    db_path: Path, batches_1: list, batches_4: list, prepare: Callable[[int, Any], Batch] = _prepared
) -> tuple[float, float]:
    connection = sqlite3.connect(db_path, isolation_level=None)
    ddl = connection.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name IN ('lrs_statement', 'lrs_statementrelation') AND sql IS NOT NULL"
    ).fetchall()
    connection.execute("DROP TABLE IF EXISTS raw_statementrelation")
    connection.execute("DROP TABLE IF EXISTS raw_statement")
    for (sql,) in sorted(ddl, key=lambda r: ("INDEX" in r[0], "lrs_statementrelation" in r[0])):
        sql = sql.replace("lrs_statementrelation", "raw_statementrelation").replace(
            "lrs_statement", "raw_statement"
        )
        sql = sql.replace('"lrs_stmt_', '"raw_stmt_').replace('"lrs_rel_', '"raw_rel_')
        connection.execute(sql)
    connection.close()
    placeholders_s = ",".join("?" * len(STATEMENT_COLUMNS))
    insert_s = f"INSERT INTO raw_statement ({','.join(STATEMENT_COLUMNS)}) VALUES ({placeholders_s})"  # noqa: S608
    insert_r = f"INSERT INTO raw_statementrelation ({','.join(RELATION_COLUMNS)}) VALUES (?,?,?,?,?)"  # noqa: S608

    def run(batches: list, clients: int) -> float:
        counter = itertools.count()
        lock = threading.Lock()

        def work() -> None:
            c = sqlite3.connect(db_path, isolation_level=None, timeout=60, check_same_thread=False)
            c.executescript(SQLITE_PRAGMAS)  # the app's own connection settings
            while True:
                with lock:
                    index = next(counter)
                if index >= len(batches):
                    break
                rows, relations = prepare(index, batches[index])
                c.execute("BEGIN IMMEDIATE")
                c.executemany(insert_s, rows)
                c.executemany(insert_r, relations)
                c.execute("COMMIT")
            c.close()

        return _threads(work, clients)

    return run(batches_1, 1), run(batches_4, 4)


def raw_postgres(
    url: str, batches_1: list, batches_4: list, prepare: Callable[[int, Any], Batch] = _prepared
) -> tuple[float, float]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP TABLE IF EXISTS raw_statementrelation, raw_statement")
        connection.execute("CREATE TABLE raw_statement (LIKE lrs_statement INCLUDING ALL)")
        connection.execute("CREATE TABLE raw_statementrelation (LIKE lrs_statementrelation INCLUDING ALL)")
        connection.execute(
            "ALTER TABLE raw_statement ADD FOREIGN KEY (client_id) REFERENCES lrs_lrsclient (id) DEFERRABLE INITIALLY DEFERRED"
        )
        connection.execute(
            "ALTER TABLE raw_statementrelation ADD FOREIGN KEY (statement_id) REFERENCES raw_statement (id)"
            " DEFERRABLE INITIALLY DEFERRED"
        )
    copy_s = f"COPY raw_statement ({','.join(STATEMENT_COLUMNS)}) FROM STDIN"
    copy_r = f"COPY raw_statementrelation ({','.join(RELATION_COLUMNS)}) FROM STDIN"

    def run(batches: list, clients: int) -> float:
        counter = itertools.count()
        lock = threading.Lock()

        def work() -> None:
            with psycopg.connect(url) as c:
                while True:
                    with lock:
                        index = next(counter)
                    if index >= len(batches):
                        break
                    rows, relations = prepare(index, batches[index])
                    with c.transaction(), c.cursor() as cursor:
                        with cursor.copy(copy_s) as copy:
                            for row in rows:
                                copy.write_row(row)
                        with cursor.copy(copy_r) as copy:
                            for row in relations:
                                copy.write_row(row)

        return _threads(work, clients)

    return run(batches_1, 1), run(batches_4, 4)


def _threads(work: Callable[[], None], clients: int) -> float:
    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            work()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=guarded) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return elapsed


# ---------------------------------------------------------------- targets


def recreate_postgres_database(url: str) -> None:
    import psycopg

    parsed = urllib.parse.urlparse(url)
    name = parsed.path.lstrip("/")
    if (
        not name
        or name in {"postgres", "template0", "template1"}
        or parsed.hostname not in {"127.0.0.1", "localhost"}
    ):
        sys.exit(
            "Give --database-url a bench-only database name on 127.0.0.1: it is dropped and created again"
        )
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def bench_tandem(
    name: str, work: Path, database_url: str | None, ingest: tuple[list, list], preload_chunks: list[tuple[int, int]],
    profile_file: Path, queries: int,
) -> dict[str, Any]:  # fmt: skip
    result: dict[str, Any] = {}
    data_dir = work / f"tandem-{name}"
    data_dir.mkdir()
    env = dict(os.environ, TANDEM_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="config.settings.local")
    env.pop("DATABASE_URL", None)
    if database_url:
        recreate_postgres_database(database_url)
        env["DATABASE_URL"] = database_url

    def run(*a: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([TANDEM, *a], env=env, cwd=ROOT, check=True, capture_output=True, text=True)

    run("migrate", "--verbosity", "0")
    credentials = json.loads(
        run("lrs-credentials", "create", "--name", "bench", "--scope", "all").stdout.strip()
    )
    key, secret = credentials["key"], credentials["secret"]
    auth = basic(key, secret)
    servers: list[subprocess.Popen[bytes]] = []
    started_pids: set[int] = set()

    def start() -> int:
        port = free_port()
        with open(work / f"serve-{name}.log", "ab") as server_log:
            server = subprocess.Popen(
                [TANDEM, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
                env=env, cwd=ROOT, stdout=server_log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        servers.append(server)
        started_pids.add(server.pid)
        wait_http(port, "/xapi/about", {})
        started_pids.update(descendants(server.pid))
        return port

    def peak_rss() -> tuple[float, int]:
        gunicorn = [p for p in descendants(servers[-1].pid) if "gunicorn" in cmdline(p)]
        return sum(status_kb(p, "VmHWM") for p in gunicorn) / 1024, len(gunicorn)

    def stop() -> None:
        for server in servers:
            started_pids.update(descendants(server.pid))
            stop_pids([server.pid])  # tandem serve stops gunicorn and the worker on SIGTERM
        stop_pids(sorted(started_pids), grace=5)
        for server in servers:
            server.wait(timeout=30)
        servers.clear()
        started_pids.clear()

    try:
        port = start()
        since_points = [now_text()]
        bodies_1, bodies_4 = ingest
        log(f"{name}: ingest, 1 client, {len(bodies_1) * BATCH} statements")
        seconds = post_batches(port, "/xapi/statements", auth, bodies_1, 1)
        result["ingest_1"] = len(bodies_1) * BATCH / seconds
        since_points.append(now_text())
        log(f"{name}: ingest, 4 clients, {len(bodies_4) * BATCH} statements")
        seconds = post_batches(port, "/xapi/statements", auth, bodies_4, 4)
        result["ingest_4"] = len(bodies_4) * BATCH / seconds
        since_points.append(now_text())
        rss_ingest = peak_rss()
        # The server is stopped during the preload: on SQLite a long write transaction holds the write lock
        # past the 10 s busy timeout, the task worker dies with "database is locked" and `tandem serve` stops.
        stop()
        stored = (len(bodies_1) + len(bodies_4)) * BATCH
        import_seconds = 0.0
        for seed, count in preload_chunks:
            log(f"{name}: preload {count} statements (seed {seed}; {stored} stored so far)")
            started = time.perf_counter()
            out = subprocess.run(
                [sys.executable, str(ROOT / "bench" / "_lrs_preload.py"), str(count), str(seed), key],
                env=env, cwd=ROOT, check=True, capture_output=True, text=True,
            )  # fmt: skip
            import_seconds += time.perf_counter() - started
            log(f"{name}: {out.stdout.strip()}")
            stored += count
            since_points.append(now_text())
        result["stored"] = stored
        if preload_chunks:
            result["import_rate"] = (stored - (len(bodies_1) + len(bodies_4)) * BATCH) / import_seconds
        port = start()
        for kind, qs in query_sets(queries, since_points[:-1]).items():
            log(f"{name}: {len(qs)} GETs by {kind} at {stored} statements")
            latencies, per_page = time_gets(port, "/xapi/statements", auth, qs)
            result[f"q_{kind}"] = (pct(latencies, 50), pct(latencies, 95), per_page)
        rss_query = peak_rss()
        result["rss_mb"] = max(rss_ingest[0], rss_query[0])
        result["rss_procs"] = rss_query[1]
    finally:
        stop()
    log(f"{name}: raw insert of the same rows in the same batches")
    client_id = _client_id(data_dir, database_url, key)
    batches_1 = raw_rows(ingest_statements[0], client_id, key, 10_000_000, sqlite=not database_url)
    batches_4 = raw_rows(ingest_statements[1], client_id, key, 20_000_000, sqlite=not database_url)
    if database_url:
        t1, t4 = raw_postgres(database_url, batches_1, batches_4)
    else:
        t1, t4 = raw_sqlite(data_dir / "tandem.sqlite3", batches_1, batches_4)
    result["raw_1"] = len(ingest_statements[0]) / t1
    result["raw_4"] = len(ingest_statements[1]) / t4
    log(f"{name}: the floor: decode, validate and raw insert, 1 connection")
    prepare = validated_rows(client_id, key, 30_000_000, sqlite=not database_url)
    if database_url:  # the tables are made again: the floor stores the raw run's statement ids once more
        t1, _t4 = raw_postgres(database_url, bodies_1, [], prepare)
    else:
        t1, _t4 = raw_sqlite(data_dir / "tandem.sqlite3", bodies_1, [], prepare)
    result["floor_1"] = len(ingest_statements[0]) / t1
    log(f"{name}: cProfile of statements_store")
    profile = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "_lrs_profile.py"), str(profile_file), key, secret],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    (work / f"profile-{name}.txt").write_text(profile.stdout)
    result["profile"] = profile.stdout
    for line in profile.stdout.splitlines():
        if m := re.match(r"GET view without the auth check, (\w+): p50 ([\d.]+) ms, p95 ([\d.]+) ms", line):
            result[f"v_{m.group(1)}"] = (float(m.group(2)), float(m.group(3)))
        elif m := re.match(r"lrs_client_authenticate .*: ([\d.]+) ms", line):
            result["auth_ms"] = float(m.group(1))
        elif m := re.match(r"statements_store: .*\((\d+)/s", line):
            result["store_rate"] = float(m.group(1))
    return result


def _client_id(data_dir: Path, database_url: str | None, key: str) -> int:
    if database_url:
        import psycopg

        with psycopg.connect(database_url) as c:
            return int(c.execute("SELECT id FROM lrs_lrsclient WHERE key = %s", (key,)).fetchone()[0])
    with sqlite3.connect(data_dir / "tandem.sqlite3") as c:
        return int(c.execute("SELECT id FROM lrs_lrsclient WHERE key = ?", (key,)).fetchone()[0])


def _ralph_venv(ralph_home: Path) -> Path:
    """Ralph's virtualenv, kept between runs in ralph_home; installed there (what ralph_peer.sh installs) when
    missing or broken. Built in place: a venv's scripts name their interpreter by absolute path, so one built in
    a run's work directory and moved stops working once that directory is removed."""
    venv = ralph_home / "venv"
    script = venv / "bin" / "ralph"
    interpreter = script.read_text().splitlines()[0].removeprefix("#!").strip() if script.exists() else ""
    if not interpreter or not Path(interpreter).exists():
        log(f"ralph: installing ralph-malph 5.0.1 into {venv}")
        shutil.rmtree(venv, ignore_errors=True)
        ralph_home.mkdir(parents=True, exist_ok=True)
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "-q", "install", "ralph-malph[cli,lrs]==5.0.1", "requests"],
            check=True,
        )
    return venv


def bench_ralph(work: Path, ralph_home: Path, ingest: tuple[list, list], queries: int) -> dict[str, Any]:
    result: dict[str, Any] = {}
    directory = work / "ralph"
    directory.mkdir()
    (directory / "venv").symlink_to(_ralph_venv(ralph_home))
    port = free_port()
    out = subprocess.run(
        [RALPH_PEER, str(port), str(directory)], check=True, capture_output=True, text=True, timeout=900
    )
    pid = int(out.stdout.strip().splitlines()[-1])
    try:
        auth = basic("bench", "benchpass")
        wait_http(port, "/whoami", {"Authorization": auth})
        bodies_1, bodies_4 = ingest
        log(f"ralph: ingest, 1 client, {len(bodies_1) * BATCH} statements")
        result["ingest_1"] = len(bodies_1) * BATCH / post_batches(port, "/xAPI/statements", auth, bodies_1, 1)
        log(f"ralph: ingest, 4 clients, {len(bodies_4) * BATCH} statements")
        result["ingest_4"] = len(bodies_4) * BATCH / post_batches(port, "/xAPI/statements", auth, bodies_4, 4)
        result["stored"] = (len(bodies_1) + len(bodies_4)) * BATCH
        since = [data.START.isoformat().replace("+00:00", "Z")]
        sets = query_sets(queries, since)
        for kind in ("agent", "verb", "since"):
            log(f"ralph: {queries} GETs by {kind} at {result['stored']} statements")
            latencies, per_page = time_gets(port, "/xAPI/statements", auth, sets[kind], warmup=2)
            result[f"q_{kind}"] = (pct(latencies, 50), pct(latencies, 95), per_page)
        result["rss_mb"] = status_kb(pid, "VmHWM") / 1024
    finally:
        stop_pids([pid, *descendants(pid)])
    return result


# ---------------------------------------------------------------- report


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    mem = status_total_mem()
    try:
        pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.split()[2]
    except OSError:
        pg = "?"
    import django

    return (
        f"{os.cpu_count()} vCPU {cpu}, {mem:.0f} GB RAM, Linux {platform.release().split('-')[0]}, "
        f"Python {platform.python_version()}, Django {django.get_version()}, SQLite {sqlite3.sqlite_version} (WAL), "
        f"PostgreSQL {pg} on the same host"
    )


def status_total_mem() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def fmt_rate(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}/s"


def render(results: dict[str, dict[str, Any]], meta: dict[str, Any]) -> str:
    names = [n for n in ("sqlite", "postgres", "ralph") if n in results]
    titles = {"sqlite": "Tandem, SQLite", "postgres": "Tandem, PostgreSQL", "ralph": "Ralph 5.0.1 (fs)"}
    get = lambda n, k: results[n].get(k)  # noqa: E731
    lines = ["| | " + " | ".join(titles[n] for n in names) + " |", "|---|" + "---:|" * len(names)]

    def row(label: str, cell: Callable[[str], str]) -> None:
        lines.append(f"| {label} | " + " | ".join(cell(n) for n in names) + " |")

    n = meta["statements"]
    row(
        f"**(a) ingest, 1 client** ({n:,} statements, batches of 100)",
        lambda k: f"**{fmt_rate(get(k, 'ingest_1'))}**",
    )
    row(f"**(a) ingest, 4 clients** ({n:,} more)", lambda k: f"**{fmt_rate(get(k, 'ingest_4'))}**")
    row("raw insert of the same rows, 1 connection (the limit)", lambda k: fmt_rate(get(k, "raw_1")))
    row("raw insert, 4 connections", lambda k: fmt_rate(get(k, "raw_4")))
    row(
        "floor: decode + xAPI validation + raw insert, 1 connection, no HTTP (the most a validating LRS in Python reaches)",
        lambda k: fmt_rate(get(k, "floor_1")),
    )
    ralph = results.get("ralph", {})

    def ratio(k: str, key: str, base: float | None) -> str:
        value = get(k, key)
        return "–" if value is None or not base or k == "ralph" else f"{value / base:.2f}×"

    row(
        "ingest ÷ Ralph, 1 / 4 clients (target ≥ 5×)",
        lambda k: (
            f"{ratio(k, 'ingest_1', ralph.get('ingest_1'))} / {ratio(k, 'ingest_4', ralph.get('ingest_4'))}"
        ),
    )
    row(
        "ingest ÷ raw, 1 / 4 clients (target ≥ 0.5)",
        lambda k: (
            "–"
            if k == "ralph"
            else f"{get(k, 'ingest_1') / get(k, 'raw_1'):.2f} / {get(k, 'ingest_4') / get(k, 'raw_4'):.2f}"
        ),
    )
    row(
        "preload straight into the database (bulk write path, batches of 1,000; incl. process start)",
        lambda k: fmt_rate(get(k, "import_rate")),
    )
    row("**statements stored when queried**", lambda k: f"**{get(k, 'stored'):,}**")
    for kind in FILTERS:

        def cell(k: str, kind: str = kind) -> str:
            value = get(k, f"q_{kind}")
            if value is None:
                return "–"
            return f"{value[0]:.1f} / **{value[1]:.1f}** ({value[2]:.0f})"

        row(f"(b) GET `{kind}=…&limit=100`: p50 / **p95** ms (statements returned per page)", cell)

    def view(k: str) -> str:
        values = [get(k, f"v_{kind}") for kind in FILTERS]
        if any(v is None for v in values):
            return "–"
        return ", ".join(f"{v[0]:.0f}/{v[1]:.0f}" for v in values)

    row(
        "(b′) the same GET view in-process, auth check skipped: p50/p95 ms for agent, verb, activity, since",
        view,
    )
    row(
        "one HTTP Basic check (`lrs_client_authenticate`, Argon2), per request",
        lambda k: "–" if get(k, "auth_ms") is None else f"{get(k, 'auth_ms'):.0f} ms",
    )
    row(
        "`statements_store` in-process (10 batches of 100, no HTTP, no auth)",
        lambda k: fmt_rate(get(k, "store_rate")),
    )
    row(
        "(c) peak RSS, server processes (sum of VmHWM)",
        lambda k: (
            f"{get(k, 'rss_mb'):,.0f} MB"
            + (f" ({get(k, 'rss_procs')} procs)" if get(k, "rss_procs") else " (1 proc)")
        ),
    )
    return "\n".join(lines)


def verdicts(results: dict[str, dict[str, Any]]) -> list[str]:
    out = []
    ralph = results.get("ralph")
    for name, title in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        r = results.get(name)
        if not r:
            continue
        if ralph:
            x1, x4 = r["ingest_1"] / ralph["ingest_1"], r["ingest_4"] / ralph["ingest_4"]
            ok = x1 >= 5 and x4 >= 5
            out.append(
                f"- Ingest ≥ 5× Ralph, {title}: **{'met' if ok else 'not met'}** ({x1:.2f}× with 1 client, {x4:.2f}× with 4)."
                f" The floor, with no HTTP, people or learning records, is {r['floor_1'] / ralph['ingest_1']:.2f}×"
                " Ralph with 1 client."
            )
        f1, f4 = r["ingest_1"] / r["raw_1"], r["ingest_4"] / r["raw_4"]
        ok = f1 >= 0.5 and f4 >= 0.5
        out.append(
            f"- Ingest ≥ 50% of the raw insert, {title}: **{'met' if ok else 'not met'}** ({f1:.0%} with 1 client, {f4:.0%} with 4)."
            f" The floor is {r['floor_1'] / r['raw_1']:.0%} of the raw insert with 1 connection."
        )
        worst = max(r[f"q_{k}"][1] for k in FILTERS)
        size = r["stored"]
        ok = worst < 50
        scale = "" if size >= 1_000_000 else f" at {size:,} statements, not the 1,000,000 the target names"
        out.append(
            f"- Query p95 < 50 ms, {title}: **{'met' if ok else 'not met'}**{scale} (worst p95 {worst:.1f} ms)."
        )
    return out


def write_results(section: str) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text()
    match = re.search(r"^## xAPI LRS\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
    if match:
        old = match.group(0)
        notes = old[old.index("<!-- notes -->") :] if "<!-- notes -->" in old else ""
        new = section + ("\n" + notes if notes else "\n")
        text = text[: match.start()] + new + text[match.end() :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)


# ---------------------------------------------------------------- main

ingest_statements: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], [])


def main() -> None:
    global ingest_statements
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--statements", type=int, default=10_000, help="statements per ingest phase (1 client; 4 clients)"
    )
    parser.add_argument("--preload", type=int, default=200_000, help="statements stored before the queries")
    parser.add_argument("--queries", type=int, default=200, help="GETs per filter")
    parser.add_argument(
        "--ralph-queries", type=int, default=20, help="GETs per filter on Ralph (it reads its whole file)"
    )
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/tandem_bench_lrs")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-ralph", action="store_true")
    parser.add_argument("--ralph-home", type=Path, default=Path.home() / ".cache" / "tandem-bench-ralph",
                        help="where Ralph's venv is kept between runs")  # fmt: skip
    parser.add_argument("--no-results", action="store_true", help="print only; do not write bench/RESULTS.md")
    args = parser.parse_args()
    n = max(BATCH, args.statements // BATCH * BATCH)
    began = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="tandem-bench-lrs-"))
    log(f"work directory {work}; generating statements")
    ingest_statements = (data.statements(1, n), data.statements(2, n))
    ingest = tuple(
        [json.dumps(s[i : i + BATCH]).encode() for i in range(0, len(s), BATCH)] for s in ingest_statements
    )
    preload_chunks: list[tuple[int, int]] = []  # (seed, count) for bench/_lrs_preload.py
    remaining = max(0, args.preload - 2 * n)
    while remaining > 0:
        size = min(PRELOAD_CHUNK, remaining)
        preload_chunks.append((100 + len(preload_chunks), size))
        remaining -= size
    profile_file = work / "profile.jsonl"
    profile_file.write_text(json.dumps(data.statements(999, 1000)) + "\n")
    results: dict[str, dict[str, Any]] = {}
    if not args.no_ralph:
        results["ralph"] = bench_ralph(work, args.ralph_home, ingest, args.ralph_queries)
        log(f"ralph: {json.dumps(results['ralph'])}")
    if not args.no_sqlite:
        results["sqlite"] = bench_tandem(
            "sqlite", work, None, ingest, preload_chunks, profile_file, args.queries
        )
        log(f"sqlite: {json.dumps({k: v for k, v in results['sqlite'].items() if k != 'profile'})}")
    if not args.no_postgres:
        results["postgres"] = bench_tandem(
            "postgres", work, args.database_url, ingest, preload_chunks, profile_file, args.queries
        )
        log(f"postgres: {json.dumps({k: v for k, v in results['postgres'].items() if k != 'profile'})}")
    ended = dt.datetime.now(dt.UTC)
    load_after = os.getloadavg()
    table = render(results, {"statements": n})
    lines = verdicts(results)
    print()
    print(table)
    print()
    print("\n".join(lines))
    for name in ("sqlite", "postgres"):
        if name in results:
            print(f"\n--- profile, {name} ---")
            print("\n".join(results[name]["profile"].splitlines()[:40]))
    stored = max((r.get("stored", 0) for k, r in results.items() if k != "ralph"), default=0)
    section = "\n".join([
        "## xAPI LRS",
        "",
        f"`.venv/bin/python bench/lrs.py --statements {n} --preload {args.preload} --queries {args.queries}`",
        "",
        f"- Date: {began:%Y-%m-%d}, {began:%H:%M}–{ended:%H:%M} UTC; load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after.",
        f"- Machine: {machine()}. Clients, servers and databases share the 2 cores.",
        f"- Data: seeded statements (`bench/_lrs_data.py`): {data.ACTORS} actors, {len(data.verbs())} verbs, "
        f"{len(data.activity_ids())} activities (courses with completions and scores, videos with durations and "
        "positions, assessments with scores), each with a registration and context; about 1 kB of JSON each. "
        f"Ingest: {n:,} statements by 1 client, then {n:,} other statements by 4 clients, from an empty store. "
        f"Queries at {stored:,} stored statements (Tandem) and {results.get('ralph', {}).get('stored', 0):,} (Ralph).",
        "- Tandem: `tandem serve --workers 2` (gunicorn, 2 workers × 4 threads, + the task worker), xAPI 1.0.3, "
        "HTTP Basic with a `tandem lrs-credentials` key. Ralph: `/work/shared/tools/ralph_peer.sh` (uvicorn, "
        "1 worker, filesystem backend). HTTP client: `http.client`, one keep-alive connection per client thread.",
        "",
        table,
        "",
        "Targets from the issue:",
        "",
        *lines,
    ])  # fmt: skip
    if not args.no_results:
        write_results(section)
        log("bench/RESULTS.md updated")
    log(f"done; work directory {work} (data, logs, profiles) can be removed")


if __name__ == "__main__":
    # SIGTERM (kill, pkill, a CI timeout) unwinds like Ctrl-C, so the finally blocks stop the servers this run
    # started: without it they kept running and held the bench database, and the next run could not drop it.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    main()
