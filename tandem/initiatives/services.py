from __future__ import annotations

import datetime as dt

from django.db import transaction

from tandem.audit.services import audit_record
from tandem.core.scope import DomainError
from tandem.initiatives.models import Initiative, InitiativeMetric
from tandem.metrics.models import MetricDefinition
from tandem.org.models import OrgUnit, Person


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
    if end_date < start_date:
        raise DomainError("An initiative cannot end before it starts")
    owner = Person.objects.filter(employee_id=owner_employee_id).first() if owner_employee_id else None
    sponsor = OrgUnit.objects.filter(code=sponsor_org_unit_code).first() if sponsor_org_unit_code else None
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
        },
    )
    return initiative


def initiative_metric_link(
    *,
    actor_id: int | None,
    initiative_code: str,
    metric_code: str,
    baseline: float | None = None,
    baseline_date: dt.date | None = None,
    target: float | None = None,
    target_date: dt.date | None = None,
) -> InitiativeMetric:
    initiative = Initiative.objects.get(code=initiative_code)
    metric = MetricDefinition.objects.get(code=metric_code)
    link, _ = InitiativeMetric.objects.update_or_create(
        initiative=initiative,
        metric=metric,
        defaults={
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
        changes={"metric": metric_code, "baseline": baseline, "target": target},
    )
    return link
