"""The organisation tree and org unit pages, limited to the viewer's scope."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import viewer_require
from tandem.core.charts import Bar, Series, bar_chart_svg, line_chart_svg, sparkline_svg
from tandem.core.dates import month_starts, today
from tandem.metrics.selectors import metric_unit_series, org_unit_metric_list
from tandem.org.selectors import (
    headcount_series,
    org_unit_ancestors,
    org_unit_descendant_ids,
    org_unit_detail_allowed,
    org_unit_get,
    org_unit_tree,
    people_flow_by_month,
)
from tandem.web.viewer import viewer_of
from tandem.web.views.org_edit import urlpatterns as edit_urls

MONTHS = 24


def _last_months(*, on: dt.date, count: int) -> list[dt.date]:
    start = on.replace(day=1)
    for _ in range(count - 1):
        start = (start - dt.timedelta(days=1)).replace(day=1)
    return month_starts(start, on)


def org_tree(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    viewer_require(viewer=viewer, capability=Capability.VIEW_ORG)
    nodes = org_unit_tree(scope=viewer.scope, on=today())
    top = min((node.depth for node in nodes), default=0)
    rows = [
        {
            "node": node,
            "indent": node.depth - top,
            "link": org_unit_detail_allowed(scope=viewer.scope, org_unit_id=node.id),
        }
        for node in nodes
    ]
    context = {"rows": rows, "can_edit": viewer.can(Capability.MANAGE_ORG)}
    return render(request, "web/org/tree.html", context)


def org_unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    viewer = viewer_of(request)
    viewer_require(viewer=viewer, capability=Capability.VIEW_ORG)
    unit = org_unit_get(scope=viewer.scope, code=code)
    on = today()
    months = _last_months(on=on, count=MONTHS)
    unit_ids = org_unit_descendant_ids(org_unit_ids={unit.pk})
    nodes = org_unit_tree(scope=viewer.scope, on=on)
    this = next((node for node in nodes if node.id == unit.pk), None)
    children = [node for node in nodes if node.parent_id == unit.pk]
    headcount = headcount_series(months=months, org_unit_ids=unit_ids)
    flow = people_flow_by_month(months=months[-12:], org_unit_ids=unit_ids)
    metrics = []
    since = months[0]
    for metric in org_unit_metric_list(org_unit_id=unit.pk):
        series = metric_unit_series(metric=metric, org_unit_ids=[unit.pk], since=since)
        line = series[0] if series else None
        metrics.append(
            {
                "metric": metric,
                "latest": line.latest if line else None,
                "chart": sparkline_svg(
                    points=line.chart_points if line else [],
                    width=220,
                    height=48,
                    description=f"{metric.name} at {unit.name}",
                ),
            }
        )
    context = {
        "unit": unit,
        "ancestors": [
            {"unit": a, "link": org_unit_detail_allowed(scope=viewer.scope, org_unit_id=a.pk)}
            for a in org_unit_ancestors(org_unit=unit)
            if a.pk != unit.pk
        ],
        "headcount_now": this.headcount if this else (headcount[-1][1] if headcount else 0),
        "children": children,
        "headcount_chart": line_chart_svg(
            series=[Series(name=unit.name, points=[(m, float(n)) for m, n in headcount])],
            y_title="People",
            zero=True,
            description=f"Headcount of {unit.name} over the last {MONTHS} months",
        ),
        "flow_chart": bar_chart_svg(
            bars=[
                bar
                for month, hires, leavers in flow
                for bar in (
                    Bar(category=month.strftime("%b %y"), value=hires, group="Hires"),
                    Bar(category=month.strftime("%b %y"), value=leavers, group="Leavers"),
                )
            ]
            if any(hires or leavers for _, hires, leavers in flow)
            else [],
            y_title="People",
            description=f"Hires and leavers per month in {unit.name}",
            empty_message="No hires or leavers in the last 12 months.",
        ),
        "children_chart": bar_chart_svg(
            bars=[Bar(category=child.name, value=child.headcount) for child in children],
            horizontal=True,
            x_title="",
            y_title="People",
            height=max(60, 26 * len(children)),
            description=f"Headcount of the units in {unit.name}",
        )
        if len(children) > 1
        else None,
        "hires_12m": sum(h for _, h, _ in flow),
        "leavers_12m": sum(x for _, _, x in flow),
        "metrics": metrics,
        "can_edit": viewer.can(Capability.MANAGE_ORG),
    }
    return render(request, "web/org/detail.html", context)


urlpatterns = [
    *edit_urls,
    path("", org_tree, name="org_tree"),
    path("<str:code>/", org_unit_detail, name="org_unit_detail"),
]
