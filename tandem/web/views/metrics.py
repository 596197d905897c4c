"""Metric definitions and values over time, limited by scope and the minimum group size."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import viewer_require
from tandem.core.charts import Series, line_chart_svg, sparkline_svg
from tandem.core.dates import today
from tandem.metrics.models import MetricDefinition
from tandem.metrics.selectors import (
    MetricSeries,
    OrgUnitOption,
    metric_company_series,
    metric_get,
    metric_list,
    metric_org_unit_options,
    metric_person_values,
    metric_person_values_allowed,
    metric_unit_series,
    metric_visible_org_unit_ids,
    min_group_size,
)
from tandem.org.models import OrgUnit
from tandem.org.selectors import org_unit_descendant_ids
from tandem.web.viewer import viewer_of
from tandem.web.views.metrics_edit import urlpatterns as edit_urls

HISTORY_DAYS = 2 * 365
MAX_LINES = 8
PEOPLE_LIMIT = 200
PEOPLE_LIMIT_UNFILTERED = 50  # a short sample until an org unit is chosen


def _since() -> dt.date:
    return today() - dt.timedelta(days=HISTORY_DAYS)


def metrics(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    viewer_require(viewer=viewer, capability=Capability.VIEW_METRICS)
    definitions = list(metric_list())
    company = metric_company_series(metrics=definitions, since=_since())
    rows = []
    for metric in definitions:
        series = company[metric.pk]
        rows.append(
            {
                "metric": metric,
                "series": series,
                "latest": series.latest,
                "chart": sparkline_svg(
                    points=series.chart_points, description=f"{metric.name}: {series.label}"
                ),
            }
        )
    context = {"rows": rows, "can_edit": viewer.can(Capability.MANAGE_METRICS)}
    return render(request, "web/metrics/list.html", context)


def _chart_units(
    *, options: list[OrgUnitOption], selected: OrgUnitOption | None, has_company_line: bool
) -> list[OrgUnitOption]:
    """The selected unit and the units right below it; by default the top of what the viewer sees."""
    if selected is not None:
        return [selected, *[o for o in options if o.parent_id == selected.id]][:MAX_LINES]
    if has_company_line:
        # The company unit would repeat the company line.
        options = [o for o in options if o.kind != OrgUnit.Kind.COMPANY]
    if not options:
        return []
    top = min(o.depth for o in options)
    tops = [o for o in options if o.depth == top]
    if len(tops) == 1:
        return [tops[0], *[o for o in options if o.parent_id == tops[0].id]][:MAX_LINES]
    return tops[:MAX_LINES]


def _table(*, lines: list[MetricSeries]) -> list[dict[str, object]]:
    periods = sorted({p.period_start for line in lines for p in line.points}, reverse=True)
    return [{"period": period, "cells": [line.at(period) for line in lines]} for period in periods]


def metric_detail(request: HttpRequest, code: str) -> HttpResponse:
    viewer = viewer_of(request)
    viewer_require(viewer=viewer, capability=Capability.VIEW_METRICS)
    metric = metric_get(code=code)
    since = _since()
    visible = metric_visible_org_unit_ids(scope=viewer.scope, self_person_id=viewer.person_id)
    options = metric_org_unit_options(metric=metric, visible=visible)
    selected_code = request.GET.get("org_unit", "")
    selected = next((o for o in options if o.code == selected_code), None)
    company = metric_company_series(metrics=[metric], since=since)[metric.pk]
    chosen = _chart_units(options=options, selected=selected, has_company_line=bool(company.points))
    units = metric_unit_series(metric=metric, org_unit_ids=[o.id for o in chosen], since=since)
    lines = [line for line in [company, *units] if line.points]
    chart = line_chart_svg(
        series=[Series(name=line.label, points=line.chart_points) for line in lines],
        y_title=metric.unit,
        width=720,
        height=260,
        description=f"{metric.name} over time",
    )
    person_values = []
    show_people = metric.grain == MetricDefinition.Grain.PERSON and metric_person_values_allowed(
        scope=viewer.scope
    )
    if show_people:
        person_values = metric_person_values(
            metric=metric,
            scope=viewer.scope,
            self_person_id=viewer.person_id,
            org_unit_ids=org_unit_descendant_ids(org_unit_ids={selected.id}) if selected else None,
            limit=PEOPLE_LIMIT if selected else PEOPLE_LIMIT_UNFILTERED,
        )
    context = {
        "metric": metric,
        "options": options,
        "selected": selected,
        "chart": chart,
        "lines": lines,
        "table": _table(lines=lines),
        "person_values": person_values,
        "show_people": show_people,
        "people_limit": PEOPLE_LIMIT if selected else PEOPLE_LIMIT_UNFILTERED,
        "min_group": min_group_size(),
        "is_person_grain": metric.grain == MetricDefinition.Grain.PERSON,
        "can_edit": viewer.can(Capability.MANAGE_METRICS),
    }
    return render(request, "web/metrics/detail.html", context)


urlpatterns = [
    *edit_urls,
    path("", metrics, name="metrics"),
    path("<slug:code>/", metric_detail, name="metric_detail"),
]
