"""The manager home: follow-up surveys waiting for them, their team's learning (group figures; individual
records only as policy and consent allow), their people's programs, then the team itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tandem.accounts.selectors import (
    MANAGER_LEARNING_POLICIES,
    Viewer,
    learning_share_get,
    learning_shared_person_ids,
    manager_learning_policy,
)
from tandem.core.scope import PersonScope
from tandem.impact.attention import program_participation_list
from tandem.lrs.team import team_learning, team_recent_records
from tandem.metrics.selectors import min_group_size
from tandem.org.selectors import people_headline, person_direct_reports, person_list
from tandem.surveys.waiting import survey_invitations_waiting
from tandem.web.views.home.common import RECENT_DAYS, now


def team_person_ids(*, viewer: Viewer) -> frozenset[int]:
    """The manager's reporting line today, direct and indirect, without the manager: the one definition
    behind every team figure of this page (the People directory lists the same people plus the viewer)."""
    own = {viewer.person_id} if viewer.person_id is not None else set()
    return frozenset(viewer.scope.person_ids - own)


def manager_context(*, viewer: Viewer, on: dt.date) -> dict[str, Any]:
    team = team_person_ids(viewer=viewer)
    reports = (
        list(person_direct_reports(scope=viewer.scope, person_id=viewer.person_id))
        if viewer.person_id
        else []
    )
    since = on - dt.timedelta(days=RECENT_DAYS)
    shared = learning_shared_person_ids(viewer=viewer, person_ids=team)
    records = team_recent_records(person_ids=shared, since=since)
    # Names of the people whose records are shown (they are in scope: the manager may see them).
    names = (
        {
            person.pk: person.full_name
            for person in person_list(scope=viewer.scope).filter(pk__in=list(shared))
        }
        if records
        else {}
    )
    return {
        "waiting": survey_invitations_waiting(person_id=viewer.person_id, now=now())
        if viewer.person_id
        else [],
        "team_size": len(team),
        "reports": reports,
        "headline": people_headline(
            scope=PersonScope(person_ids=team), since=on - dt.timedelta(days=365), on=on
        ),
        "learning": team_learning(person_ids=team, since=since, minimum=min_group_size()),
        "policy": manager_learning_policy(),
        "policy_text": MANAGER_LEARNING_POLICIES[manager_learning_policy()],
        "shared_count": len(shared),
        "records": [
            {"record": row.record.record, "name": row.record.name, "who": names.get(row.person_id, "")}
            for row in records
        ],
        "programs": program_participation_list(person_ids=team),
        "shares_own": learning_share_get(user_id=viewer.user_id)
        if viewer.user_id and viewer.person_id
        else None,
    }
