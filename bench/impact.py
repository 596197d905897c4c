"""Benchmark: a program's full impact computation against the bare estimator on the already-built panel.

    .venv/bin/python bench/impact.py [--participants 10000] [--comparison 100000] [--months 24]
                                     [--database-url URL] [--data-dir DIR] [--reuse] [--repeat 3]

Without --database-url: SQLite (a fresh file in a temporary directory, or in --data-dir). With a PostgreSQL URL
the database named in it is dropped and created again (use a bench-only name, e.g. .../bench_impact), unless
--reuse finds the benchmark program already in it (then the data is kept and only the timings run).

Data: participants in four staggered cohorts (3 months apart) plus comparison people, one org unit each out of
200 teams, one person-grain metric observed every month for everyone (level + trend + noise, +2.0 from the
cohort's start month for participants). Written with raw executemany (SQLite) / COPY (PostgreSQL).
Timed in the same run, --repeat rounds of (bare, full, panel) interleaved; median and best of each, and the
median of the per-round full / bare ratios:
  full     tandem.impact.estimates.program_impact_estimate(program_id=..., metric_code=...) from ids, as the
           program page calls it: the panel query, balancing, trends, Callaway-Sant'Anna with the event study,
           cohort effects, pre-trend test, plain-language sentence and ROI
  bare     the estimator calls alone on the panel already in memory (StaggeredData built beforehand):
           att_gt + aggregate(simple, dynamic, group) + pretrend_test
  panel    program_panel_matrix alone (the database part of full)
"""

from __future__ import annotations

import os

# The setting `tandem` applies to every process it starts (tandem/cli.py), before numpy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import datetime as dt
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROGRAM = "bench-impact"
METRIC = "bench-handled"
TEAMS = 200
COHORTS = 4
EFFECT = 2.0
FIRST_MONTH = dt.date(2024, 11, 1)


def recreate_postgres_database(url: str, *, reuse: bool) -> bool:
    """Drop and create the database; with reuse, keep it when it already exists. True if kept."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name or name in {"postgres", "template0", "template1", "test"}:
        sys.exit("Give --database-url a bench-only database name: it is dropped and created again")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if reuse and exists:
            return True
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return False


def setup_django(database_url: str | None, data_dir: str | None, reuse: bool) -> None:
    if data_dir and not database_url and not reuse:
        (Path(data_dir) / "tandem.sqlite3").unlink(missing_ok=True)
    os.environ["TANDEM_DATA_DIR"] = data_dir or tempfile.mkdtemp(prefix="tandem-bench-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    if database_url:
        recreate_postgres_database(database_url, reuse=reuse)
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    began = time.perf_counter()
    # On --reuse data from before metrics 0003 this builds the monthly series (its data migration).
    call_command("migrate", verbosity=0)
    print(f"  migrate: {time.perf_counter() - began:.1f} s", flush=True)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def build(*, participants: int, comparison: int, months: int, seed: int = 11) -> None:
    import numpy as np
    from django.db import connection, transaction

    from tandem.impact.models import ComparisonGroup, Program
    from tandem.impact.services import cohort_create, cost_item_add, program_create, program_metric_set
    from tandem.metrics.services import metric_define, metric_series_rebuild
    from tandem.org.models import OrgUnit
    from tandem.org.services import org_unit_create

    rng = np.random.default_rng(seed)
    began = time.perf_counter()
    start = dt.date(2015, 1, 1)
    org_unit_create(actor_id=None, code="CO", name="Company", kind="company", valid_from=start)
    for t in range(TEAMS):
        org_unit_create(
            actor_id=None, code=f"T{t:03d}", name=f"Team {t}", kind="team", parent_code="CO", valid_from=start
        )
    units = [pk for _, pk in sorted(OrgUnit.objects.filter(kind="team").values_list("code", "id"))]
    metric_define(actor_id=None, code=METRIC, name="Cases handled", unit="cases", grain="person", decimals=1)
    month_list = [add_months(FIRST_MONTH, i) for i in range(months)]
    cohort_starts = [add_months(FIRST_MONTH, 12 + 3 * i) for i in range(COHORTS)]
    program = program_create(
        actor_id=None, code=PROGRAM, name="Benchmark program", start_date=cohort_starts[0]
    )
    program_metric_set(
        actor_id=None,
        program_id=program.pk,
        metric_code=METRIC,
        value_per_unit=Decimal("5"),
        is_primary=True,
    )
    cost_item_add(actor_id=None, program_id=program.pk, kind="vendor_fee", amount=Decimal("250000"))
    cohorts = [
        cohort_create(actor_id=None, program_id=program.pk, name=f"Wave {i + 1}", start_date=s).pk
        for i, s in enumerate(cohort_starts)
    ]
    group = ComparisonGroup.objects.create(program=program, method="explicit", as_of=cohort_starts[0])
    total = participants + comparison
    now = dt.datetime.now(dt.UTC)
    team_of = rng.integers(0, TEAMS, size=total)
    people = [
        (
            f"B{i:07d}",
            "Bench",
            f"Person {i}",
            f"b{i}@bench.example",
            units[int(team_of[i])],
            "2018-01-01",
            "active",
            "full_time",
            "",
            "",
            "",
            now,
            now,
        )
        for i in range(total)
    ]
    person_columns = (
        "employee_id, first_name, last_name, work_email, org_unit_id, hire_date, status, employment_type,"
        " job_title, location, country, created_at, updated_at"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        copy_or_insert(cursor, connection, "org_person", person_columns, people)
        cursor.execute(
            "INSERT INTO org_assignment (person_id, org_unit_id, job_title, valid_from)"
            " SELECT id, org_unit_id, '', hire_date FROM org_person"
        )
        cursor.execute("SELECT id FROM org_person WHERE employee_id LIKE 'B%%' ORDER BY employee_id")
        ids = [row[0] for row in cursor.fetchall()]
        cohort_of = {ids[i]: i * COHORTS // participants for i in range(participants)}
        copy_or_insert(
            cursor,
            connection,
            "impact_participant",
            "program_id, cohort_id, person_id, assigned_by, joined_on",
            [
                (program.pk, cohorts[c], pid, "list", cohort_starts[c].isoformat())
                for pid, c in cohort_of.items()
            ],
        )
        copy_or_insert(
            cursor,
            connection,
            "impact_comparisonmember",
            "group_id, person_id",
            [(group.pk, pid) for pid in ids[participants:]],
        )
        cursor.execute("SELECT id FROM metrics_metricdefinition WHERE code = %s", [METRIC])
        metric_id = cursor.fetchone()[0]
        level = rng.normal(100, 15, size=total)
        start_index = np.array(
            [12 + 3 * (i * COHORTS // participants) if i < participants else 10**6 for i in range(total)]
        )
        rows = []
        for t, month in enumerate(month_list):
            values = level + 0.5 * t + rng.normal(0, 5, size=total) + EFFECT * (t >= start_index)
            period = month.isoformat()
            rows.extend(
                (metric_id, period, pid, f"person:{pid}", round(float(v), 2), "bench", now)
                for pid, v in zip(ids, values.tolist(), strict=True)
            )
        copy_or_insert(
            cursor,
            connection,
            "metrics_metricobservation",
            "metric_id, period_start, person_id, entity_key, value, source, recorded_at",
            rows,
        )
        # What metric_observations_upsert does after its writes, here for every person at once.
        metric_series_rebuild(metric_ids=[metric_id])
        cursor.execute("ANALYZE")
    if connection.vendor == "postgresql":
        # Outside the transaction: the visibility map that index-only scans need, as autovacuum would set
        # on a live table after bulk inserts.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE metrics_metricobservation")
            cursor.execute("VACUUM ANALYZE metrics_metricseries")
    Program.objects.filter(pk=program.pk).update(status="running")
    print(
        f"  built {total:,} people, {len(rows):,} observations in {time.perf_counter() - began:.1f} s",
        flush=True,
    )


def copy_or_insert(cursor, connection, table: str, columns: str, rows: list[tuple]) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join(["%s"] * (columns.count(",") + 1))
    cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608


def timed(function, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    best, result = float("inf"), None
    for _ in range(repeat):
        began = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - began)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--comparison", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--database-url", default=None, help="postgres://.../bench_impact (dropped, recreated)"
    )
    parser.add_argument(
        "--data-dir", default=None, help="data directory for the SQLite file (default: temporary)"
    )
    parser.add_argument("--reuse", action="store_true", help="keep existing benchmark data if present")
    args = parser.parse_args()

    setup_django(args.database_url, args.data_dir, args.reuse)
    from django.conf import settings
    from django.db import connection

    from tandem.impact.estimates import program_impact_estimate
    from tandem.impact.models import Program
    from tandem.impact.panel import program_panel_matrix
    from tandem.impact.stats import aggregate, att_gt, pretrend_test

    settings.TANDEM_MIN_GROUP_SIZE = 5
    if not Program.objects.filter(code=PROGRAM).exists():
        build(participants=args.participants, comparison=args.comparison, months=args.months)
    program_id = Program.objects.get(code=PROGRAM).pk

    def full():  # type: ignore[no-untyped-def]
        return program_impact_estimate(program_id=program_id, metric_code=METRIC)

    panel = program_panel_matrix(program_id=program_id, metric_code=METRIC)
    data = panel.staggered_data()

    def bare():  # type: ignore[no-untyped-def]
        result = att_gt(data=data, control_group="never_treated")
        aggregate(result=result, kind="simple")
        aggregate(result=result, kind="dynamic")
        aggregate(result=result, kind="group")
        return pretrend_test(result=result)

    from tandem.impact import selectors

    grid_by_person = selectors._grid_by_person

    def observations_only(**kwargs):  # type: ignore[no-untyped-def]
        return grid_by_person(**{**kwargs, "series": False})

    def without_series(function):  # type: ignore[no-untyped-def]
        # The same call with the MetricSeries read switched off: the path before the series, same run.
        def run():  # type: ignore[no-untyped-def]
            selectors._grid_by_person = observations_only
            try:
                return function()
            finally:
                selectors._grid_by_person = grid_by_person

        return run

    def panel_call():  # type: ignore[no-untyped-def]
        return program_panel_matrix(program_id=program_id, metric_code=METRIC)

    old_panel = without_series(panel_call)()
    assert panel.person_id.tobytes() == old_panel.person_id.tobytes(), "people differ"
    assert panel.values.tobytes() == old_panel.values.tobytes(), "values differ"
    assert panel.first_treated.tobytes() == old_panel.first_treated.tobytes(), "cohorts differ"
    print("  panel from series == panel from observations, bit for bit", flush=True)

    # Interleaved, so that both see the same moments of a shared machine; best of each and the median of
    # the per-round ratios.
    bares, fulls, panels, ratios = [], [], [], []
    old_fulls, old_panels, old_ratios = [], [], []
    estimate = None
    for _ in range(args.repeat):
        bare_seconds, _ = timed(bare, 1)
        full_seconds, estimate = timed(full, 1)
        panel_seconds, _ = timed(panel_call, 1)
        old_full_seconds, _ = timed(without_series(full), 1)
        old_panel_seconds, _ = timed(without_series(panel_call), 1)
        bares.append(bare_seconds)
        fulls.append(full_seconds)
        panels.append(panel_seconds)
        ratios.append(full_seconds / bare_seconds)
        old_fulls.append(old_full_seconds)
        old_panels.append(old_panel_seconds)
        old_ratios.append(old_full_seconds / bare_seconds)
    assert estimate is not None and estimate.overall is not None, estimate  # type: ignore[attr-defined]
    overall = estimate.overall  # type: ignore[attr-defined]
    print(
        f"{connection.vendor}: {panel.treated_people:,} participants, {panel.comparison_people:,} comparison, "
        f"{len(panel.months)} months, {panel.values.size:,} person-months"
    )
    print(
        f"  effect {overall.estimate:.3f} (95% CI {overall.ci_low:.3f} to {overall.ci_high:.3f}), true {EFFECT}"
    )
    print(f"  rounds: full {[round(x, 2) for x in fulls]}, bare {[round(x, 2) for x in bares]}")
    print(
        f"  rounds: panel {[round(x, 2) for x in panels]}, without series: full "
        f"{[round(x, 2) for x in old_fulls]}, panel {[round(x, 2) for x in old_panels]}"
    )

    def median(values: list[float]) -> float:
        return sorted(values)[len(values) // 2]

    print(
        f"  load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}"
    )
    print("| step | seconds, median | best |")
    print("|---|---:|---:|")
    print(f"| bare estimator on the built panel | {median(bares):.2f} | {min(bares):.2f} |")
    print(f"| full program_impact_estimate from ids | {median(fulls):.2f} | {min(fulls):.2f} |")
    print(f"| – of which the panel query (program_panel_matrix) | {median(panels):.2f} | {min(panels):.2f} |")
    print(
        f"| full / bare, median of rounds / best over best | {median(ratios):.2f}x | {min(fulls) / min(bares):.2f}x |"
    )
    print(f"| without series: full | {median(old_fulls):.2f} | {min(old_fulls):.2f} |")
    print(f"| without series: – of which the panel | {median(old_panels):.2f} | {min(old_panels):.2f} |")
    print(f"| without series: full / bare | {median(old_ratios):.2f}x | {min(old_fulls) / min(bares):.2f}x |")


if __name__ == "__main__":
    main()
