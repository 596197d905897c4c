"""The learner home: what is assigned to them or due (programs, surveys waiting), their recent learning,
whether their manager may see it; then their record and what the company works on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tandem.accounts.selectors import Viewer, learning_share_get, manager_learning_policy
from tandem.impact.attention import program_participation_list
from tandem.initiatives.selectors import initiative_list
from tandem.lrs.learning import learning_records_of_person
from tandem.org.selectors import org_unit_ancestors, person_own_record
from tandem.surveys.waiting import survey_invitations_waiting
from tandem.web.views.home.common import now

RECENT_RECORDS = 5


def learner_context(*, viewer: Viewer, on: dt.date) -> dict[str, Any]:
    person = person_own_record(person_id=viewer.person_id) if viewer.person_id else None
    records = learning_records_of_person(person_id=person.pk) if person else []
    return {
        "person": person,
        "unit_path": org_unit_ancestors(org_unit=person.org_unit) if person and person.org_unit else [],
        "initiatives": initiative_list(scope=viewer.scope, self_person_id=viewer.person_id, status="active"),
        "programs": program_participation_list(person_ids=[person.pk]) if person else [],
        "waiting": survey_invitations_waiting(person_id=person.pk, now=now()) if person else [],
        "recent": records[:RECENT_RECORDS],
        "record_count": len(records),
        "policy": manager_learning_policy(),
        "shares_own": learning_share_get(user_id=viewer.user_id) if viewer.user_id and person else None,
    }
