"""Metric endpoints: definitions with their latest company value, and observations in scope."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from tandem.accounts.permissions import Capability
from tandem.api.common import Day, Page, PageParams, viewer_with
from tandem.core.dates import today
from tandem.core.scope import AccessDenied
from tandem.metrics.selectors import (
    metric_company_series,
    metric_get,
    metric_list,
    metric_observation_list,
    metric_visible_org_unit_ids,
    observation_view,
)
from tandem.org.selectors import org_unit_descendant_ids, org_unit_id_for_code

router = Router()


class LatestOut(Schema):
    period_start: dt.date
    value: float
    label: str = Field(description="Company, or how the company figure was derived")


class MetricOut(Schema):
    code: str
    name: str
    description: str
    unit: str
    direction: str
    grain: str
    frequency: str
    decimals: int
    latest_company: LatestOut | None


class ObservationOut(Schema):
    period_start: dt.date
    level: str = Field(description="company, org_unit or person")
    org_unit: str | None
    employee_id: str | None
    value: float
    source: str


class ObservationsPage(Page):
    metric: str
    items: list[ObservationOut]


class ObservationFilters(PageParams):
    org_unit: str = Field("", description="Org unit code; includes the units below it")
    date_from: Day | None = Field(None, alias="from", description="First period start (YYYY-MM-DD)")
    date_to: Day | None = Field(None, alias="to", description="Last period start (YYYY-MM-DD)")
    limit: int = Field(500, ge=1, le=5000, description="How many observations (1-5000)")


@router.get("", response=list[MetricOut], summary="Metric definitions with the latest company value")
def metrics(request: HttpRequest) -> list[MetricOut]:
    viewer_with(request=request, capability=Capability.VIEW_METRICS)
    definitions = list(metric_list())
    company = metric_company_series(metrics=definitions, since=today() - dt.timedelta(days=3 * 365))
    result = []
    for metric in definitions:
        series = company[metric.pk]
        latest = series.latest
        result.append(
            MetricOut(
                code=metric.code,
                name=metric.name,
                description=metric.description,
                unit=metric.unit,
                direction=metric.direction,
                grain=metric.grain,
                frequency=metric.frequency,
                decimals=metric.decimals,
                latest_company=(
                    LatestOut(period_start=latest.period_start, value=latest.value, label=series.label)
                    if latest is not None and latest.value is not None
                    else None
                ),
            )
        )
    return result


@router.get(
    "/{code}/observations",
    response=ObservationsPage,
    summary="Recorded values you may see: company, your org units, people you manage",
)
def observations(request: HttpRequest, code: str, filters: Query[ObservationFilters]) -> ObservationsPage:
    viewer = viewer_with(request=request, capability=Capability.VIEW_METRICS)
    metric = metric_get(code=code)
    unit_ids = None
    if filters.org_unit:
        unit_id = org_unit_id_for_code(code=filters.org_unit)
        visible = metric_visible_org_unit_ids(scope=viewer.scope, self_person_id=viewer.person_id)
        if unit_id is None or (visible is not None and unit_id not in visible):
            raise AccessDenied(f"No org unit {filters.org_unit} in your scope")
        unit_ids = org_unit_descendant_ids(org_unit_ids={unit_id})
    found = metric_observation_list(
        metric=metric,
        scope=viewer.scope,
        self_person_id=viewer.person_id,
        org_unit_ids=unit_ids,
        since=filters.date_from,
        until=filters.date_to,
    )
    limit = filters.limit
    rows = [observation_view(observation=o) for o in found[filters.offset : filters.offset + limit]]
    return ObservationsPage(
        metric=metric.code,
        count=found.count(),
        limit=limit,
        offset=filters.offset,
        items=[
            ObservationOut(
                period_start=row.period_start,
                level=row.level,
                org_unit=row.org_unit_code,
                employee_id=row.employee_id,
                value=row.value,
                source=row.source,
            )
            for row in rows
        ],
    )
