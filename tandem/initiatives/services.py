"""Writes for initiatives and the metrics linked to them: validated, one transaction, audited."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from django.db import transaction

from tandem.audit.services import audit_record
from tandem.core.scope import DomainError
from tandem.initiatives.models import Initiative, InitiativeMetric
from tandem.metrics.models import MetricDefinition
from tandem.org.models import OrgUnit, Person

CODE_RE = re.compile(r"^[-a-zA-Z0-9_]{1,60}$")


def _check(*, code: str, name: str, start_date: dt.date, end_date: dt.date, status: str) -> None:
    if not CODE_RE.match(code):
        raise DomainError(
            "The code must be 1 to 60 letters, digits, hyphens or underscores, e.g. cloud-migration"
        )
    if not name.strip():
        raise DomainError("Give the initiative a name")
    if end_date < start_date:
        raise DomainError("An initiative cannot end before it starts")
    if status not in Initiative.Status.values:
        raise DomainError(f"Unknown status {status!r}: use one of {', '.join(Initiative.Status.values)}")


def _owner(employee_id: str | None) -> Person | None:
    if not employee_id:
        return None
    owner = Person.objects.filter(employee_id=employee_id).first()
    if owner is None:
        raise DomainError(f"No person with employee id {employee_id!r}")
    return owner


def _unit(code: str | None, *, what: str) -> OrgUnit | None:
    if not code:
        return None
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise DomainError(f"Unknown {what} org unit {code!r}")
    return unit


@transaction.atomic
def initiative_create(
    *,
    actor_id: int | None,
    code: str,
    name: str,
    description: str,
    start_date: dt.date,
    end_date: dt.date,
    owner_employee_id: str | None = None,
    sponsor_org_unit_code: str | None = None,
    status: str = Initiative.Status.ACTIVE,
) -> Initiative:
    _check(code=code, name=name, start_date=start_date, end_date=end_date, status=status)
    if Initiative.objects.filter(code=code).exists():
        raise DomainError(f"An initiative with code {code!r} already exists")
    owner = _owner(owner_employee_id)
    sponsor = _unit(sponsor_org_unit_code, what="sponsor")
    initiative = Initiative.objects.create(
        code=code,
        name=name,
        description=description,
        start_date=start_date,
        end_date=end_date,
        owner=owner,
        sponsor_org_unit=sponsor,
        status=status,
    )
    audit_record(
        actor_id=actor_id,
        action="create",
        entity_type="initiative",
        entity_id=initiative.pk,
        entity_label=name,
        changes={
            "code": code,
            "start": start_date.isoformat(),
            "end": end_date.isoformat(),
            "owner": owner_employee_id,
            "sponsor": sponsor_org_unit_code,
            "status": status,
        },
    )
    return initiative


@transaction.atomic
def initiative_update(
    *,
    actor_id: int | None,
    code: str,
    name: str,
    description: str,
    start_date: dt.date,
    end_date: dt.date,
    owner_employee_id: str | None,
    sponsor_org_unit_code: str | None,
    status: str,
) -> Initiative:
    """Replace an initiative's fields (the code stays: pages, programs and exports refer to it)."""
    initiative = (
        Initiative.objects.select_for_update(of=("self",))
        .select_related("owner", "sponsor_org_unit")
        .filter(code=code)
        .first()
    )
    if initiative is None:
        raise DomainError(f"Unknown initiative {code!r}")
    _check(code=code, name=name, start_date=start_date, end_date=end_date, status=status)
    owner = _owner(owner_employee_id)
    sponsor = _unit(sponsor_org_unit_code, what="sponsor")

    def shown(value: Any) -> Any:
        return value.isoformat() if isinstance(value, dt.date) else value

    before = {
        "name": initiative.name,
        "description": initiative.description,
        "start_date": initiative.start_date,
        "end_date": initiative.end_date,
        "owner": initiative.owner.employee_id if initiative.owner else None,
        "sponsor": initiative.sponsor_org_unit.code if initiative.sponsor_org_unit else None,
        "status": initiative.status,
    }
    after = {
        "name": name,
        "description": description,
        "start_date": start_date,
        "end_date": end_date,
        "owner": owner.employee_id if owner else None,
        "sponsor": sponsor.code if sponsor else None,
        "status": status,
    }
    diffs = {key: [shown(before[key]), shown(after[key])] for key in after if before[key] != after[key]}
    if not diffs:
        return initiative
    initiative.name, initiative.description = name, description
    initiative.start_date, initiative.end_date = start_date, end_date
    initiative.owner, initiative.sponsor_org_unit, initiative.status = owner, sponsor, status
    initiative.save()
    audit_record(
        actor_id=actor_id,
        action="update",
        entity_type="initiative",
        entity_id=initiative.pk,
        entity_label=name,
        changes=diffs,
    )
    return initiative


def _finite(value: float | None, *, what: str) -> None:
    if value is not None and not math.isfinite(value):
        raise DomainError(f"The {what} must be a number")


@transaction.atomic
def initiative_metric_link(
    *,
    actor_id: int | None,
    initiative_code: str,
    metric_code: str,
    baseline: float | None = None,
    baseline_date: dt.date | None = None,
    target: float | None = None,
    target_date: dt.date | None = None,
    org_unit_code: str | None = None,
) -> InitiativeMetric:
    """Link a metric to an initiative (or change the link): where it is measured, baseline and target.

    With a baseline date, the baseline shown is measured on the metric's line (see the selectors); the
    entered baseline stands in only where that line has no values up to the date.
    """
    initiative = Initiative.objects.filter(code=initiative_code).first()
    if initiative is None:
        raise DomainError(f"Unknown initiative {initiative_code!r}")
    metric = MetricDefinition.objects.filter(code=metric_code).first()
    if metric is None:
        raise DomainError(f"Unknown metric {metric_code!r}")
    _finite(baseline, what="baseline")
    _finite(target, what="target")
    if baseline is None and baseline_date is None:
        raise DomainError("Give a baseline date (the baseline is then measured), a baseline value, or both")
    if baseline_date and target_date and target_date <= baseline_date:
        raise DomainError("The target date must come after the baseline date")
    unit = _unit(org_unit_code, what="measured")
    if unit is not None and metric.grain == MetricDefinition.Grain.COMPANY:
        raise DomainError(f"{metric.name} is a company-level metric: it has no values per org unit")
    link, created = InitiativeMetric.objects.update_or_create(
        initiative=initiative,
        metric=metric,
        defaults={
            "org_unit": unit,
            "baseline": baseline,
            "baseline_date": baseline_date,
            "target": target,
            "target_date": target_date,
        },
    )
    audit_record(
        actor_id=actor_id,
        action="update",
        entity_type="initiative",
        entity_id=initiative.pk,
        entity_label=initiative.name,
        changes={
            "metric": metric_code,
            "linked" if created else "link changed": True,
            "measured_at": org_unit_code or "company",
            "baseline": baseline,
            "baseline_date": baseline_date.isoformat() if baseline_date else None,
            "target": target,
            "target_date": target_date.isoformat() if target_date else None,
        },
    )
    return link


@transaction.atomic
def initiative_metric_unlink(*, actor_id: int | None, initiative_code: str, metric_code: str) -> None:
    link = (
        InitiativeMetric.objects.select_related("initiative")
        .filter(initiative__code=initiative_code, metric__code=metric_code)
        .first()
    )
    if link is None:
        raise DomainError(f"{metric_code!r} is not linked to initiative {initiative_code!r}")
    link.delete()
    audit_record(
        actor_id=actor_id,
        action="update",
        entity_type="initiative",
        entity_id=link.initiative_id,
        entity_label=link.initiative.name,
        changes={"metric": metric_code, "unlinked": True},
    )
