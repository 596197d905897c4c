"""Organisation endpoints: the unit tree in scope and headcount over time."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from tandem.accounts.permissions import Capability
from tandem.api.common import viewer_with
from tandem.core.dates import month_starts, today
from tandem.org.selectors import headcount_series, org_unit_descendant_ids, org_unit_get, org_unit_tree

router = Router()


class OrgUnitOut(Schema):
    code: str
    name: str
    kind: str
    parent: str | None
    depth: int
    cost_centre: str
    headcount: int


class HeadcountPoint(Schema):
    date: dt.date
    headcount: int


class HeadcountParams(Schema):
    months: int = Field(24, ge=1, le=120, description="How many months back, this month included")


class HeadcountOut(Schema):
    code: str
    name: str
    points: list[HeadcountPoint]


@router.get("", response=list[OrgUnitOut], summary="Open org units in your scope, in tree order")
def org_units(request: HttpRequest) -> list[OrgUnitOut]:
    viewer = viewer_with(request=request, capability=Capability.VIEW_ORG)
    nodes = org_unit_tree(scope=viewer.scope, on=today())
    codes = {node.id: node.code for node in nodes}
    return [
        OrgUnitOut(
            code=node.code,
            name=node.name,
            kind=node.kind,
            parent=codes.get(node.parent_id) if node.parent_id else None,
            depth=node.depth,
            cost_centre=node.cost_centre,
            headcount=node.headcount,
        )
        for node in nodes
    ]


@router.get(
    "/{code}/headcount",
    response=HeadcountOut,
    summary="Headcount of the unit (and everything below it) on the first day of each month",
)
def headcount(request: HttpRequest, code: str, params: Query[HeadcountParams]) -> HeadcountOut:
    viewer = viewer_with(request=request, capability=Capability.VIEW_ORG)
    unit = org_unit_get(scope=viewer.scope, code=code)
    count = params.months
    start = today().replace(day=1)
    for _ in range(count - 1):
        start = (start - dt.timedelta(days=1)).replace(day=1)
    series = headcount_series(
        months=month_starts(start, today()), org_unit_ids=org_unit_descendant_ids(org_unit_ids={unit.pk})
    )
    return HeadcountOut(
        code=unit.code,
        name=unit.name,
        points=[HeadcountPoint(date=month, headcount=value) for month, value in series],
    )
