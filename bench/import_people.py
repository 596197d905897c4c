"""Benchmark: a 100,000-row HRIS people import against a raw bulk insert of the same rows.

    .venv/bin/python bench/import_people.py [--rows 100000] [--database-url URL]

Without --database-url: a fresh SQLite file in a temporary directory. With a PostgreSQL URL, the database
named in it is dropped and created again (use a bench-only name, e.g. .../tandem_bench_imports).
Each run migrates a fresh database, adds reference data (org units, job roles), writes the CSV, then times:
  baseline  csv.reader + executemany/COPY into org_person and org_assignment (no checks, no audit)
  import    the full pipeline: parse + validate every row + plan + write (people_apply) + audit
  reimport  the same file again (everything unchanged)
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADER = [
    "employee_id",
    "first_name",
    "last_name",
    "work_email",
    "org_unit_code",
    "hire_date",
    "job_title",
    "job_role_code",
    "manager_employee_id",
    "location",
    "country",
    "employment_type",
]
TEAMS = 240
ROLES = 24


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


def setup_django(database_url: str | None) -> None:
    os.environ["TANDEM_DATA_DIR"] = tempfile.mkdtemp(prefix="tandem-bench-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    if database_url:
        recreate_postgres_database(database_url)
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def reference_data() -> None:
    from tandem.org.services import job_family_get_or_create, job_role_get_or_create, org_unit_create

    start = dt.date(2015, 1, 1)
    org_unit_create(actor_id=None, code="CO", name="Company", kind="company", valid_from=start)
    for d in range(12):
        org_unit_create(
            actor_id=None,
            code=f"D{d:02d}",
            name=f"Division {d}",
            kind="division",
            parent_code="CO",
            valid_from=start,
        )
    for t in range(TEAMS):
        org_unit_create(
            actor_id=None,
            code=f"T{t:03d}",
            name=f"Team {t}",
            kind="team",
            parent_code=f"D{t % 12:02d}",
            valid_from=start,
        )
    job_family_get_or_create(actor_id=None, code="ALL", name="All")
    for r in range(ROLES):
        job_role_get_or_create(
            actor_id=None, code=f"R{r:02d}", name=f"Role {r}", family_code="ALL", level=1 + r % 5
        )


def write_csv(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    first = ["Maria", "Jonas", "Aiko", "Olu", "Priya", "Lena", "Tom", "Sofia", "Ali", "Chen"]
    last = ["Lopez", "Schmidt", "Tanaka", "Okafor", "Patel", "Novak", "Brown", "Rossi", "Khan", "Wang"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(1, rows + 1):
            # A tree: everyone reports to someone earlier in the file (fan-out of about 8).
            manager = f"E{(i - 1) // 8:06d}" if i > 1 else ""  # always an earlier row
            hire = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3650))
            writer.writerow(
                [
                    f"E{i - 1:06d}",
                    rng.choice(first),
                    rng.choice(last),
                    f"person{i}@example.com",
                    f"T{rng.randrange(TEAMS):03d}",
                    hire.isoformat(),
                    "Specialist",
                    f"R{rng.randrange(ROLES):02d}",
                    manager,
                    rng.choice(["Berlin", "London", "Lisbon", "Remote"]),
                    rng.choice(["DE", "GB", "PT"]),
                    rng.choice(["full_time", "part_time"]),
                ]
            )


def baseline(path: Path) -> tuple[float, int]:
    """Raw insert of the same rows into the same tables: the floor any import pipeline sits on."""
    from django.db import connection, transaction

    from tandem.org.models import JobRole, OrgUnit

    started = time.perf_counter()
    units = dict(OrgUnit.objects.values_list("code", "id"))
    roles = dict(JobRole.objects.values_list("code", "id"))
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        now = dt.datetime.now(dt.UTC)
        people = [
            (
                r[0],
                r[1],
                r[2],
                r[3],
                r[6],
                roles[r[7]],
                units[r[4]],
                r[9],
                r[10],
                r[11],
                r[5],
                "active",
                now,
                now,
            )
            for r in reader
        ]
    columns = (
        "employee_id, first_name, last_name, work_email, job_title, job_role_id, org_unit_id, location, country,"
        " employment_type, hire_date, status, created_at, updated_at"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor, for COPY
            with raw.copy(f"COPY org_person ({columns}) FROM STDIN") as copy:
                for row in people:
                    copy.write_row(row)
        else:
            cursor.executemany(
                f"INSERT INTO org_person ({columns}) VALUES ({', '.join(['%s'] * 14)})",  # noqa: S608
                people,
            )
        cursor.execute(
            "INSERT INTO org_assignment (person_id, org_unit_id, job_role_id, job_title, valid_from)"
            " SELECT id, org_unit_id, job_role_id, job_title, hire_date FROM org_person"
        )
    elapsed = time.perf_counter() - started
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM org_assignment")
        cursor.execute("DELETE FROM org_person")
    return elapsed, len(people)


def full_import(path: Path, *, preview_first: bool = False) -> tuple[float, dict[str, Any], dict[str, float]]:
    """One import as `tandem import` runs it (check and write in one pass), or as the page does
    (preview, then confirm, which checks again because the data may have changed in between)."""
    from tandem.imports.services import (
        import_run_confirm,
        import_run_create,
        import_run_import,
        import_run_validate,
    )

    phases: dict[str, float] = {}
    last: list[Any] = [time.perf_counter(), "Reading the file"]

    def progress(phase: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if phase != last[1]:
            phases[last[1]] = phases.get(last[1], 0.0) + now - last[0]
            last[:] = [now, phase]

    started = time.perf_counter()
    run = import_run_create(actor_id=None, kind="people", filename=path.name, content=path.read_bytes())
    if preview_first:
        run = import_run_validate(run_id=run.pk, progress=progress)
        run = import_run_confirm(run_id=run.pk, actor_id=None, background=False, progress=progress)
    else:
        run = import_run_import(run_id=run.pk, actor_id=None, progress=progress)
    elapsed = time.perf_counter() - started
    phases[last[1]] = phases.get(last[1], 0.0) + time.perf_counter() - last[0]
    if run.status != "done":
        sys.exit(f"Bench import failed: {run.status} {run.message} {run.errors[:5]}")
    return elapsed, run.summary, phases


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="postgres://... (dropped and recreated)")
    args = parser.parse_args()

    setup_django(args.database_url)
    from django.db import connection

    from tandem.org.models import Assignment, Person

    reference_data()
    path = Path(os.environ["TANDEM_DATA_DIR"]) / "people.csv"
    write_csv(path, args.rows)
    print(f"{connection.vendor}: {args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB CSV")

    raw_seconds, raw_rows = baseline(path)
    print(f"  baseline raw insert (people + assignments): {raw_seconds:7.2f} s  ({raw_rows:,} rows)")

    seconds, summary, phases = full_import(path)
    print(f"  full import, first load (parse+validate+plan+write): {seconds:7.2f} s  {summary}")
    for name, value in phases.items():
        print(f"      {name:<20} {value:6.2f} s")
    assert Person.objects.count() == args.rows and Assignment.objects.count() == args.rows

    again, summary, _ = full_import(path)
    print(f"  re-import of the same file (all unchanged):         {again:7.2f} s  {summary}")
    paged, summary, _ = full_import(path, preview_first=True)
    print(f"  re-import as the page does it (preview + confirm):  {paged:7.2f} s")
    moved_path = path.with_name("people-moves.csv")
    moves = move_teams(path, moved_path, every=10)
    moved, summary, _ = full_import(moved_path)
    print(f"  later file with {moves:,} moves (new assignments):  {moved:7.2f} s  {summary}")
    print(f"  first load / baseline: {seconds / raw_seconds:.1f}x")


def move_teams(source: Path, target: Path, *, every: int) -> int:
    """Copy the file with every n-th person moved to the next team (a re-organisation)."""
    moves = 0
    with source.open(newline="") as src, target.open("w", newline="") as dst:
        reader, writer = csv.reader(src), csv.writer(dst)
        writer.writerow(next(reader))
        for index, row in enumerate(reader):
            if index % every == 0:
                row[4] = f"T{(int(row[4][1:]) + 1) % TEAMS:03d}"
                moves += 1
            writer.writerow(row)
    return moves


if __name__ == "__main__":
    main()
