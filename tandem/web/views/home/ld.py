"""The L&D home: what needs attention first (programs, surveys, case studies, imports, learning data), then
the workforce at a glance."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import Viewer
from tandem.impact.attention import program_status_list
from tandem.imports.selectors import import_run_failed_list, import_run_list
from tandem.initiatives.selectors import initiative_list
from tandem.lrs.team import learning_data_problems
from tandem.org.models import OrgUnit
from tandem.org.selectors import assignment_overlap_list, org_unit_tree, people_headline
from tandem.reports.selectors import case_study_draft_list
from tandem.surveys.waiting import survey_low_response_list
from tandem.web.views.home.common import headcount_chart, initiatives_since, now

FAILED_IMPORTS_DAYS = 30


@dataclass(frozen=True)
class Attention:
    """One thing on L&D's list: what it is about, what to do, where."""

    kind: str  # pilot | survey | case_study | not_measurable | import | learning_data
    title: str
    text: str
    url: str
    action: str


def _attention(*, viewer: Viewer, on: dt.date) -> list[Attention]:
    moment = now()
    items: list[Attention] = []
    programs = program_status_list(scope=viewer.scope, on=on)
    for program in programs:
        if program.is_pilot and program.pilot_verdict_reached(on=on):
            due = program.pilot_decision_due
            items.append(
                Attention(
                    "pilot",
                    f"{program.name}: the pilot's verdict is due",
                    f"The frozen plan ran its planned duration (to {due:%-d %b %Y}); its decision rule says "
                    "whether to scale, iterate or stop.",
                    reverse("program_detail", args=[program.code]),
                    "Read the verdict",
                )
            )
    for survey in survey_low_response_list(now=moment):
        items.append(
            Attention(
                "survey",
                f"{survey.title} ({survey.program_name}) closes with few answers",
                f"{survey.responded} of {survey.invited} invited have answered ({survey.rate:.0%}); the last "
                f"invitations close on {survey.closes_at:%-d %b %Y}. Reminders go out on the survey's schedule.",
                reverse("survey_detail", args=[survey.survey_id]),
                "Open the survey",
            )
        )
    for draft in case_study_draft_list():
        items.append(
            Attention(
                "case_study",
                f"{draft.program_name}: a case study draft is waiting",
                f"“{draft.title}”, last changed {draft.updated_at:%-d %b %Y}: review it and mark it final.",
                reverse("case_study", args=[draft.program_code]),
                "Review the draft",
            )
        )
    for program in programs:
        if program.not_measurable:
            items.append(
                Attention(
                    "not_measurable",
                    f"{program.name}: no impact figure yet",
                    f"Not measurable yet: {program.not_measurable}",
                    reverse("program_detail", args=[program.code]),
                    "Open the program",
                )
            )
    if viewer.can(Capability.RUN_IMPORTS):
        for run in import_run_failed_list(since=moment - dt.timedelta(days=FAILED_IMPORTS_DAYS)):
            items.append(
                Attention(
                    "import",
                    f"{run.get_kind_display()} import of {run.filename} did not go through",
                    f"{run.get_status_display()} on {run.created_at:%-d %b %Y}; nothing was written. "
                    "Fix the file and upload it again.",
                    reverse("import_detail", args=[run.pk]),
                    "See what was wrong",
                )
            )
    return items


def ld_context(*, viewer: Viewer, on: dt.date) -> dict[str, Any]:
    nodes = org_unit_tree(scope=viewer.scope, on=on)
    last_import = import_run_list(limit=1).first() if viewer.can(Capability.RUN_IMPORTS) else None
    items = initiative_list(
        scope=viewer.scope, self_person_id=viewer.person_id, since=initiatives_since(on=on)
    )
    # The level below the company (divisions or departments), largest first.
    top = min((node.depth for node in nodes), default=0)
    top_units = sorted((n for n in nodes if n.depth == top + 1), key=lambda n: -n.headcount)[:12]
    headline = people_headline(scope=viewer.scope, since=on - dt.timedelta(days=365), on=on)
    return {
        "attention": _attention(viewer=viewer, on=on),
        "learning_problems": learning_data_problems(),
        # Someone in two teams at once has each statement counted for both (the data-quality page lists them).
        "overlaps": len(assignment_overlap_list(scope=viewer.scope)),
        "headline": headline,
        "departments": sum(1 for node in nodes if node.kind == OrgUnit.Kind.DEPARTMENT),
        "initiatives": items,
        "active_initiatives": sum(1 for item in items if item.status == "active"),
        "last_import": last_import,
        "headcount_chart": headcount_chart(name="Company", unit_ids=None, on=on),
        "top_units": top_units,
    }
