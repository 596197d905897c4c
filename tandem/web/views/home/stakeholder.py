"""The stakeholder home: the programs in their scope with their result, what is measured next, surveys
waiting for them; then their area at a glance and the initiatives they sponsor."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import Viewer
from tandem.impact.attention import program_status_list
from tandem.initiatives.selectors import initiative_list
from tandem.org.selectors import org_unit_tree
from tandem.surveys.waiting import survey_invitations_waiting, survey_next_by_program
from tandem.web.views.home.common import headcount_chart, initiatives_since, now


def _programs(*, viewer: Viewer, on: dt.date) -> list[dict[str, Any]]:
    if not viewer.can(Capability.VIEW_PROGRAMS):
        return []
    programs = program_status_list(scope=viewer.scope, on=on)
    upcoming = survey_next_by_program(program_ids=[program.id for program in programs])
    rows = []
    for program in programs:
        # What is measured next, soonest first: the pilot's decision, the first impact figure, a survey.
        upcoming_items: list[tuple[dt.date, str]] = []
        if program.pilot_decision_due and program.pilot_decision_due > on:
            upcoming_items.append(
                (program.pilot_decision_due, "the pilot's verdict (end of its planned run)")
            )
        if program.first_figure_from:
            upcoming_items.append(
                (program.first_figure_from, f"the first impact figure on {program.metric_name}")
            )
        survey = upcoming.get(program.id)
        if survey:
            upcoming_items.append(
                (survey.due_at.date(), f"the {survey.kind_label.lower()} survey “{survey.title}”")
            )
        rows.append({"program": program, "next": sorted(upcoming_items)})
    return rows


def stakeholder_context(*, viewer: Viewer, on: dt.date) -> dict[str, Any]:
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
        since=initiatives_since(on=on),
    )
    # Progress in words; the charts are on each initiative's page (a chart costs about 0.3 s to draw, and
    # this page comes first).
    featured = [{"initiative": item, "progress": p} for item in items for p in item.metrics][:6]
    return {
        "programs": _programs(viewer=viewer, on=on),
        "waiting": survey_invitations_waiting(person_id=viewer.person_id, now=now())
        if viewer.person_id
        else [],
        "title": title,
        "granted": granted,
        "units": nodes,
        # Negative of the shallowest depth, so the template can indent from zero.
        "top_depth": -min((node.depth for node in nodes), default=0),
        "headcount": sum(node.headcount for node in granted),
        "headcount_chart": headcount_chart(name=title, unit_ids=unit_ids, on=on) if unit_ids else None,
        "initiatives": items,
        "featured": featured,
    }
