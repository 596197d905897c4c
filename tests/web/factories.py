"""Builders for the home-page tests: programs that need attention, surveys waiting, learning records."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from tandem.impact.models import PilotPlan, Program, ProgramMetric
from tandem.imports.models import ImportRun
from tandem.lrs.services import statements_store
from tandem.org.models import Person
from tandem.reports.models import CaseStudy
from tandem.surveys.models import Survey, SurveyInvitation
from tandem.surveys.tokens import invitation_token, token_hash
from tests.api.factories import Company
from tests.impact.factories import CohortFactory, ParticipantFactory, ProgramFactory
from tests.lrs.factories import LrsClientFactory, agent, statement

COMPLETED = "http://adlnet.gov/expapi/verbs/completed"


@dataclass
class HomeWorld:
    pilot: Program  # a frozen pilot whose planned run is over: its verdict is due
    unmeasured: Program  # no primary metric
    coaching: Program  # the manager's reports and the learner take part
    survey: Survey  # open, closing within days, one of four answered
    learner_invitation: SurveyInvitation
    manager_invitation: SurveyInvitation


def invite(*, survey: Survey, person: Person, subject: Person, closes_in_days: int = 3) -> SurveyInvitation:
    now = timezone.now()
    salt = secrets.token_hex(8)
    return SurveyInvitation.objects.create(
        survey=survey,
        person=person,
        subject=subject,
        token_salt=salt,
        token_hash=token_hash(token=invitation_token(salt=salt)),
        due_at=now - dt.timedelta(days=5),
        closes_at=now + dt.timedelta(days=closes_in_days),
        sent_at=now - dt.timedelta(days=5),
    )


def store_learning(*, people: list[Person], activity: str, completed: bool = True) -> None:
    """One statement per person through the LRS (learning records are built as in production)."""
    client = LrsClientFactory()
    verb = COMPLETED if completed else "http://adlnet.gov/expapi/verbs/attempted"
    statements = [
        statement(actor=agent(email=person.work_email, name=person.full_name), verb=verb, activity=activity)
        for person in people
    ]
    statements_store(statements=statements, version="1.0.3", client=client)


def build_home_world(company: Company, **extra: Any) -> HomeWorld:
    today = timezone.now().date()
    started = today - dt.timedelta(weeks=20)
    pilot = ProgramFactory(code="pilot-sales", name="Sales pilot", is_pilot=True, status=Program.Status.PILOT)
    ProgramMetric.objects.create(program=pilot, metric=company.quiz, is_primary=True)
    pilot_wave = CohortFactory(program=pilot, name="Pilot wave", start_date=started)
    for person in company.reports:
        ParticipantFactory(cohort=pilot_wave, person=person)
    PilotPlan.objects.create(
        program=pilot,
        metric=company.quiz,
        minimum_detectable_effect=2.0,
        outcome_sd=5.0,
        required_per_group=20,
        required_comparison=20,
        achieved_power=0.8,
        duration_weeks=12,
        scale_threshold=1.0,
        stop_threshold=0.0,
        frozen_at=timezone.now() - dt.timedelta(weeks=21),
    )
    unmeasured = ProgramFactory(code="unmeasured", name="Wellbeing talks", status=Program.Status.RUNNING)
    CohortFactory(program=unmeasured, name="All staff", start_date=started)
    coaching = ProgramFactory(code="coaching", name="Service coaching", status=Program.Status.RUNNING)
    ProgramMetric.objects.create(program=coaching, metric=company.quiz, is_primary=True)
    wave = CohortFactory(program=coaching, name="Wave A", start_date=today - dt.timedelta(days=10))
    for person in [company.learner, *company.reports]:
        ParticipantFactory(cohort=wave, person=person)
    survey = Survey.objects.create(program=coaching, kind=Survey.Kind.REACTION, title="Coaching: how was it?")
    learner_invitation = invite(survey=survey, person=company.learner, subject=company.learner)
    for person in company.reports:
        invite(survey=survey, person=person, subject=person)
    answered = SurveyInvitation.objects.filter(survey=survey, person=company.reports[0]).get()
    answered.responded_at = timezone.now()
    answered.save(update_fields=["responded_at"])
    follow_up = Survey.objects.create(
        program=coaching,
        kind=Survey.Kind.BEHAVIOUR_MANAGER,
        title="Coaching: what changed?",
        closes_after_days=30,
    )
    manager_invitation = invite(
        survey=follow_up, person=company.manager, subject=company.reports[1], closes_in_days=20
    )
    CaseStudy.objects.create(program=pilot, title="Sales pilot: case study")
    ImportRun.objects.create(
        kind="people", filename="hr-export.csv", content=b"", status=ImportRun.Status.FAILED
    )
    return HomeWorld(
        pilot=pilot,
        unmeasured=unmeasured,
        coaching=coaching,
        survey=survey,
        learner_invitation=learner_invitation,
        manager_invitation=manager_invitation,
    )
