"""Writes for metric definitions and observations. Any app records KPIs through these."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Collection, Iterable
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from tandem.audit.services import audit_record
from tandem.core.bulk import bulk_insert_rows
from tandem.core.scope import DomainError
from tandem.metrics.models import MetricDefinition, MetricObservation, MetricSeries
from tandem.metrics.records import ObservationRow
from tandem.org.models import OrgUnit, Person

BATCH = 2000


CODE_RE = re.compile(r"^[-a-zA-Z0-9_]{1,60}$")
MAX_DECIMALS = 6


def metric_definition_check(
    *, code: str, name: str, unit: str, grain: str, direction: str, frequency: str, decimals: int
) -> None:
    if not CODE_RE.match(code):
        raise DomainError("The code must be 1 to 60 letters, digits, hyphens or underscores, e.g. cx-csat")
    if not name.strip():
        raise DomainError("Give the metric a name")
    if not unit.strip():
        raise DomainError("Give the unit values are in, e.g. %, tickets, EUR")
    for value, choices, what in (
        (grain, MetricDefinition.Grain, "grain"),
        (direction, MetricDefinition.Direction, "direction"),
        (frequency, MetricDefinition.Frequency, "frequency"),
    ):
        if value not in choices.values:
            raise DomainError(f"Unknown {what} {value!r}: use one of {', '.join(choices.values)}")
    if not 0 <= decimals <= MAX_DECIMALS:
        raise DomainError(f"Decimals is a whole number from 0 to {MAX_DECIMALS}")


@transaction.atomic
def metric_define(
    *,
    actor_id: int | None,
    code: str,
    name: str,
    unit: str,
    grain: str,
    direction: str = MetricDefinition.Direction.UP,
    frequency: str = MetricDefinition.Frequency.MONTHLY,
    description: str = "",
    decimals: int = 1,
) -> MetricDefinition:
    """Create or update a metric definition by code (idempotent).

    A change of grain or frequency rebuilds the metric's monthly series (MetricSeries) in the same
    transaction, so the program panel never reads series of a grain the metric no longer has.
    """
    metric_definition_check(
        code=code,
        name=name,
        unit=unit,
        grain=grain,
        direction=direction,
        frequency=frequency,
        decimals=decimals,
    )
    values = {
        "name": name,
        "unit": unit,
        "grain": grain,
        "direction": direction,
        "frequency": frequency,
        "description": description,
        "decimals": decimals,
    }
    # Locked: a grain or frequency change rebuilds the series, which must not interleave with an import.
    metric = MetricDefinition.objects.select_for_update().filter(code=code).first()
    if metric is None:
        metric = MetricDefinition.objects.create(code=code, **values)
        audit_record(
            actor_id=actor_id,
            action="create",
            entity_type="metric",
            entity_id=metric.pk,
            entity_label=name,
            changes={"code": code, **values},
        )
        return metric
    diffs = {
        key: [getattr(metric, key), value] for key, value in values.items() if getattr(metric, key) != value
    }
    if diffs:
        for key, value in values.items():
            setattr(metric, key, value)
        metric.save()
        if "grain" in diffs or "frequency" in diffs:
            # Series exist for person-grain monthly metrics only: build or drop them with the change.
            metric_series_rebuild(metric_ids=[metric.pk])
        audit_record(
            actor_id=actor_id,
            action="update",
            entity_type="metric",
            entity_id=metric.pk,
            entity_label=name,
            changes=diffs,
        )
    return metric


def metric_create(
    *,
    actor_id: int | None,
    code: str,
    name: str,
    unit: str,
    grain: str,
    direction: str,
    frequency: str,
    description: str = "",
    decimals: int = 1,
) -> MetricDefinition:
    """A new metric definition; refuses a code in use (metric_define would silently change that one)."""
    if MetricDefinition.objects.filter(code=code).exists():
        raise DomainError(f"A metric with code {code!r} already exists")
    return metric_define(
        actor_id=actor_id,
        code=code,
        name=name,
        unit=unit,
        grain=grain,
        direction=direction,
        frequency=frequency,
        description=description,
        decimals=decimals,
    )


def metric_update(
    *,
    actor_id: int | None,
    code: str,
    name: str,
    unit: str,
    grain: str,
    direction: str,
    frequency: str,
    description: str,
    decimals: int,
) -> MetricDefinition:
    """Change an existing metric definition (the code stays); grain or frequency changes rebuild its series."""
    if not MetricDefinition.objects.filter(code=code).exists():
        raise DomainError(f"Unknown metric {code!r}")
    return metric_define(
        actor_id=actor_id,
        code=code,
        name=name,
        unit=unit,
        grain=grain,
        direction=direction,
        frequency=frequency,
        description=description,
        decimals=decimals,
    )


def entity_key_for(kind: str, entity_id: int | None) -> str:
    if kind == "company":
        return "company"
    prefix = {"person": "person", "org_unit": "org"}[kind]
    return f"{prefix}:{entity_id}"


@transaction.atomic
def metric_observations_upsert(
    *, rows: Iterable[ObservationRow], actor_id: int | None, source: str, audit: bool = True
) -> dict[str, int]:
    """Insert new observations and update changed values (one value per metric × entity × period).

    Returns counts {"create", "update", "unchanged"}. Raises DomainError on unknown references.
    """
    rows = list(rows)
    metrics = dict(MetricDefinition.objects.values_list("code", "id"))
    units = dict(OrgUnit.objects.values_list("code", "id"))
    people = dict(Person.objects.order_by().values_list("employee_id", "id"))
    resolved: dict[tuple[int, str, dt.date], tuple[float, int | None, int | None]] = {}
    for row in rows:
        if row.metric_code not in metrics:
            raise DomainError(f"Unknown metric {row.metric_code!r}")
        person_id = org_unit_id = None
        if row.entity_kind == "person":
            person_id = people.get(row.entity_code)
            if person_id is None:
                raise DomainError(f"Unknown employee id {row.entity_code!r}")
            key = entity_key_for("person", person_id)
        elif row.entity_kind == "org_unit":
            org_unit_id = units.get(row.entity_code)
            if org_unit_id is None:
                raise DomainError(f"Unknown org unit {row.entity_code!r}")
            key = entity_key_for("org_unit", org_unit_id)
        else:
            key = "company"
        resolved[(metrics[row.metric_code], key, row.period_start)] = (row.value, person_id, org_unit_id)

    metric_ids = {metric_id for metric_id, _, _ in resolved}
    # Writers of the same metric take turns (PostgreSQL; SQLite has one writer anyway). Without it, two
    # imports creating the same observation or series row both read "absent", and the second insert fails
    # on the unique constraint; with it, the second reads what the first committed and merges into it.
    # Locked in id order, so two imports of overlapping metrics cannot deadlock.
    list(
        MetricDefinition.objects.select_for_update()
        .filter(pk__in=metric_ids)
        .order_by("pk")
        .values_list("pk")
    )
    existing = {
        (o.metric_id, o.entity_key, o.period_start): o
        for o in MetricObservation.objects.filter(metric_id__in=metric_ids)
        .order_by()
        .only("id", "metric_id", "entity_key", "period_start", "value")
    }
    creates: list[MetricObservation] = []
    updates: list[MetricObservation] = []
    unchanged = 0
    for (metric_id, key, period), (value, person_id, org_unit_id) in resolved.items():
        current = existing.get((metric_id, key, period))
        if current is None:
            creates.append(
                MetricObservation(
                    metric_id=metric_id,
                    entity_key=key,
                    period_start=period,
                    value=value,
                    person_id=person_id,
                    org_unit_id=org_unit_id,
                    source=source,
                )
            )
        elif current.value != value:
            current.value = value
            current.source = source
            updates.append(current)
        else:
            unchanged += 1
    MetricObservation.objects.bulk_create(creates, batch_size=BATCH)
    MetricObservation.objects.bulk_update(updates, ["value", "source"], batch_size=BATCH)
    touched: dict[int, set[int]] = {}
    for observation in (*creates, *updates):
        if observation.person_id is not None:
            touched.setdefault(observation.metric_id, set()).add(observation.person_id)
    for metric_id, person_ids in touched.items():
        metric_series_rebuild(metric_ids=[metric_id], person_ids=person_ids)
    counts = {"create": len(creates), "update": len(updates), "unchanged": unchanged}
    if audit and (creates or updates):
        audit_record(
            actor_id=actor_id,
            action="import" if source != "manual" else "update",
            entity_type="metric_observation",
            entity_id="",
            entity_label=source,
            changes=counts,
            summary=f"{len(creates)} new and {len(updates)} changed observations",
        )
    return counts


# --- monthly series (MetricSeries) ----------------------------------------------------------------------

# Month number (year * 12 + month - 1) of period_start, and "dated on the 1st", per database.
_MONTH_SQL = {
    "postgresql": (
        "(EXTRACT(YEAR FROM period_start) * 12 + EXTRACT(MONTH FROM period_start) - 1)::int",
        "EXTRACT(DAY FROM period_start) = 1",
    ),
    "sqlite": (
        "CAST(substr(period_start, 1, 4) AS INTEGER) * 12 + CAST(substr(period_start, 6, 2) AS INTEGER) - 1",
        "substr(period_start, 9, 2) = '01'",
    ),
}
SERIES_FETCH = 200_000


def _people_filter() -> str:
    # One parameter for any number of people (SQLite caps parameters at 32,766).
    return "= ANY(%s)" if connection.vendor == "postgresql" else "IN (SELECT value FROM json_each(%s))"


def _people_param(person_ids: Collection[int]) -> Any:
    ids = sorted(person_ids)
    return ids if connection.vendor == "postgresql" else json.dumps(ids)


def series_rows(*, metric_id: int, person_ids: Collection[int] | None) -> list[tuple[Any, ...]]:
    """MetricSeries rows (metric_id, person_id, first_month, months, values_f8) built from the metric's
    observations dated on the 1st of a month, for the given people (None: everyone). One ordered read;
    the blobs are cut from one numpy array."""
    month, on_first = _MONTH_SQL["postgresql" if connection.vendor == "postgresql" else "sqlite"]
    sql = (
        f"SELECT person_id, {month}, value FROM metrics_metricobservation "  # noqa: S608 (constants only)
        f"WHERE metric_id = %s AND person_id IS NOT NULL AND {on_first}"
    )
    params: list[Any] = [metric_id]
    if person_ids is not None:
        sql += " AND person_id " + _people_filter()
        params.append(_people_param(person_ids))
    chunks: list[np.ndarray] = []
    with connection.cursor() as cursor:
        cursor.execute(sql + " ORDER BY person_id, period_start", params)
        while batch := cursor.fetchmany(SERIES_FETCH):
            chunks.append(np.array(batch, dtype=np.float64))
    if not chunks:
        return []
    table = np.concatenate(chunks)
    person = table[:, 0].astype(np.int64)
    month_no = table[:, 1].astype(np.int64)
    starts = np.flatnonzero(np.r_[True, person[1:] != person[:-1]])
    ends = np.r_[starts[1:], len(person)]
    first = month_no[starts]
    counts = month_no[ends - 1] - first + 1
    base = np.r_[0, np.cumsum(counts)[:-1]]
    group = np.repeat(np.arange(len(starts)), ends - starts)
    flat = np.full(int(counts.sum()), np.nan, dtype="<f8")
    # Values go in bit for bit (float64 from the driver's float); empty months stay NaN.
    flat[base[group] + month_no - first[group]] = table[:, 2]
    data = flat.tobytes()
    return [
        (
            metric_id,
            int(p),
            dt.date(int(f) // 12, int(f) % 12 + 1, 1),
            int(n),
            data[8 * int(b) : 8 * (int(b) + int(n))],
        )
        for p, f, n, b in zip(person[starts], first, counts, base, strict=True)
    ]


def series_write(
    *, model: type[Model], metric_id: int, person_ids: Collection[int] | None, build: bool
) -> int:
    """Replace the series of one metric (of the given people, or all) by ones built from its observations
    (or none, when `build` is false). `model` is MetricSeries or its historical form (the data migration)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if person_ids is None:
            cursor.execute(f"DELETE FROM {table} WHERE metric_id = %s", [metric_id])  # noqa: S608
        else:
            cursor.execute(
                f"DELETE FROM {table} WHERE metric_id = %s AND person_id " + _people_filter(),  # noqa: S608
                [metric_id, _people_param(person_ids)],
            )
    if not build:
        return 0
    now = timezone.now()
    return bulk_insert_rows(
        model=model,
        fields=["metric_id", "person_id", "first_month", "months", "values_f8", "updated_at"],
        rows=((*row, now) for row in series_rows(metric_id=metric_id, person_ids=person_ids)),
        prepared=["values_f8"],
    )


def metric_series_rebuild(*, metric_ids: Collection[int], person_ids: Collection[int] | None = None) -> int:
    """Rewrite the monthly series of these metrics (for these people, or everyone) from the observations.

    Call in the transaction that wrote the observations. Only person-grain monthly metrics keep series;
    the series of any other metric are removed. Returns the number of series written.
    """
    eligible = set(
        MetricDefinition.objects.filter(
            pk__in=list(metric_ids),
            grain=MetricDefinition.Grain.PERSON,
            frequency=MetricDefinition.Frequency.MONTHLY,
        ).values_list("pk", flat=True)
    )
    return sum(
        series_write(
            model=MetricSeries, metric_id=metric_id, person_ids=person_ids, build=metric_id in eligible
        )
        for metric_id in sorted(set(metric_ids))
    )
