"""Writes for metric definitions and observations. Any app records KPIs through these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction

from tandem.audit.services import audit_record
from tandem.core.scope import DomainError
from tandem.metrics.models import MetricDefinition, MetricObservation
from tandem.metrics.records import ObservationRow
from tandem.org.models import OrgUnit, Person

BATCH = 2000


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
    """Create or update a metric definition by code (idempotent)."""
    values = {
        "name": name,
        "unit": unit,
        "grain": grain,
        "direction": direction,
        "frequency": frequency,
        "description": description,
        "decimals": decimals,
    }
    metric = MetricDefinition.objects.filter(code=code).first()
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
        audit_record(
            actor_id=actor_id,
            action="update",
            entity_type="metric",
            entity_id=metric.pk,
            entity_label=name,
            changes=diffs,
        )
    return metric


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
