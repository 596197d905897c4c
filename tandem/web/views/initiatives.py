"""Initiatives: the company's goals and how their metrics move from baseline to target."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.safestring import SafeString

from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import viewer_require
from tandem.core.charts import Rule, Series, line_chart_svg
from tandem.core.dates import today
from tandem.initiatives.models import Initiative
from tandem.initiatives.selectors import InitiativeMetricProgress, initiative_get, initiative_list
from tandem.web.viewer import viewer_of
from tandem.web.views.initiatives_edit import urlpatterns as edit_urls

HISTORY_DAYS = 3 * 365


def _since() -> dt.date:
    return today() - dt.timedelta(days=HISTORY_DAYS)


def initiative_chart(*, progress: InitiativeMetricProgress, width: int = 720) -> SafeString:
    """The metric over time with its baseline and target as dashed lines."""
    rules = []
    if progress.baseline is not None:
        rules.append(
            Rule(label="Baseline", value=progress.baseline, kind="baseline", decimals=progress.decimals)
        )
    if progress.target is not None:
        rules.append(Rule(label="Target", value=progress.target, kind="target", decimals=progress.decimals))
    # The three-period average is drawn too: baseline and progress are read from it, so both can be checked
    # against the chart.
    smoothed = [(p.period_start, p.value) for p in progress.smoothed]
    return line_chart_svg(
        series=[
            Series(name=progress.series.label, points=progress.series.chart_points),
            Series(name="3-period average", points=smoothed),
        ],
        y_title=progress.unit,
        rules=rules,
        width=width,
        description=f"{progress.metric_name} over time, {progress.series.label}, with baseline and target",
    )


def initiatives(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    viewer_require(viewer=viewer, capability=Capability.VIEW_INITIATIVES)
    status = request.GET.get("status", "")
    items = initiative_list(
        scope=viewer.scope,
        self_person_id=viewer.person_id,
        status=status if status in Initiative.Status.values else "",
        since=_since(),
    )
    context = {
        "initiatives": items,
        "status": status,
        "statuses": Initiative.Status.choices,
        "can_edit": viewer.can(Capability.MANAGE_INITIATIVES),
    }
    return render(request, "web/initiatives/list.html", context)


def initiative_detail(request: HttpRequest, code: str) -> HttpResponse:
    viewer = viewer_of(request)
    viewer_require(viewer=viewer, capability=Capability.VIEW_INITIATIVES)
    initiative = initiative_get(
        scope=viewer.scope, code=code, self_person_id=viewer.person_id, since=_since()
    )
    metrics = [{"progress": p, "chart": initiative_chart(progress=p)} for p in initiative.metrics]
    return render(
        request,
        "web/initiatives/detail.html",
        {
            "initiative": initiative,
            "metrics": metrics,
            "can_view_metrics": viewer.can(Capability.VIEW_METRICS),
            "can_edit": viewer.can(Capability.MANAGE_INITIATIVES),
        },
    )


urlpatterns = [
    *edit_urls,
    path("", initiatives, name="initiatives"),
    path("<slug:code>/", initiative_detail, name="initiative_detail"),
]
