"""Surveys from the home pages' side: what waits for a person to answer, what is going out next, and which
open surveys close with few answers (for L&D). Reads only; each function is one query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Count, Max, Min, Q
from django.urls import reverse

from tandem.surveys.models import Survey, SurveyInvitation
from tandem.surveys.questions import KIND_LABELS
from tandem.surveys.records import KIND_BEHAVIOUR_MANAGER
from tandem.surveys.tokens import invitation_token

# An open survey needs attention when its last invitations close within this many days while fewer than
# LOW_RESPONSE_RATE of the invited have answered.
CLOSING_DAYS = 7
LOW_RESPONSE_RATE = 0.5


@dataclass(frozen=True)
class WaitingSurvey:
    """An invitation sent to the viewer and not answered yet, with the same link as in their email."""

    title: str
    kind: str
    kind_label: str
    program_name: str
    about: str  # a manager's follow-up: the report it is about ("" for the viewer's own)
    closes_at: dt.datetime
    url: str  # path of the answer page (the invitation's personal link)

    @property
    def is_manager_follow_up(self) -> bool:
        return self.kind == KIND_BEHAVIOUR_MANAGER


def survey_invitations_waiting(*, person_id: int, now: dt.datetime, limit: int = 20) -> list[WaitingSurvey]:
    """Invitations sent to this person, still open and not answered, closing soonest first (one query).

    Only the invitee's own (the person signed in): the link is theirs, as in the email they were sent.
    """
    rows = (
        SurveyInvitation.objects.filter(
            person_id=person_id,
            sent_at__isnull=False,
            responded_at__isnull=True,
            closes_at__gt=now,
            survey__status=Survey.Status.OPEN,
        )
        .select_related("survey", "survey__program", "subject")
        .order_by("closes_at", "id")[:limit]
    )
    return [
        WaitingSurvey(
            title=row.survey.title,
            kind=row.survey.kind,
            kind_label=KIND_LABELS[row.survey.kind],
            program_name=row.survey.program.name,
            about=row.subject.full_name if row.subject_id != row.person_id else "",
            closes_at=row.closes_at,
            url=reverse("survey_answer", kwargs={"token": invitation_token(salt=row.token_salt)}),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class ClosingSurvey:
    """An open survey whose invitations close soon with few answers."""

    survey_id: int
    title: str
    program_code: str
    program_name: str
    invited: int
    responded: int
    closes_at: dt.datetime  # when the last sent invitation closes

    @property
    def rate(self) -> float:
        return self.responded / self.invited if self.invited else 0.0


def survey_low_response_list(
    *, now: dt.datetime, days: int = CLOSING_DAYS, below: float = LOW_RESPONSE_RATE
) -> list[ClosingSurvey]:
    """Open surveys with sent invitations still open, the last closing within `days`, answered by fewer than
    `below` of those invited (one aggregate query)."""
    rows = (
        Survey.objects.filter(status=Survey.Status.OPEN)
        .annotate(
            invited=Count("invitations", filter=Q(invitations__sent_at__isnull=False)),
            responded=Count("invitations", filter=Q(invitations__responded_at__isnull=False)),
            last_close=Max("invitations__closes_at", filter=Q(invitations__sent_at__isnull=False)),
        )
        .filter(invited__gt=0, last_close__gt=now, last_close__lte=now + dt.timedelta(days=days))
        .select_related("program")
        .order_by("last_close", "id")
    )
    found = [
        ClosingSurvey(
            survey_id=row.pk,
            title=row.title,
            program_code=row.program.code,
            program_name=row.program.name,
            invited=row.invited,
            responded=row.responded,
            closes_at=row.last_close,
        )
        for row in rows
    ]
    return [survey for survey in found if survey.rate < below]


@dataclass(frozen=True)
class NextSurvey:
    program_id: int
    title: str
    kind_label: str
    due_at: dt.datetime  # the first invitation not sent yet


def survey_next_by_program(*, program_ids: Collection[int]) -> dict[int, NextSurvey]:
    """For each program, the survey whose next invitation goes out first (one query)."""
    if not program_ids:
        return {}
    rows = (
        Survey.objects.filter(program_id__in=list(program_ids), status=Survey.Status.OPEN)
        .annotate(next_due=Min("invitations__due_at", filter=Q(invitations__sent_at__isnull=True)))
        .filter(next_due__isnull=False)
        .order_by("next_due", "id")
        .values_list("program_id", "title", "kind", "next_due")
    )
    found: dict[int, NextSurvey] = {}
    for program_id, title, kind, next_due in rows:
        found.setdefault(
            program_id,
            NextSurvey(program_id=program_id, title=title, kind_label=KIND_LABELS[kind], due_at=next_due),
        )
    return found
