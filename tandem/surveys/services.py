"""Writes for surveys: create, invite, send invitations and reminders, record answers (as xAPI too).

Sending is claim-then-send: a dispatcher first marks the rows it will email with one conditional UPDATE
(`WHERE sent_at IS NULL`, or the reminder is still due), commits, and only then talks to the mail server,
so two dispatchers running at once never email the same person twice. A message the server refuses is
put back for the next run.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks import task

from tandem.audit.services import AuditEntry, audit_record, audit_record_many
from tandem.core.scope import DomainError
from tandem.impact.models import Cohort, Participant, Program
from tandem.lrs.services import lrs_internal_client_get, statements_store
from tandem.org.models import Assignment, Person
from tandem.org.periods import in_force
from tandem.surveys.knowledge import (
    KNOWLEDGE_KINDS,
    knowledge_questions_of,
    knowledge_score,
    knowledge_survey_needs_questions,
)
from tandem.surveys.models import Survey, SurveyAnswer, SurveyInvitation, SurveyResponse
from tandem.surveys.questions import (
    DEFAULT_SEND_AFTER_DAYS,
    DEFAULT_TITLES,
    KIND_LABELS,
    Question,
    questions_for,
)
from tandem.surveys.records import (
    KIND_BEHAVIOUR_MANAGER,
    KIND_KNOWLEDGE_POST,
    KIND_KNOWLEDGE_PRE,
    QUESTION_KEYS,
)
from tandem.surveys.results import (
    AnswersInvalid,
    AnswerValue,
    DispatchResult,
    ImportedResponse,
    ImportResult,
    ImportRowError,
    InvitationsCreated,
    SubmitResult,
    SurveyAlreadyAnswered,
    SurveyCreated,
)
from tandem.surveys.schedule import AFTER_TAKING_PART, taken_part_at
from tandem.surveys.selectors import survey_invitation_usable
from tandem.surveys.tokens import invitation_link, invitation_token, token_hash

logger = logging.getLogger(__name__)

SEND_HOUR = 9  # invitations go out at 09:00 local time on their day
XAPI_VERSION = "1.0.3"
STATEMENTS_PER_CALL = 500
VERB_RESPONDED = "http://adlnet.gov/expapi/verbs/responded"
VERB_COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
TYPE_SURVEY = "http://adlnet.gov/expapi/activities/survey"
TYPE_ASSESSMENT = "http://adlnet.gov/expapi/activities/assessment"
TYPE_COURSE = "http://adlnet.gov/expapi/activities/course"
# The answer that gives a statement its score (0-100): only a knowledge check's, which Tandem scored. A
# survey's answers (e.g. "how much do you apply?") stay in the result's extensions: in the LRS a score is
# read as a learning score, and an opinion is not one.
SCORE_KEY = {KIND_KNOWLEDGE_PRE: "score", KIND_KNOWLEDGE_POST: "score"}


# --- creating surveys and invitations -------------------------------------------------------------


def _send_moment(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(SEND_HOUR)))


@dataclass(frozen=True)
class _Placement:
    org_unit_id: int | None
    manager_id: int | None


def _placements(person_ids: list[int], on: dt.date) -> dict[int, _Placement]:
    """Each person's org unit and manager on a day (effective-dated), falling back to today's values."""
    found = {
        person_id: _Placement(org_unit_id, manager_id)
        for person_id, org_unit_id, manager_id in Person.objects.filter(pk__in=person_ids).values_list(
            "id", "org_unit_id", "manager_id"
        )
    }
    for person_id, org_unit_id, manager_id in (
        Assignment.objects.filter(in_force(on), person_id__in=person_ids)
        .order_by("person_id", "valid_from")
        .values_list("person_id", "org_unit_id", "manager_id")
    ):
        found[person_id] = _Placement(org_unit_id, manager_id)
    return found


def _invitations_create(*, survey: Survey, now: dt.datetime) -> InvitationsCreated:
    """Invite participants not invited yet: one invitation per learner and survey, so a later change of
    manager does not ask a second manager, and a re-run (every dispatch) costs little once all are in."""
    invited = SurveyInvitation.objects.filter(survey_id=survey.pk).values("subject_id")
    already = invited.count()
    participants = Participant.objects.filter(program_id=survey.program_id).exclude(person_id__in=invited)
    if survey.cohort_id is not None:
        participants = participants.filter(cohort_id=survey.cohort_id)
    by_cohort: dict[int, list[int]] = {}
    for cohort_id, person_id in participants.values_list("cohort_id", "person_id"):
        by_cohort.setdefault(cohort_id, []).append(person_id)
    starts = dict(Cohort.objects.filter(pk__in=by_cohort).values_list("id", "start_date"))
    inactive = set(
        Person.objects.filter(
            pk__in=[p for people in by_cohort.values() for p in people], status=Person.Status.TERMINATED
        ).values_list("id", flat=True)
    )
    today = timezone.localdate(now)
    taken = (
        taken_part_at(
            program_id=survey.program_id,
            cohort_of={p: c for c, people in by_cohort.items() for p in people},
            starts=starts,
            today=today,
        )
        if survey.kind in AFTER_TAKING_PART
        else None
    )
    rows: list[SurveyInvitation] = []
    without_manager = 0
    for cohort_id, person_ids in by_cohort.items():
        due_day = starts[cohort_id] + dt.timedelta(days=survey.send_after_days)
        placements = _placements(person_ids, min(due_day, today))
        for learner_id in person_ids:
            due_at = _send_moment(due_day)
            if taken is not None:
                if learner_id not in taken:
                    continue  # not taken part yet: a later dispatch invites them once they have
                moment = taken[learner_id]
                after = timezone.localdate(moment) + dt.timedelta(days=survey.send_after_days)
                due_at = max(_send_moment(after), moment)
            # A survey created after its day still gets its full answering window, counted from now.
            closes_at = max(due_at, now) + dt.timedelta(days=survey.closes_after_days)
            placement = placements.get(learner_id, _Placement(None, None))
            invitee = learner_id
            if survey.kind == KIND_BEHAVIOUR_MANAGER:
                if placement.manager_id is None:
                    without_manager += 1
                    continue
                invitee = placement.manager_id
            if invitee in inactive or learner_id in inactive:
                continue
            salt = get_random_string(32)
            rows.append(
                SurveyInvitation(
                    survey_id=survey.pk,
                    person_id=invitee,
                    subject_id=learner_id,
                    cohort_id=cohort_id,
                    org_unit_id=placement.org_unit_id,
                    token_salt=salt,
                    token_hash=token_hash(token=invitation_token(salt=salt)),
                    due_at=due_at,
                    closes_at=closes_at,
                )
            )
    if not rows:
        return InvitationsCreated(created=0, already=already, without_manager=without_manager)
    # ignore_conflicts: a dispatch topping up at the same moment may have inserted some of them.
    SurveyInvitation.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    created = SurveyInvitation.objects.filter(survey_id=survey.pk).count() - already
    return InvitationsCreated(created=created, already=already, without_manager=without_manager)


def _check_schedule(
    *, send_after_days: int, reminder_every_days: int, max_reminders: int, closes_after_days: int
) -> None:
    if not 0 <= send_after_days <= 730:
        raise DomainError("Send the survey between 0 and 730 days after the cohort starts")
    if not 1 <= reminder_every_days <= 60:
        raise DomainError("Remind every 1 to 60 days")
    if not 0 <= max_reminders <= 10:
        raise DomainError("Send at most 10 reminders")
    if not 1 <= closes_after_days <= 365:
        raise DomainError("Keep the survey open for 1 to 365 days")


@transaction.atomic
def survey_create(
    *,
    actor_id: int | None,
    program_id: int,
    kind: str,
    now: dt.datetime,
    cohort_id: int | None = None,
    title: str = "",
    intro: str = "",
    anonymous: bool = False,
    send_after_days: int | None = None,
    reminder_every_days: int = 2,
    max_reminders: int = 3,
    closes_after_days: int = 14,
) -> SurveyCreated:
    """A survey of the standard questionnaire of `kind`, with its invitations (sent when due)."""
    if kind not in QUESTION_KEYS:
        raise DomainError(f"Unknown survey kind {kind!r}")
    program = Program.objects.filter(pk=program_id).only("id", "name", "code").first()
    if program is None:
        raise DomainError(f"No program {program_id}")
    if cohort_id is not None and not Cohort.objects.filter(pk=cohort_id, program_id=program_id).exists():
        raise DomainError("That cohort is not a cohort of this program")
    knowledge_survey_needs_questions(program_id=program_id, kind=kind)
    days = DEFAULT_SEND_AFTER_DAYS[kind] if send_after_days is None else send_after_days
    _check_schedule(
        send_after_days=days,
        reminder_every_days=reminder_every_days,
        max_reminders=max_reminders,
        closes_after_days=closes_after_days,
    )
    survey = Survey.objects.create(
        program_id=program_id,
        cohort_id=cohort_id,
        kind=kind,
        title=(title.strip() or DEFAULT_TITLES[kind].format(program=program.name))[:200],
        intro=intro.strip(),
        anonymous=anonymous,
        send_after_days=days,
        reminder_every_days=reminder_every_days,
        max_reminders=max_reminders,
        closes_after_days=closes_after_days,
        created_by_id=actor_id,
    )
    invited = _invitations_create(survey=survey, now=now)
    audit_record(
        actor_id=actor_id,
        action="create",
        entity_type="survey",
        entity_id=survey.pk,
        entity_label=survey.title,
        changes={
            "program": program.code,
            "cohort": cohort_id,
            "kind": kind,
            "anonymous": anonymous,
            "send_after_days": days,
            "reminder_every_days": reminder_every_days,
            "max_reminders": max_reminders,
            "closes_after_days": closes_after_days,
        },
        summary=f"Survey created with {invited.created} invitations",
    )
    return SurveyCreated(
        survey_id=survey.pk, invitations=invited.created, without_manager=invited.without_manager
    )


def _open_survey(survey_id: int) -> Survey:
    survey = Survey.objects.select_for_update().filter(pk=survey_id).first()
    if survey is None:
        raise DomainError(f"No survey {survey_id}")
    if survey.status != Survey.Status.OPEN:
        raise DomainError("This survey is closed")
    return survey


@transaction.atomic
def survey_invitations_create(
    *, survey_id: int, now: dt.datetime, actor_id: int | None = None
) -> InvitationsCreated:
    """Invite the program's (or cohort's) participants who have no invitation yet; safe to repeat."""
    survey = _open_survey(survey_id)
    result = _invitations_create(survey=survey, now=now)
    if result.created:
        audit_record(
            actor_id=actor_id,
            action="invite",
            entity_type="survey",
            entity_id=survey.pk,
            entity_label=survey.title,
            changes={"created": result.created},
            summary=f"{result.created} invitations added",
        )
    return result


@transaction.atomic
def survey_send_now(*, actor_id: int | None, survey_id: int, now: dt.datetime) -> int:
    """Bring every invitation not sent yet forward to now and queue a dispatch; returns how many."""
    survey = _open_survey(survey_id)
    _invitations_create(survey=survey, now=now)
    moved = SurveyInvitation.objects.filter(
        survey_id=survey.pk, sent_at__isnull=True, responded_at__isnull=True
    ).update(due_at=now, closes_at=now + dt.timedelta(days=survey.closes_after_days))
    audit_record(
        actor_id=actor_id,
        action="send",
        entity_type="survey",
        entity_id=survey.pk,
        entity_label=survey.title,
        changes={"invitations": moved},
        summary=f"Send now: {moved} invitations brought forward",
    )
    transaction.on_commit(lambda: survey_dispatch_task.enqueue(survey_id=survey.pk))
    return moved


@transaction.atomic
def survey_close(*, actor_id: int | None, survey_id: int) -> None:
    """No more emails and no more answers."""
    survey = _open_survey(survey_id)
    survey.status = Survey.Status.CLOSED
    survey.save(update_fields=["status"])
    audit_record(
        actor_id=actor_id,
        action="close",
        entity_type="survey",
        entity_id=survey.pk,
        entity_label=survey.title,
        changes={"status": [Survey.Status.OPEN, Survey.Status.CLOSED]},
    )


# --- dispatching invitations and reminders --------------------------------------------------------


@dataclass(frozen=True)
class _Claim:
    sends: str  # dispatch_claim marker of first emails
    reminders: str
    previous: dict[int, dt.datetime | None]  # reminder rows: last_reminded_at before the claim


def _claim(*, survey_ids: list[int], surveys: dict[int, Survey], now: dt.datetime) -> tuple[_Claim, int, int]:
    sends, reminders = uuid.uuid4().hex, uuid.uuid4().hex
    # Only columns of the invitation table in the WHERE: PostgreSQL re-checks them on rows another
    # dispatcher updated meanwhile (a join would be checked against the old snapshot).
    sent = SurveyInvitation.objects.filter(
        survey_id__in=survey_ids,
        sent_at__isnull=True,
        responded_at__isnull=True,
        due_at__lte=now,
        closes_at__gt=now,
    ).update(sent_at=now, dispatch_claim=sends)
    previous: dict[int, dt.datetime | None] = {}
    reminded = 0
    for survey_id in survey_ids:
        survey = surveys[survey_id]
        if survey.max_reminders == 0:
            continue
        cutoff = now - dt.timedelta(days=survey.reminder_every_days)
        due = SurveyInvitation.objects.filter(
            Q(last_reminded_at__lte=cutoff) | Q(last_reminded_at__isnull=True, sent_at__lte=cutoff),
            survey_id=survey_id,
            sent_at__isnull=False,
            responded_at__isnull=True,
            closes_at__gt=now,
            reminders_sent__lt=survey.max_reminders,
        )
        before = dict(due.values_list("id", "last_reminded_at"))
        if not before:
            continue
        claimed = due.filter(pk__in=before).update(
            reminders_sent=F("reminders_sent") + 1, last_reminded_at=now, dispatch_claim=reminders
        )
        reminded += claimed
        previous.update(before)
    return _Claim(sends=sends, reminders=reminders, previous=previous), sent, reminded


def _message(*, invitation: SurveyInvitation, reminder: bool) -> EmailMultiAlternatives:
    survey = invitation.survey
    context = {
        "survey": survey,
        "program_name": survey.program.name,
        "person": invitation.person,
        "subject": invitation.subject if invitation.subject_id != invitation.person_id else None,
        "link": invitation_link(salt=invitation.token_salt),
        "closes_at": invitation.closes_at,
        "reminder": reminder,
        "minutes": 1 if len(questions_for(kind=survey.kind)) <= 2 else 3,
    }
    subject = render_to_string("surveys/email/subject.txt", context).strip().replace("\n", " ")
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("surveys/email/invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.person.work_email],
    )
    message.attach_alternative(render_to_string("surveys/email/invitation.html", context), "text/html")
    return message


def _send(*, claim: _Claim, failures: list[int]) -> None:
    """Email the claimed rows (after the claim committed); put back what the server refused."""
    rows = list(
        SurveyInvitation.objects.filter(dispatch_claim__in=[claim.sends, claim.reminders])
        .select_related("survey__program", "person", "subject")
        .order_by("id")
    )
    if not rows:
        return
    connection = get_connection()
    failed_sends: list[int] = []
    failed_reminders: list[int] = []
    try:
        connection.open()
        for invitation in rows:
            reminder = invitation.dispatch_claim == claim.reminders
            try:
                connection.send_messages([_message(invitation=invitation, reminder=reminder)])
            except Exception:  # one refused address must not stop the others (SMTP, socket, ...)
                logger.exception("Survey invitation %s could not be sent", invitation.pk)
                (failed_reminders if reminder else failed_sends).append(invitation.pk)
    except Exception:  # the server cannot be reached at all: every row goes back
        logger.exception("Survey dispatch could not reach the mail server")
        done = set(failed_sends) | set(failed_reminders)
        for invitation in rows:
            if invitation.pk not in done:
                reminder = invitation.dispatch_claim == claim.reminders
                (failed_reminders if reminder else failed_sends).append(invitation.pk)
    finally:
        connection.close()
    if failed_sends:
        SurveyInvitation.objects.filter(pk__in=failed_sends, dispatch_claim=claim.sends).update(
            sent_at=None, dispatch_claim=""
        )
    for pk in failed_reminders:  # rare: one UPDATE each restores its own previous time
        SurveyInvitation.objects.filter(pk=pk, dispatch_claim=claim.reminders).update(
            reminders_sent=F("reminders_sent") - 1, last_reminded_at=claim.previous.get(pk), dispatch_claim=""
        )
    failures.extend(failed_sends + failed_reminders)


def survey_dispatch_due(*, now: dt.datetime, survey_id: int | None = None) -> DispatchResult:
    """Send the invitations and reminders due at `now` (all open surveys, or one). Safe to run twice and
    concurrently. The emails go out when the claim commits: at once when called outside a transaction."""
    surveys = Survey.objects.filter(status=Survey.Status.OPEN)
    if survey_id is not None:
        surveys = surveys.filter(pk=survey_id)
    by_id = {survey.pk: survey for survey in surveys}
    if not by_id:
        return DispatchResult(invitations=0, reminders=0)
    failures: list[int] = []
    with transaction.atomic():
        for survey in by_id.values():
            _invitations_create(survey=survey, now=now)  # late joiners
        claim, sent, reminded = _claim(survey_ids=sorted(by_id), surveys=by_id, now=now)
        if sent or reminded:
            counts: dict[int, list[int]] = {}
            for sid, marker in SurveyInvitation.objects.filter(
                dispatch_claim__in=[claim.sends, claim.reminders]
            ).values_list("survey_id", "dispatch_claim"):
                counts.setdefault(sid, [0, 0])[0 if marker == claim.sends else 1] += 1
            audit_record_many(
                actor_id=None,
                entries=[
                    AuditEntry(
                        action="send",
                        entity_type="survey",
                        entity_id=str(sid),
                        entity_label=by_id[sid].title,
                        changes={"invitations": first, "reminders": again},
                        summary=f"{first} invitations and {again} reminders sent",
                    )
                    for sid, (first, again) in sorted(counts.items())
                ],
            )
            transaction.on_commit(lambda: _send(claim=claim, failures=failures))
    return DispatchResult(invitations=sent, reminders=reminded, failed=len(failures))


@task()
def survey_dispatch_task(survey_id: int | None = None) -> str:
    """Background dispatch (the worker, `tandem serve`'s periodic trigger, Send now). Safe to run twice:
    rows are claimed before they are sent."""
    result = survey_dispatch_due(now=timezone.now(), survey_id=survey_id)
    return f"{result.invitations} invitations, {result.reminders} reminders, {result.failed} failed"


# --- answers --------------------------------------------------------------------------------------


def _number(question: Question, raw: AnswerValue | None) -> tuple[float | None, str]:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, "Please answer this question." if question.required else ""
    if isinstance(raw, bool | list | tuple):
        return None, "Give a number."
    try:
        value = float(raw.strip().rstrip("%")) if isinstance(raw, str) else float(raw)
    except ValueError:
        return None, "Give a whole number."
    if value != int(value):
        return None, "Give a whole number."
    if not question.minimum <= value <= question.maximum:
        return None, f"Choose a number from {question.minimum} to {question.maximum}."
    return value, ""


def answers_validate(
    *, kind: str, answers: Mapping[str, AnswerValue | None], program_id: int | None = None
) -> dict[str, tuple[float | None, str]]:
    """(value, text) per question key, or AnswersInvalid with a message per question that is wrong.
    A knowledge check (of `program_id`) is scored by Tandem from the options picked."""
    if kind in KNOWLEDGE_KINDS:
        if program_id is None:
            raise DomainError("A knowledge check is scored against its program's questions")
        return knowledge_score(questions=knowledge_questions_of(program_id=program_id), answers=answers)
    questions = questions_for(kind=kind)
    known = {q.key for q in questions}
    errors: dict[str, str] = {key: "This survey does not ask this." for key in answers if key not in known}
    cleaned: dict[str, tuple[float | None, str]] = {}
    for question in questions:
        raw = answers.get(question.key)
        if question.is_text:
            text = "" if raw is None else str(raw).strip()
            if len(text) > 2000:
                errors[question.key] = "Please keep it under 2,000 characters."
            elif "\x00" in text:
                errors[question.key] = "This text contains a character that cannot be stored."
            elif text:
                cleaned[question.key] = (None, text)
            continue
        value, problem = _number(question, raw)
        if problem:
            errors[question.key] = problem
        elif value is not None:
            cleaned[question.key] = (value, "")
    if errors:
        raise AnswersInvalid(errors)
    return cleaned


def _iri(*parts: object) -> str:
    return "/".join([settings.TANDEM_BASE_URL, "xapi", *(str(part) for part in parts)])


def _agent(person: Person | None) -> dict[str, Any]:
    if person is None:  # anonymous: a fresh name each time, so two responses cannot be linked either
        return {
            "objectType": "Agent",
            "account": {"homePage": _iri("anonymous"), "name": uuid.uuid4().hex},
        }
    return {
        "objectType": "Agent",
        "name": person.full_name,
        "mbox": f"mailto:{person.work_email.strip().lower()}",
    }


def _plain(value: float | None, text: str) -> int | float | str | None:
    """An answer as JSON: the text, or the number (whole numbers as integers)."""
    if text:
        return text
    return int(value) if value is not None and value == int(value) else value


def _statement(
    *,
    statement_id: uuid.UUID,
    survey: Survey,
    program: Program,
    cohort: Cohort | None,
    respondent: Person | None,
    subject: Person | None,
    cleaned: Mapping[str, tuple[float | None, str]],
    timestamp: dt.datetime,
) -> dict[str, Any]:
    """One xAPI 1.0.3 statement: <respondent> responded to (completed, for a knowledge check) <survey>."""
    knowledge = survey.kind in (KIND_KNOWLEDGE_PRE, KIND_KNOWLEDGE_POST)
    extensions = {
        _iri("extensions", "surveys", "answers", key): _plain(value, text)
        for key, (value, text) in cleaned.items()
    }
    result: dict[str, Any] = {"completion": True, "extensions": extensions}
    score_key = SCORE_KEY.get(survey.kind)
    if score_key and score_key in cleaned and cleaned[score_key][0] is not None:
        raw = cleaned[score_key][0] or 0.0
        result["score"] = {"scaled": round(raw / 100, 4), "raw": raw, "min": 0, "max": 100}
    grouping: list[dict[str, Any]] = [
        {
            "objectType": "Activity",
            "id": _iri("activities", "programs", program.code),
            "definition": {"name": {"en": program.name}, "type": TYPE_COURSE},
        }
    ]
    if cohort is not None:
        grouping.append(
            {
                "objectType": "Activity",
                "id": _iri("activities", "programs", program.code, "cohorts", cohort.pk),
                "definition": {"name": {"en": f"{program.name}: {cohort.name}"}},
            }
        )
    context: dict[str, Any] = {
        "platform": "Tandem",
        "language": "en",
        "contextActivities": {"grouping": grouping},
        "extensions": {_iri("extensions", "surveys", "kind"): survey.kind},
    }
    if subject is not None and respondent is not None and subject.pk != respondent.pk:
        # A manager's follow-up: the learner the answers are about.
        context["extensions"][_iri("extensions", "surveys", "about")] = _agent(subject)
    return {
        "id": str(statement_id),
        "actor": _agent(respondent),
        "verb": {
            "id": VERB_COMPLETED if knowledge else VERB_RESPONDED,
            "display": {"en": "completed" if knowledge else "responded"},
        },
        "object": {
            "objectType": "Activity",
            "id": _iri("activities", "surveys", survey.pk),
            "definition": {
                "name": {"en": survey.title},
                "description": {"en": KIND_LABELS[survey.kind]},
                "type": TYPE_ASSESSMENT if knowledge else TYPE_SURVEY,
            },
        },
        "result": result,
        "context": context,
        "timestamp": timestamp.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
    }


def _day(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _answers(response: SurveyResponse, cleaned: Mapping[str, tuple[float | None, str]]) -> list[SurveyAnswer]:
    return [
        SurveyAnswer(
            response=response, survey_id=response.survey_id, question_key=key, value=value, text=text
        )
        for key, (value, text) in cleaned.items()
    ]


def _recorded(
    *,
    survey: Survey,
    invitation: SurveyInvitation,
    cleaned: Mapping[str, tuple[float | None, str]],
    when: dt.datetime,
) -> tuple[SurveyResponse, dict[str, Any]]:
    """The (unsaved) response to an invitation and its xAPI statement. An anonymous survey keeps no person
    and no invitation on the response, and only the day in the statement."""
    statement_id = uuid.uuid4()
    response = SurveyResponse(
        survey=survey,
        cohort_id=invitation.cohort_id,
        org_unit_id=invitation.org_unit_id,
        invitation=None if survey.anonymous else invitation,
        person_id=None if survey.anonymous else invitation.subject_id,
        responded_at=when,
        statement_id=statement_id,
    )
    statement = _statement(
        statement_id=statement_id,
        survey=survey,
        program=survey.program,
        cohort=invitation.cohort,
        respondent=None if survey.anonymous else invitation.person,
        subject=None if survey.anonymous else invitation.subject,
        cleaned=cleaned,
        timestamp=_day(when) if survey.anonymous else when,
    )
    return response, statement


def survey_response_submit(
    *, token: str, answers: Mapping[str, AnswerValue | None], now: dt.datetime
) -> SubmitResult:
    """Record the answers of the invitation behind `token`, once, and write them as an xAPI statement.

    The statement is stored in the same transaction as the response: it is a database write like the
    response itself, and the two then exist together or not at all (no response without its statement
    and no retry queue to keep). An error leaves the link answerable.
    """
    invitation = survey_invitation_usable(token=token, now=now)
    survey = invitation.survey
    cleaned = answers_validate(kind=survey.kind, answers=answers, program_id=survey.program_id)
    with transaction.atomic():
        # The conditional UPDATE is the once-only guard: of two submits racing, one finds the row answered.
        taken = SurveyInvitation.objects.filter(pk=invitation.pk, responded_at__isnull=True).update(
            responded_at=_day(now) if survey.anonymous else now
        )
        if not taken:
            raise SurveyAlreadyAnswered("Your answers were recorded earlier. Thank you!")
        response, statement = _recorded(survey=survey, invitation=invitation, cleaned=cleaned, when=now)
        response.save()
        SurveyAnswer.objects.bulk_create(_answers(response, cleaned))
        statements_store(
            statements=[statement], version=XAPI_VERSION, client=lrs_internal_client_get(app="surveys")
        )
        audit_record(
            actor_id=None,
            actor_label="anonymous" if survey.anonymous else invitation.person.work_email,
            action="respond",
            entity_type="survey",
            entity_id=survey.pk,
            entity_label=survey.title,
            summary="A response was recorded",
        )
    return SubmitResult(survey_id=survey.pk, response_id=response.pk, statement_id=str(response.statement_id))


def _import_errors(
    *,
    survey: Survey,
    rows: Sequence[ImportedResponse],
    invitations: dict[int, SurveyInvitation],
    now: dt.datetime,
) -> tuple[list[ImportRowError], dict[int, dict[str, tuple[float | None, str]]]]:
    errors: list[ImportRowError] = []
    cleaned: dict[int, dict[str, tuple[float | None, str]]] = {}
    seen: set[int] = set()
    for index, row in enumerate(rows, start=1):
        invitation = invitations.get(row.learner_id)
        problem = ""
        if row.learner_id in seen:
            problem = "This learner appears twice"
        elif invitation is None:
            problem = "No invitation to this survey for this learner"
        elif invitation.responded_at is not None:
            problem = "Already answered"
        elif timezone.is_naive(row.responded_at):
            problem = "responded_at needs a time zone"
        elif row.responded_at > now:
            problem = "responded_at is in the future"
        else:
            try:
                cleaned[index] = answers_validate(
                    kind=survey.kind, answers=row.answers, program_id=survey.program_id
                )
            except AnswersInvalid as error:
                problem = "; ".join(f"{key}: {message}" for key, message in error.errors.items())
        seen.add(row.learner_id)
        if problem:
            errors.append(ImportRowError(row=index, learner_id=row.learner_id, message=problem))
    return errors, cleaned


@transaction.atomic
def survey_responses_import(
    *, survey_id: int, rows: Sequence[ImportedResponse], now: dt.datetime, actor_id: int | None = None
) -> ImportResult:
    """Record many answered invitations at once (the demo's history), all or nothing: with any row in
    error nothing is written and the errors come back. Same validation and statements as a submit.
    Invitations due by `now` that were not answered are recorded as sent on their due date."""
    survey = (
        Survey.objects.select_related("program").select_for_update(of=("self",)).filter(pk=survey_id).first()
    )
    if survey is None:
        raise DomainError(f"No survey {survey_id}")
    invitations = {
        invitation.subject_id: invitation
        for invitation in SurveyInvitation.objects.select_for_update(of=("self",))
        .filter(survey_id=survey_id, subject_id__in={row.learner_id for row in rows})
        .select_related("cohort", "person", "subject")
    }
    errors, cleaned = _import_errors(survey=survey, rows=rows, invitations=invitations, now=now)
    if errors:
        return ImportResult(recorded=0, statements=0, errors=tuple(errors))
    client = lrs_internal_client_get(app="surveys")
    responses: list[SurveyResponse] = []
    statements: list[dict[str, Any]] = []
    changed: list[SurveyInvitation] = []
    for index, row in enumerate(rows, start=1):
        invitation = invitations[row.learner_id]
        when = row.responded_at
        invitation.responded_at = _day(when) if survey.anonymous else when
        invitation.sent_at = invitation.sent_at or min(invitation.due_at, when)
        changed.append(invitation)
        response, statement = _recorded(
            survey=survey, invitation=invitation, cleaned=cleaned[index], when=when
        )
        responses.append(response)
        statements.append(statement)
    SurveyInvitation.objects.bulk_update(changed, ["responded_at", "sent_at"], batch_size=500)
    # Imported history: every invitation due by `now` went out on its due date, answered or not, so response
    # rates count the people who never answered too.
    SurveyInvitation.objects.filter(survey_id=survey.pk, sent_at__isnull=True, due_at__lte=now).update(
        sent_at=F("due_at")
    )
    created = SurveyResponse.objects.bulk_create(responses, batch_size=1000)
    answers = [
        answer
        for index, response in enumerate(created, start=1)
        for answer in _answers(response, cleaned[index])
    ]
    SurveyAnswer.objects.bulk_create(answers, batch_size=2000)
    for start in range(0, len(statements), STATEMENTS_PER_CALL):
        statements_store(
            statements=statements[start : start + STATEMENTS_PER_CALL], version=XAPI_VERSION, client=client
        )
    audit_record(
        actor_id=actor_id,
        action="import",
        entity_type="survey",
        entity_id=survey.pk,
        entity_label=survey.title,
        changes={"responses": len(responses)},
        summary=f"{len(responses)} responses recorded",
    )
    return ImportResult(recorded=len(responses), statements=len(statements))
