"""The person × month panel of a program's metric: the SQL that reads it and the grids the estimates
use. Split from tandem.impact.selectors because it is read (and tuned) on its own: it is the one read
that touches millions of observation rows.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3
from collections import defaultdict
from itertools import pairwise

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Max

from tandem.core.scope import AccessDenied, DomainError
from tandem.impact.models import (
    Cohort,
    ComparisonMember,
    Participant,
)
from tandem.impact.records import (
    PanelMatrix,
    ProgramPanel,
    month_ordinal,
    ordinal_month,
)
from tandem.metrics.models import MetricDefinition, MetricObservation
from tandem.org.models import Assignment


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def program_panel(
    *,
    program_id: int,
    metric_code: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
    months_before: int = 12,
    include_comparison: bool = True,
) -> ProgramPanel:
    """Person × month panel of a person-grain metric for the program's participants and comparison people.

    Months run from `start` (default: `months_before` months before the first cohort start) to `end`
    (default: the last month with an observation). Values of finer-grained metrics are averaged per
    month. The cluster is the org unit at the person's reference date (their cohort start, or their
    group's date for comparison people). Four queries.
    """
    metric = MetricDefinition.objects.filter(code=metric_code).first()
    if metric is None:
        raise AccessDenied(f"No metric {metric_code}")
    if metric.grain != MetricDefinition.Grain.PERSON:
        raise DomainError(f"Metric {metric_code} is not measured per person")
    treated: dict[int, dt.date] = {
        person_id: cohort_start
        for person_id, cohort_start in Participant.objects.filter(program_id=program_id)
        .order_by()
        .values_list("person_id", "cohort__start_date")
    }
    reference: dict[int, dt.date] = dict(treated)
    comparison: dict[int, dt.date] = {}
    if include_comparison:
        for person_id, as_of in (
            # Only current groups: a superseded group is kept for comparison, never estimated with.
            ComparisonMember.objects.filter(group__program_id=program_id, group__superseded_at__isnull=True)
            .order_by("group__as_of")
            .values_list("person_id", "group__as_of")
        ):
            if person_id not in treated:
                comparison.setdefault(person_id, as_of)
    reference.update(comparison)
    starts = sorted(treated.values())
    first = start or (_add_months(_month(starts[0]), -months_before) if starts else None)
    observations = MetricObservation.objects.filter(metric=metric, person_id__in=list(reference)).order_by()
    if first is not None:
        observations = observations.filter(period_start__gte=_month(first))
    if end is not None:
        observations = observations.filter(period_start__lt=_add_months(_month(end), 1))
    sums: dict[tuple[int, dt.date], list[float]] = defaultdict(list)
    for person_id, period, value in observations.values_list("person_id", "period_start", "value"):
        sums[(person_id, _month(period))].append(value)
    # Where each person sat on their reference date; a dated join is one query for all of them.
    units: dict[int, int] = {}
    if reference:
        for person_id, unit_id, valid_from, valid_to in (
            Assignment.objects.filter(person_id__in=list(reference))
            .order_by("person_id", "valid_from")
            .values_list("person_id", "org_unit_id", "valid_from", "valid_to")
        ):
            on = reference[person_id]
            if valid_from <= on and (valid_to is None or valid_to > on):
                units[person_id] = unit_id
    keys = sorted(sums, key=lambda key: (key[0], key[1]))
    observed_months = sorted({month for _, month in keys})
    if observed_months:
        low = _month(first) if first else observed_months[0]
        high = _month(end) if end else observed_months[-1]
        months: list[dt.date] = []
        cursor = low
        while cursor <= high:
            months.append(cursor)
            cursor = _add_months(cursor, 1)
    else:
        months = []
    people = {person_id for person_id, _ in keys}
    return ProgramPanel(
        metric_code=metric_code,
        months=tuple(months),
        person_id=tuple(p for p, _ in keys),
        period=tuple(m for _, m in keys),
        outcome=tuple(sum(sums[key]) / len(sums[key]) for key in keys),
        first_treated=tuple(_month(treated[p]) if p in treated else None for p, _ in keys),
        org_unit_id=tuple(units.get(p) for p, _ in keys),
        treated_people=len(people & set(treated)),
        comparison_people=len(people & set(comparison)),
    )


# Participants and comparison people of one program (parameters: the program id twice).
_REFERENCE_PEOPLE = (
    "SELECT person_id FROM impact_participant WHERE program_id = %s UNION "
    "SELECT m.person_id FROM impact_comparisonmember m "
    "JOIN impact_comparisongroup g ON g.id = m.group_id WHERE g.program_id = %s AND g.superseded_at IS NULL"
)
# One column per month: the mean of the person's values in it (NULL when none). Parameters: each month's
# start and the next month's start, then the metric, the window and the program id twice.
_MONTH_COLUMN = "AVG(CASE WHEN period_start >= %s AND period_start < %s THEN value END)"


def _panel_sql(months: int) -> str:
    columns = ", ".join([_MONTH_COLUMN] * months)
    if connection.vendor == "postgresql":
        # One text for all people (a line each, empty field = no value): one message instead of 110,000
        # COPY rows through Python. float8 prints its shortest exact form, so values stay bit for bit.
        return (
            "SELECT string_agg(line, E'\\n') FROM (SELECT person_id::text || ',' || "  # noqa: S608
            "array_to_string(ARRAY[" + columns + "]::float8[], ',', '') AS line "
            "FROM metrics_metricobservation WHERE metric_id = %s AND period_start >= %s "
            "AND period_start < %s AND person_id IN (" + _REFERENCE_PEOPLE + ") GROUP BY person_id) AS rows"
        )
    return (
        "SELECT person_id, " + columns + " FROM metrics_metricobservation "  # noqa: S608 (constants only)
        "WHERE metric_id = %s AND period_start >= %s AND period_start < %s "
        "AND person_id IN (" + _REFERENCE_PEOPLE + ") GROUP BY person_id ORDER BY person_id"
    )


# Off the 1st: any value of the metric dated inside a month of the window rather than on its first day (then
# a month may hold several values, to be averaged: the pivot above does that). One index seek per month.
_OFF_FIRST = (
    "EXISTS (SELECT 1 FROM metrics_metricobservation WHERE metric_id = %s AND period_start > %s "
    "AND period_start < %s)"
)
# Per person: the number of values in the window and their texts in month order, read from the index on
# (person, metric, period_start, value) alone. SQLite 3.44+ takes ORDER BY inside group_concat; older versions
# concatenate in scan order, which for this GROUP BY is that index (tests/impact/test_panel.py checks the
# plan). printf %!.17g keeps every bit of the value. Parameters: metric, window, program id twice.
_SQLITE_ORDERED = sqlite3.sqlite_version_info >= (3, 44, 0)
_PANEL_SQLITE = (
    "SELECT person_id, COUNT(*), group_concat(printf('%%!.17g', value)"
    + (", ',' ORDER BY period_start) " if _SQLITE_ORDERED else ") ")
    + "FROM metrics_metricobservation WHERE metric_id = %s AND period_start >= %s AND period_start < %s "
    "AND person_id IN (" + _REFERENCE_PEOPLE + ") GROUP BY person_id ORDER BY person_id"
)
# PostgreSQL: one text line "person,value,...": for everyone with a value every month (float8 prints its
# shortest exact form), and the ids of the others. One message instead of 110,000 rows through Python.
# The aggregates read a subquery sorted by month, which the index scan already delivers in that order
# (PostgreSQL documents this form; ORDER BY inside string_agg sorted each person again, +50%).
# Parameters: the number of months twice, then as _PANEL_SQLITE.
_PANEL_POSTGRES = (
    "SELECT string_agg(person_id::text || ',' || line, E'\\n') FILTER (WHERE n = %s), "  # noqa: S608
    "array_agg(person_id) FILTER (WHERE n < %s) FROM (SELECT person_id, COUNT(*) AS n, "
    "string_agg(value::text, ',') AS line FROM (SELECT person_id, value FROM metrics_metricobservation "
    "WHERE metric_id = %s AND period_start >= %s AND period_start < %s "
    "AND person_id IN (" + _REFERENCE_PEOPLE + ") ORDER BY person_id, period_start) AS sorted "
    "GROUP BY person_id) AS per_person"
)


def _partial_rows(*, metric_id: int, months: list[dt.date], people: list[int]) -> np.ndarray:
    """Grid rows (as _panel_grid) of people with a value in only some months: their few rows one by one."""
    grid = np.full((len(people), len(months) + 1), np.nan)
    grid[:, 0] = people
    if not people:
        return grid
    row = {person_id: i for i, person_id in enumerate(people)}
    column = {month.isoformat()[:7]: j + 1 for j, month in enumerate(months)}
    # One parameter for any number of people (SQLite caps parameters at 32,766).
    among = "= ANY(%s)" if connection.vendor == "postgresql" else "IN (SELECT value FROM json_each(%s))"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT person_id, period_start, value FROM metrics_metricobservation "  # noqa: S608
            "WHERE metric_id = %s AND period_start >= %s AND period_start < %s AND person_id " + among,
            [
                metric_id,
                months[0].isoformat(),
                _add_months(months[-1], 1).isoformat(),
                people if connection.vendor == "postgresql" else json.dumps(people),
            ],
        )
        for person_id, period, value in cursor.fetchall():
            grid[row[person_id], column[str(period)[:7]]] = value
    return grid


# The program's people's monthly series (tandem.metrics MetricSeries), with each series' first month
# counted from the window's first month. Parameters: that month's number (year * 12 + month - 1), the
# metric, the program id twice.
_SERIES_OFFSET = {
    # date_part (double) rather than EXTRACT (numeric): about half the time per row.
    "postgresql": "(date_part('year', first_month) * 12 + date_part('month', first_month) - 1)::int - %s",
    "sqlite": "CAST(substr(first_month, 1, 4) AS INTEGER) * 12 + CAST(substr(first_month, 6, 2) AS INTEGER)"
    " - 1 - %s",
}


def _grid_from_series(*, metric_id: int, program_id: int, months: list[dt.date]) -> np.ndarray:
    """The grid of _grid_by_person from one blob of monthly values per person (MetricSeries), cut to the
    window with numpy. Only valid when the metric has series and every value in the window is dated on the
    1st of its month (the series hold those values alone)."""
    vendor = "postgresql" if connection.vendor == "postgresql" else "sqlite"
    series = (
        "SELECT person_id, " + _SERIES_OFFSET[vendor] + " AS first_offset, months, values_f8 "
        "FROM metrics_metricseries WHERE metric_id = %s AND person_id IN (" + _REFERENCE_PEOPLE + ")"
    )
    params = [months[0].year * 12 + months[0].month - 1, metric_id, program_id, program_id]
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            # One row in binary form: 21 MB of bytea as hex text took longer to send and decode than the
            # query. The aggregates of one query see the rows in the same order, so arrays and blob line up.
            # A server-binding psycopg cursor on the same connection and transaction (Django's is
            # client-side, text only).
            import psycopg  # only on PostgreSQL

            with psycopg.Cursor(connection.connection) as binary:
                binary.execute(
                    "SELECT array_agg(person_id), array_agg(first_offset), array_agg(months), "  # noqa: S608
                    "string_agg(values_f8, ''::bytea) FROM (" + series + ") AS series",
                    params,
                    binary=True,
                )
                row = binary.fetchone()
            if row is None or row[0] is None:
                return np.zeros((0, len(months) + 1))
            ids, firsts, lengths, blob = row
        else:
            cursor.execute(series, params)
            rows = cursor.fetchall()
            if not rows:
                return np.zeros((0, len(months) + 1))
            ids, firsts, lengths, blobs = zip(*rows, strict=True)
            blob = b"".join(blobs)
    people = np.array(ids, dtype=np.int64)
    offset = np.array(firsts, dtype=np.int64)
    counts = np.array(lengths, dtype=np.int64)
    flat = np.frombuffer(blob, dtype="<f8")
    if (offset == offset[0]).all() and (counts == counts[0]).all():
        # The usual case (everyone's series spans the same months): one reshape and a slice.
        start, width = int(offset[0]), int(counts[0])
        values = np.full((len(people), len(months)), np.nan)
        low, high = max(0, start), min(len(months), start + width)
        if low < high:
            values[:, low:high] = flat.reshape(len(people), width)[:, low - start : high - start]
    else:
        base = np.r_[0, np.cumsum(counts)[:-1]]
        # Position in each person's series of every month of the window; outside the series: no value.
        position = np.arange(len(months))[None, :] - offset[:, None]
        inside = (position >= 0) & (position < counts[:, None])
        # Every series holds at least one month, so index 0 exists.
        values = np.where(inside, flat[np.where(inside, base[:, None] + position, 0)], np.nan)
    # Like the observation path: people with at least one value in the window.
    # (sorted by person id in numpy: cheaper than sorting the blobs in the database).
    kept = np.flatnonzero(~np.isnan(values).all(axis=1))
    kept = kept[np.argsort(people[kept], kind="stable")]
    grid = np.empty((len(kept), len(months) + 1))
    grid[:, 0] = people[kept]
    grid[:, 1:] = values[kept]
    return grid


def _grid_by_person(
    *, metric_id: int, program_id: int, months: list[dt.date], series: bool = False
) -> np.ndarray | None:
    """The grid of _panel_grid from one text of values per person: the database only groups the index
    entries, without a pivot. None when some value is not dated on the 1st of its month. With `series`
    (a person-grain monthly metric) it reads the people's MetricSeries instead, when the metric has them."""
    end = _add_months(months[-1], 1)
    firsts = [*months, end]
    with connection.cursor() as cursor:
        # Also: does the metric have series? (In the same query: no extra round trip on the fallback path.)
        cursor.execute(
            "SELECT (" + " OR ".join([_OFF_FIRST] * len(months)) + "), "  # noqa: S608 (constants only)
            "EXISTS (SELECT 1 FROM metrics_metricseries WHERE metric_id = %s)",
            [
                *(
                    x
                    for low, high in pairwise(firsts)
                    for x in (metric_id, low.isoformat(), high.isoformat())
                ),
                metric_id,
            ],
        )
        off_first, has_series = cursor.fetchone()
        if off_first:
            return None
    if series and has_series:
        return _grid_from_series(metric_id=metric_id, program_id=program_id, months=months)
    with connection.cursor() as cursor:
        window: list[int | str] = [metric_id, months[0].isoformat(), end.isoformat(), program_id, program_id]
        if connection.vendor == "postgresql":
            cursor.execute(_PANEL_POSTGRES, [len(months), len(months), *window])
            text, partial = cursor.fetchone()
            partial = sorted(partial or [])
        else:
            cursor.execute(_PANEL_SQLITE, window)
            rows = cursor.fetchall()
            full = [row for row in rows if row[1] == len(months)]
            partial = [row[0] for row in rows if row[1] != len(months)]
            text = "\n".join(f"{row[0]},{row[2]}" for row in full)
    # One value a month and a value every month: the text is the person's row. pandas' C reader parses
    # the shortest / 17-digit texts exactly, four times faster than float() per value.
    complete = (
        pd.read_csv(io.StringIO(text), header=None, dtype=np.float64, engine="c").to_numpy()
        if text
        else np.zeros((0, len(months) + 1))
    )
    grid = np.concatenate([complete, _partial_rows(metric_id=metric_id, months=months, people=partial)])
    return np.asarray(grid[np.argsort(grid[:, 0], kind="stable")], dtype=np.float64)


def _panel_grid(
    *, metric_id: int, program_id: int, months: list[dt.date], series: bool = False
) -> np.ndarray:
    """Rows: person id, then one mean per month (NaN: no value), for the program's people with a value.

    The database groups 2.6 million observations into 110,000 texts (_grid_by_person); only when a month
    may hold several values does it pivot them to monthly means, returned as one text (PostgreSQL) or
    float tuples (SQLite).
    """
    grid = _grid_by_person(metric_id=metric_id, program_id=program_id, months=months, series=series)
    if grid is not None:
        return grid
    bounds = [*months, _add_months(months[-1], 1)]
    params: list[int | str | dt.date] = [b for pair in pairwise(bounds) for b in pair]
    params += [metric_id, bounds[0], bounds[-1], program_id, program_id]
    sql = _panel_sql(len(months))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            text = cursor.fetchone()[0]
        if not text:
            return np.zeros((0, len(months) + 1))
        grid = pd.read_csv(io.StringIO(text), header=None, dtype=np.float64, engine="c").to_numpy()
        return np.asarray(grid[np.argsort(grid[:, 0], kind="stable")], dtype=np.float64)
    with connection.cursor() as cursor:
        cursor.execute(sql, [b.isoformat() if isinstance(b, dt.date) else b for b in params])
        rows = cursor.fetchall()
    if not rows:
        return np.zeros((0, len(months) + 1))
    return np.array(rows, dtype=np.float64)  # None -> nan


def program_panel_matrix(*, program_id: int, metric_code: str, months_before: int = 12) -> PanelMatrix:
    """The balanced panel of program_panel (same window, people and monthly means) as arrays, for speed:
    10,000 participants and 100,000 comparison people over 24 months in about 0.7 s (PostgreSQL) to 1.3 s
    (SQLite) on a shared 2-core machine (bench/impact.py), against about 45 s for program_panel.

    The database filters (metric, window, the program's people) and groups one row per person, from the
    covering index on (person, metric, period_start, value); Python only keeps the people observed in every
    month. Six queries, one more when someone lacks a month.
    """
    metric = MetricDefinition.objects.filter(code=metric_code).first()
    if metric is None:
        raise AccessDenied(f"No metric {metric_code}")
    if metric.grain != MetricDefinition.Grain.PERSON:
        raise DomainError(f"Metric {metric_code} is not measured per person")
    # Cohort ids, not joined start dates: 10,000 date strings to parse cost more than the query.
    cohort_start = dict(Cohort.objects.filter(program_id=program_id).values_list("pk", "start_date"))
    treated: dict[int, dt.date] = {
        person_id: cohort_start[cohort_id]
        for person_id, cohort_id in Participant.objects.filter(program_id=program_id)
        .order_by()
        .values_list("person_id", "cohort_id")
    }
    empty = PanelMatrix(
        metric_code=metric_code,
        months=(),
        person_id=np.zeros(0, np.int64),
        first_treated=np.zeros(0),
        values=np.zeros((0, 0)),
        observed_treated=0,
        observed_comparison=0,
        starts=frozenset(),
    )
    if not treated:
        return empty
    first = _add_months(_month(min(treated.values())), -months_before)
    last = (
        MetricObservation.objects.filter(metric=metric, period_start__gte=first)
        .order_by()
        .aggregate(last=Max("period_start"))["last"]
    )
    if last is None:
        return empty
    window: list[dt.date] = [first]
    while window[-1] < _month(last):
        window.append(_add_months(window[-1], 1))
    grid = _panel_grid(
        metric_id=metric.pk,
        program_id=program_id,
        months=window,
        series=metric.frequency == MetricDefinition.Frequency.MONTHLY,
    )
    if not len(grid):
        return empty
    people, values = grid[:, 0].astype(np.int64), grid[:, 1:]
    # Months run from the first to the last month in which any of the program's people has a value.
    seen = np.flatnonzero(~np.isnan(values).all(axis=0))
    low, high = int(seen[0]), int(seen[-1])
    values = values[:, low : high + 1]
    full_rows = ~np.isnan(values).any(axis=1)
    kept = people[full_rows]
    # Vectorised lookups (110,000 people): each person's start month as an ordinal, NaN for comparison.
    treated_ids = np.fromiter(treated, dtype=np.int64, count=len(treated))
    treated_start = np.fromiter(
        (month_ordinal(day) for day in treated.values()), dtype=np.float64, count=len(treated)
    )
    order = np.argsort(treated_ids)
    treated_ids, treated_start = treated_ids[order], treated_start[order]
    at = np.minimum(np.searchsorted(treated_ids, people), len(treated_ids) - 1)
    is_treated = treated_ids[at] == people
    first_treated = np.where(is_treated, treated_start[at], np.nan)
    return PanelMatrix(
        metric_code=metric_code,
        months=tuple(window[low : high + 1]),
        person_id=kept,
        first_treated=first_treated[full_rows],
        values=np.ascontiguousarray(values[full_rows]),
        observed_treated=int(is_treated.sum()),
        observed_comparison=int((~is_treated).sum()),
        starts=frozenset(ordinal_month(int(o)) for o in np.unique(first_treated[is_treated])),
    )
