"""Benchmark: `tandem lrs-import` of the same statements as a JSON array and as JSON lines, in one run.

    .venv/bin/python bench/lrs_import.py [--statements 50000] [--database-url postgres://…/tandem_bench_lrs_import]
                                         [--read-only] [--no-results]

The issue this answers: reading a JSON array counted newlines from the start of the file for every statement
(31,800 statements took 169 s to read as an array, 1 s as JSON lines). The reader now streams both formats.

For each format, with the same seeded statements (bench/_lrs_data.py, about 1 kB each, written in chunks so
that the generator never holds the file):

  read    the reader alone, in this process (tandem.lrs.statement_files.statement_entries over the file):
          seconds and statements/s;
  import  `tandem lrs-import FILE` in a fresh, migrated database (SQLite in a new data dir, or the PostgreSQL
          database named by --database-url, dropped and created again for each format): wall seconds,
          statements/s and the command's peak RSS (wait4 ru_maxrss).

--read-only measures the reader alone (1,000,000 statements read in seconds, where importing them takes about
an hour on this 2-core machine shared with others).

The array is written as most LRS exports are (one statement per line, inside [ … ]); JSON lines one per line.
Results go to bench/RESULTS.md, section "LRS file import" (or "LRS file reading" for --read-only; replaced on
each run; text after the line "<!-- notes -->" in that section is kept).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import _lrs_data as data  # noqa: E402

from tandem.lrs.statement_files import statement_entries  # noqa: E402  (no Django)

TANDEM = str(Path(sys.executable).parent / "tandem")
CHUNK = 10_000  # statements generated at a time
SECTION = "## LRS file import"
READ_SECTION = "## LRS file reading"


def write_files(directory: Path, count: int) -> tuple[Path, Path]:
    array, lines = directory / "statements.json", directory / "statements.jsonl"
    with array.open("w", encoding="utf-8") as a, lines.open("w", encoding="utf-8") as jl:
        a.write("[\n")
        written = 0
        for seed in range(0, count, CHUNK):
            for statement in data.statements(seed=seed + 1, count=min(CHUNK, count - seed)):
                text = json.dumps(statement, separators=(",", ":"))
                a.write(("," if written else "") + text + "\n")
                jl.write(text + "\n")
                written += 1
        a.write("]\n")
    return array, lines


def read_only(path: Path) -> float:
    start = time.perf_counter()
    with path.open(encoding="utf-8-sig", newline="") as stream:
        count = sum(1 for _entry in statement_entries(source=stream))
    elapsed = time.perf_counter() - start
    assert count > 0
    return elapsed


def recreate_postgres_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name or name in {"postgres", "template0", "template1"}:
        sys.exit("Give --database-url a bench-only database name: it is dropped and created again")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def run(command: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (KiB) and output of one command."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{output}")
    return elapsed, usage.ru_maxrss, output


def import_once(path: Path, database_url: str | None) -> tuple[float, int, str]:
    data_dir = Path(tempfile.mkdtemp(prefix="tandem-bench-import-"))
    try:
        env = dict(os.environ, TANDEM_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="config.settings.local")
        env.pop("DATABASE_URL", None)
        if database_url:
            recreate_postgres_database(database_url)
            env["DATABASE_URL"] = database_url
        run([TANDEM, "migrate", "--verbosity", "0"], env)
        return run([TANDEM, "lrs-import", str(path), "--verbosity", "1"], env)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def results_write(text: str, section: str) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    current = path.read_text(encoding="utf-8")
    start = current.find(section + "\n")
    if start < 0:
        path.write_text(current.rstrip("\n") + "\n\n" + text, encoding="utf-8")
        return
    following = current.find("\n## ", start + len(section))
    end = len(current) if following < 0 else following + 1
    old = current[start:end]
    notes = old[old.index("<!-- notes -->") :] if "<!-- notes -->" in old else "<!-- notes -->\n"
    path.write_text(
        current[:start] + text + "\n" + notes.rstrip("\n") + "\n" + current[end:], encoding="utf-8"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--statements", type=int, default=50_000, help="1000000 for the issue's figure")
    parser.add_argument("--database-url", help="PostgreSQL instead of SQLite (a bench-only database)")
    parser.add_argument("--read-only", action="store_true", help="time the reader only (no database)")
    parser.add_argument("--no-results", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args()
    began = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="tandem-bench-files-"))
    try:
        start = time.perf_counter()
        array, lines = write_files(work, args.statements)
        print(
            f"wrote {args.statements:,} statements twice in {time.perf_counter() - start:.1f} s", flush=True
        )
        rows = []
        for name, path in (("JSON array", array), ("JSON lines", lines)):
            reading = read_only(path)
            print(f"{name}: read in {reading:.1f} s", flush=True)
            seconds, rss = 0.0, 0
            if not args.read_only:
                seconds, rss, output = import_once(path, args.database_url)
                stored = re.search(r"(\d+) stored", output)
                assert stored and int(stored.group(1)) == args.statements, output
                print(f"{name}: imported in {seconds:.1f} s, peak RSS {rss / 1024:.0f} MiB", flush=True)
            rows.append((name, path.stat().st_size, reading, seconds, rss))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    database = "PostgreSQL" if args.database_url else "SQLite"
    if args.read_only:
        database = "no database (reader only)"
    n = args.statements
    table = [
        "| format | file | read only | read/s | `tandem lrs-import` | stored/s | peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, size, reading, seconds, rss in rows:
        imported = (
            "– | – | –" if args.read_only else f"{seconds:.1f} s | {n / seconds:,.0f} | {rss / 1024:,.0f} MiB"
        )
        table.append(
            f"| {name} | {size / 2**20:,.0f} MiB | {reading:.1f} s | {n / reading:,.0f} | {imported} |"
        )
    text = "\n".join(
        [
            READ_SECTION if args.read_only else SECTION,
            "",
            f"`.venv/bin/python bench/lrs_import.py --statements {n}"
            + (" --database-url …" if args.database_url else "")
            + (" --read-only" if args.read_only else "")
            + "`",
            "",
            f"- Date: {began:%Y-%m-%d, %H:%M}–{dt.datetime.now(dt.UTC):%H:%M} UTC; load average "
            f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after.",
            f"- Machine: {os.cpu_count()} vCPU, Python {platform.python_version()}, {database}"
            + ("." if args.read_only else " (fresh, migrated database per format)."),
            f"- Data: {n:,} seeded statements (`bench/_lrs_data.py`), the same in both files.",
            "",
            *table,
            "",
        ]
    )
    print(text)
    if not args.no_results:
        results_write(text, READ_SECTION if args.read_only else SECTION)


if __name__ == "__main__":
    main()
