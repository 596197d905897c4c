"""One home page per primary role: what this person needs to see first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.safestring import SafeString

from tandem.accounts.models import Role
from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import Viewer
from tandem.core.charts import Bar, Series, bar_chart_svg, line_chart_svg
from tandem.core.dates import month_starts, today
from tandem.core.scope import PersonScope
from tandem.imports.selectors import import_run_list
from tandem.initiatives.selectors import initiative_list
from tandem.org.models import OrgUnit
from tandem.org.selectors import (
    headcount_series,
    org_unit_ancestors,
    org_unit_tree,
    people_headline,
    person_direct_reports,
    person_own_record,
)
from tandem.web.viewer import viewer_of
from tandem.web.views.initiatives import initiative_chart

MONTHS = 24


def _months(*, on: dt.date) -> list[dt.date]:
    start = on.replace(day=1)
    for _ in range(MONTHS - 1):
        start = (start - dt.timedelta(days=1)).replace(day=1)
    return month_starts(start, on)


def _headcount_chart(*, name: str, unit_ids: set[int] | None, on: dt.date) -> SafeString:
    series = headcount_series(months=_months(on=on), org_unit_ids=unit_ids)
    return line_chart_svg(
        series=[Series(name=name, points=[(month, float(count)) for month, count in series])],
        y_title="People",
        zero=True,
        description=f"Headcount of {name} over the last {MONTHS} months",
    )


def _since(*, on: dt.date) -> dt.date:
    return on - dt.timedelta(days=3 * 365)


def _ld(*, viewer: Viewer, on: dt.date) -> dict[str, Any]:
    nodes = org_unit_tree(scope=viewer.scope, on=on)
    last_import = import_run_list(limit=1).first() if viewer.can(Capability.RUN_IMPORTS) else None
    items = initiative_list(scope=viewer.scope, self_person_id=viewer.person_id, since=_since(on=on))
    # The level below the company (divisions or departments), largest first.
    top = min((node.depth for node in nodes), default=0)
    top_units = sorted((n for n in nodes if n.depth == top + 1), key=lambda n: -n.headcount)[:12]
    return {
        "headline": people_headline(scope=viewer.scope, since=on - dt.timedelta(days=365), on=on),
        "departments": sum(1 for node in nodes if node.kind == OrgUnit.Kind.DEPARTMENT),
        "initiatives": items,
        "active_initiatives": sum(1 for item in items if item.status == "active"),
        "last_import": last_import,
        "headcount_chart": _headcount_chart(name="Company", unit_ids=None, on=on),
        "top_units": top_units,
        "top_units_chart": bar_chart_svg(
            bars=[Bar(category=node.name, value=node.headcount) for node in top_units],
            horizontal=True,
            y_title="People",
            width=440,
            height=max(60, 26 * len(top_units)),
            description="Headcount by unit",
        )
        if top_units
        else None,
    }


def _stakeholder(*, viewer: Viewer, on: dt.date) -> dict[str, Any]:
    nodes = org_unit_tree(scope=viewer.scope, on=on)
    visible = {node.id for node in nodes}
    # The granted units are the visible ones whose parent is not visible (their descendants come along).
    granted = [node for node in nodes if node.parent_id not in visible]
    title = granted[0].name if len(granted) == 1 else "Your areas"
    unit_ids = set(viewer.scope.org_unit_ids)
    items = initiative_list(
        scope=viewer.scope,
        self_person_id=viewer.person_id,
        sponsor_org_unit_ids=unit_ids,
        since=_since(on=on),
    )
    featured = [
        {"initiative": item, "progress": p, "chart": initiative_chart(progress=p)}
        for item in items
        for p in item.metrics
    ][:6]
    return {
        "title": title,
        "granted": granted,
        "units": nodes,
        # Negative of the shallowest depth, so the template can indent from zero.
        "top_depth": -min((node.depth for node in nodes), default=0),
        "headcount": sum(node.headcount for node in granted),
        "headcount_chart": _headcount_chart(name=title, unit_ids=unit_ids, on=on) if unit_ids else None,
        "initiatives": items,
        "featured": featured,
    }


def _manager(*, viewer: Viewer, on: dt.date) -> dict[str, Any]:
    reports = (
        list(person_direct_reports(scope=viewer.scope, person_id=viewer.person_id))
        if viewer.person_id
        else []
    )
    # The team is the reporting line without the manager themself.
    team = PersonScope(person_ids=frozenset(set(viewer.scope.person_ids) - {viewer.person_id}))
    return {
        "reports": reports,
        "headline": people_headline(scope=team, since=on - dt.timedelta(days=365), on=on),
        "initiatives": initiative_list(
            scope=viewer.scope, self_person_id=viewer.person_id, status="active", since=_since(on=on)
        ),
    }


def _learner(*, viewer: Viewer, on: dt.date) -> dict[str, Any]:
    person = person_own_record(person_id=viewer.person_id) if viewer.person_id else None
    return {
        "person": person,
        "unit_path": org_unit_ancestors(org_unit=person.org_unit) if person and person.org_unit else [],
        "initiatives": initiative_list(scope=viewer.scope, self_person_id=viewer.person_id, status="active"),
    }


TEMPLATES: dict[str, tuple[str, Callable[..., dict[str, Any]]]] = {
    Role.LD_ADMIN: ("web/home/ld.html", _ld),
    Role.LD_TEAM: ("web/home/ld.html", _ld),
    Role.STAKEHOLDER: ("web/home/stakeholder.html", _stakeholder),
    Role.MANAGER: ("web/home/manager.html", _manager),
    Role.LEARNER: ("web/home/learner.html", _learner),
}


def home(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    role = viewer.primary_role
    on = today()
    if role == Role.IT_REVIEWER:
        return render(request, "web/home/it_reviewer.html", {"role": role})
    if role is None or role not in TEMPLATES:
        return render(request, "web/home/no_role.html", {"role": "none"})
    template, build = TEMPLATES[Role(role)]
    context = build(viewer=viewer, on=on)
    context |= {"role": role, "today": on}
    return render(request, template, context)


urlpatterns = [path("", home, name="home")]
