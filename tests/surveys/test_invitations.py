"""Who is invited: participants (or their managers), once, with the learner's unit as of the send day."""

from __future__ import annotations

import datetime as dt

import pytest

from tandem.audit.models import AuditEvent
from tandem.core.scope import DomainError
from tandem.org.models import Assignment, Person
from tandem.surveys.models import Survey, SurveyInvitation
from tandem.surveys.records import KIND_BEHAVIOUR_LEARNER, KIND_BEHAVIOUR_MANAGER, KIND_REACTION
from tandem.surveys.services import survey_create, survey_invitations_create
from tests.factories import OrgUnitFactory, PersonFactory
from tests.impact.factories import CohortFactory, ParticipantFactory, move
from tests.surveys.factories import COURSE, START, at, completed

pytestmark = pytest.mark.django_db


def test_create_invites_every_participant_on_the_schedule(setup):
    created = survey_create(
        actor_id=None, program_id=setup.program.pk, kind=KIND_BEHAVIOUR_LEARNER, send_after_days=30, now=at(0)
    )
    survey = Survey.objects.get(pk=created.survey_id)
    assert survey.title == "Coaching for sales: what has changed since?"
    assert (survey.reminder_every_days, survey.max_reminders) == (2, 3)
    invitations = SurveyInvitation.objects.filter(survey=survey)
    assert created.invitations == invitations.count() == 6
    assert {i.due_at for i in invitations} == {dt.datetime(2026, 2, 4, 9, tzinfo=dt.UTC)}
    assert {i.closes_at for i in invitations} == {dt.datetime(2026, 2, 18, 9, tzinfo=dt.UTC)}
    assert all(i.person_id == i.subject_id for i in invitations)
    assert len({i.token_hash for i in invitations}) == 6 and all(len(i.token_hash) == 64 for i in invitations)
    assert AuditEvent.objects.filter(entity_type="survey", action="create", entity_id=str(survey.pk)).exists()


def test_inviting_again_adds_only_late_joiners_and_skips_leavers(setup):
    survey_id = survey_create(
        actor_id=None, program_id=setup.program.pk, kind=KIND_REACTION, now=at(0)
    ).survey_id
    again = survey_invitations_create(survey_id=survey_id, now=at(0))
    assert (again.created, again.already) == (0, 6)
    late = CohortFactory(program=setup.program, name="Wave 2", start_date=START + dt.timedelta(days=28))
    ParticipantFactory(cohort=late)
    leaver = ParticipantFactory(cohort=late).person
    Person.objects.filter(pk=leaver.pk).update(status=Person.Status.TERMINATED)
    assert survey_invitations_create(survey_id=survey_id, now=at(1)).created == 1
    wave2 = SurveyInvitation.objects.get(survey_id=survey_id, cohort=late)
    assert wave2.due_at == dt.datetime(2026, 2, 2, 9, tzinfo=dt.UTC)


def test_a_survey_made_late_still_gets_its_full_window(setup):
    survey_id = survey_create(
        actor_id=None, program_id=setup.program.pk, kind=KIND_REACTION, now=at(40)
    ).survey_id
    invitation = SurveyInvitation.objects.filter(survey_id=survey_id).first()
    assert invitation.closes_at == at(40) + dt.timedelta(days=14)


def test_the_unit_is_the_one_on_the_send_day(setup):
    other = OrgUnitFactory(code="NORTH", name="North")
    mover = setup.learners[0]
    move(mover, to_unit=other, on=START + dt.timedelta(days=10))
    survey_id = survey_create(
        actor_id=None,
        program_id=setup.program.pk,
        kind=KIND_BEHAVIOUR_LEARNER,
        send_after_days=30,
        now=at(31),
    ).survey_id
    assert SurveyInvitation.objects.get(survey_id=survey_id, person=mover).org_unit_id == other.pk


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "gossip"}, "Unknown survey kind"),
        ({"kind": KIND_REACTION, "reminder_every_days": 0}, "Remind every 1 to 60 days"),
        ({"kind": KIND_REACTION, "closes_after_days": 0}, "Keep the survey open"),
        ({"kind": KIND_REACTION, "max_reminders": 11}, "at most 10 reminders"),
    ],
)
def test_create_refuses_bad_settings(setup, kwargs, message):
    with pytest.raises(DomainError, match=message):
        survey_create(actor_id=None, program_id=setup.program.pk, now=at(0), **kwargs)
    assert Survey.objects.count() == 0


def test_a_cohort_of_another_program_is_refused(setup):
    stranger = CohortFactory()
    with pytest.raises(DomainError, match="not a cohort of this program"):
        survey_create(
            actor_id=None, program_id=setup.program.pk, cohort_id=stranger.pk, kind=KIND_REACTION, now=at(0)
        )


def test_a_new_manager_is_not_asked_a_second_time(setup):
    survey_id = survey_create(
        actor_id=None, program_id=setup.program.pk, kind=KIND_BEHAVIOUR_MANAGER, send_after_days=0, now=at(0)
    ).survey_id
    successor = PersonFactory(first_name="Nina")
    Person.objects.filter(manager=setup.manager).update(manager=successor)
    Assignment.objects.filter(manager=setup.manager).update(manager=successor)
    again = survey_invitations_create(survey_id=survey_id, now=at(1))
    assert (again.created, again.already) == (0, 6)
    assert set(SurveyInvitation.objects.values_list("person_id", flat=True)) == {setup.manager.pk}


# --- reaction after taking part -----------------------------------------------------------------------


def _with_course(setup, **program):
    from tandem.impact.models import ProgramActivity

    ProgramActivity.objects.create(program=setup.program, activity_iri=COURSE, name="Sales coaching")
    for field, value in program.items():
        setattr(setup.program, field, value)
    setup.program.save()


def test_reaction_goes_to_those_who_took_part_never_on_day_0_to_nobody(setup):
    _with_course(setup)
    started, later = setup.learners[0], setup.learners[1]
    completed(started, at(3, hour=15))
    survey_id = survey_create(
        actor_id=None, program_id=setup.program.pk, kind=KIND_REACTION, now=at(5)
    ).survey_id
    invitations = SurveyInvitation.objects.filter(survey_id=survey_id)
    # Only the one who finished is asked, from the moment they finished (not 09:00 of the cohort's start).
    assert [(i.subject_id, i.due_at) for i in invitations] == [(started.pk, at(3, hour=15))]
    completed(later, at(8))
    assert survey_invitations_create(survey_id=survey_id, now=at(9)).created == 1
    assert invitations.get(subject=later).due_at == at(8)


def test_nobody_started_means_no_reaction_invitation(setup):
    _with_course(setup)
    # A completion before this cohort started (an earlier run) is not taking part in this one.
    completed(setup.learners[0], at(-30))
    created = survey_create(actor_id=None, program_id=setup.program.pk, kind=KIND_REACTION, now=at(0))
    assert created.invitations == 0


def test_an_instructor_led_program_asks_after_it_ends(setup):
    _with_course(setup, delivery_modes=["classroom"], end_date=START + dt.timedelta(days=4))
    completed(setup.learners[0], at(2))
    early = survey_create(actor_id=None, program_id=setup.program.pk, kind=KIND_REACTION, now=at(3))
    assert early.invitations == 1  # only the one the LRS saw finish, before the end
    assert survey_invitations_create(survey_id=early.survey_id, now=at(5)).created == 5
    due = set(SurveyInvitation.objects.exclude(subject=setup.learners[0]).values_list("due_at", flat=True))
    assert due == {at(4, hour=18)}


def test_the_check_before_and_follow_ups_keep_the_cohort_start(setup):
    _with_course(setup)
    created = survey_create(
        actor_id=None, program_id=setup.program.pk, kind=KIND_BEHAVIOUR_LEARNER, now=at(0), send_after_days=60
    )
    assert created.invitations == 6
