"""Initiative endpoints: the goals and their metrics' baseline, latest value and target."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from tandem.accounts.permissions import Capability
from tandem.api.common import choices, viewer_with
from tandem.core.dates import today
from tandem.initiatives.models import Initiative
from tandem.initiatives.selectors import initiative_list

router = Router()


class InitiativeMetricOut(Schema):
    metric: str
    name: str
    unit: str
    baseline: float | None = Field(
        description="Measured: the mean of the three values up to baseline_date on the line; else as entered"
    )
    baseline_source: str = Field(description="measured, entered, or empty when there is no baseline")
    baseline_date: dt.date | None
    target: float | None
    target_date: dt.date | None
    now: float | None = Field(description="The mean of the line's last three values (progress uses it)")
    latest: float | None = Field(description="The line's last single value")
    latest_period: dt.date | None
    measured_at: str | None = Field(
        description="Org unit code the link is measured at; null: the company line"
    )
    series: str = Field(description="Which line the figures come from (the company line outside your scope)")
    progress: float | None = Field(description="(now - baseline) / (target - baseline); 1 = target reached")


class InitiativeOut(Schema):
    code: str
    name: str
    description: str
    status: str = Field(description="As shown: cancelled or completed when decided, otherwise from the dates")
    start_date: dt.date
    end_date: dt.date
    owner: str | None
    owner_name: str | None
    sponsor_org_unit: str | None
    metrics: list[InitiativeMetricOut]


InitiativeStatus = Annotated[Initiative.Status, choices(Initiative.Status, title="InitiativeStatus")]


class InitiativeFilters(Schema):
    status: InitiativeStatus | None = None


@router.get("", response=list[InitiativeOut], summary="Initiatives with metric progress")
def initiatives(request: HttpRequest, filters: Query[InitiativeFilters]) -> list[InitiativeOut]:
    viewer = viewer_with(request=request, capability=Capability.VIEW_INITIATIVES)
    items = initiative_list(
        scope=viewer.scope,
        self_person_id=viewer.person_id,
        status=filters.status or "",
        since=today() - dt.timedelta(days=3 * 365),
    )
    return [
        InitiativeOut(
            code=item.code,
            name=item.name,
            description=item.description,
            status=item.status,
            start_date=item.start_date,
            end_date=item.end_date,
            owner=item.owner_employee_id,
            owner_name=item.owner_name,
            sponsor_org_unit=item.sponsor_code,
            metrics=[
                InitiativeMetricOut(
                    metric=p.metric_code,
                    name=p.metric_name,
                    unit=p.unit,
                    baseline=p.baseline,
                    baseline_source=p.baseline_source,
                    baseline_date=p.baseline_date,
                    target=p.target,
                    target_date=p.target_date,
                    now=p.now.value if p.now else None,
                    latest=p.latest.value if p.latest else None,
                    latest_period=p.latest.period_start if p.latest else None,
                    measured_at=p.measured_at_code,
                    series=p.series.label,
                    progress=p.progress,
                )
                for p in item.metrics
            ],
        )
        for item in items
    ]
