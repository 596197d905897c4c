"""Builders for survey tests: a program with one wave of six learners and their manager."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from tandem.impact.models import Cohort, Program
from tandem.org.models import Person
from tandem.surveys.models import SurveyInvitation
from tandem.surveys.tokens import invitation_token
from tests.factories import OrgUnitFactory, PersonFactory
from tests.impact.factories import CohortFactory, ParticipantFactory, ProgramFactory

START = dt.date(2026, 1, 5)
UTC = dt.UTC


def at(day: int, hour: int = 10) -> dt.datetime:
    """A moment `day` days after the cohort start (TIME_ZONE is UTC in tests)."""
    return dt.datetime.combine(START + dt.timedelta(days=day), dt.time(hour), tzinfo=UTC)


@dataclass
class Setup:
    program: Program
    cohort: Cohort
    learners: list[Person]
    manager: Person


def build_setup() -> Setup:
    unit = OrgUnitFactory(code="SALES", name="Sales")
    manager = PersonFactory(first_name="Maria", last_name="Boss", org_unit=unit)
    program = ProgramFactory(code="coaching", name="Coaching for sales")
    cohort = CohortFactory(program=program, name="Wave 1", start_date=START)
    learners = [PersonFactory(org_unit=unit, manager=manager, first_name=f"Lea{i}") for i in range(6)]
    for person in learners:
        ParticipantFactory(cohort=cohort, person=person)
    return Setup(program=program, cohort=cohort, learners=learners, manager=manager)


def token_of(invitation: SurveyInvitation) -> str:
    return invitation_token(salt=invitation.token_salt)


def tokens_in(messages: list[Any]) -> list[str]:
    found = []
    for message in messages:
        text = (
            message.get_payload(0).get_payload(decode=True).decode()
            if message.is_multipart()
            else str(message)
        )
        found.extend(re.findall(r"/s/([A-Za-z0-9_-]+)/", text))
    return found


COURSE = "https://lms.example/courses/sales-coaching"


def completed(person: Person, on: dt.datetime, activity: str = COURSE) -> None:
    """A completion of `activity` in the LRS's learning records."""
    from tandem.lrs.models import LearningRecord

    LearningRecord.objects.create(
        actor_ifi=f"mbox:mailto:{person.work_email}",
        activity_id=activity,
        person=person,
        first_attempt=on - dt.timedelta(hours=1),
        last_attempt=on,
        attempts=1,
        statements=2,
        completed=True,
        completed_at=on,
    )


def knowledge_questions(program: Program) -> None:
    """Three questions: two of one right option (the first), one with two right options (0 and 2)."""
    from tandem.surveys.knowledge import KnowledgeQuestionIn, knowledge_questions_set

    knowledge_questions_set(
        actor_id=None,
        program_id=program.pk,
        questions=[
            KnowledgeQuestionIn("What comes first in a coaching talk?", ("Listening", "Advice"), (0,)),
            KnowledgeQuestionIn("A good goal is…", ("Specific", "Vague", "Secret"), (0,)),
            KnowledgeQuestionIn(
                "Tick the open questions", ("What happened?", "Did it work?", "How?"), (0, 2)
            ),
        ],
    )
