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
