"""Reads of surveys: the contract rows for reports, and what the L&D pages and the answer page show.

Aggregates are computed in the database (one query per table of figures). Groups under the minimum size
get no figure; individual answers never leave this module except as anonymous, unattributed comments of
groups large enough.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q

from tandem.impact.models import Cohort, Program
from tandem.metrics.selectors import min_group_size
from tandem.surveys.knowledge import KNOWLEDGE_KINDS, knowledge_questions_of
from tandem.surveys.models import Survey, SurveyAnswer, SurveyInvitation, SurveyResponse
from tandem.surveys.questions import KIND_LABELS, Question, questions_for
from tandem.surveys.records import SurveyAnswerRow, SurveyRateRow
from tandem.surveys.results import (
    InvitationDue,
    ProgramChoice,
    PublicQuestion,
    PublicSurvey,
    QuestionSummary,
    RateGroup,
    SurveyAlreadyAnswered,
    SurveyDetail,
    SurveyLinkClosed,
    SurveyLinkUnknown,
    SurveyListItem,
)
from tandem.surveys.tokens import token_hash

PERCENT_BUCKETS = ((0, 19), (20, 39), (40, 59), (60, 79), (80, 100))


def survey_invitations_list(*, survey_id: int) -> list[InvitationDue]:
    """The survey's invitations, due first (one query): for schedulers and the demo's answered history."""
    rows = SurveyInvitation.objects.filter(survey_id=survey_id).values_list(
        "subject_id", "due_at", "responded_at"
    )
    return [
        InvitationDue(learner_id=subject_id, due_at=due_at, responded=responded_at is not None)
        for subject_id, due_at, responded_at in rows.order_by("due_at", "id")
    ]


# --- the contract (tandem.surveys.records) --------------------------------------------------------


def survey_answers_for_program(*, program_id: int) -> list[SurveyAnswerRow]:
    """Every answer to every survey of the program (one query). person_id is None for anonymous surveys."""
    rows = (
        SurveyAnswer.objects.filter(survey__program_id=program_id)
        .order_by("response__responded_at", "response_id", "question_key")
        .values_list(
            "survey_id",
            "response_id",
            "survey__kind",
            "response__cohort_id",
            "response__org_unit_id",
            "response__person_id",
            "question_key",
            "value",
            "text",
            "response__responded_at",
        )
    )
    return [SurveyAnswerRow(*row) for row in rows]


def survey_response_rates(*, program_id: int) -> list[SurveyRateRow]:
    """Invitations sent and answered per survey × cohort × learner's org unit (one grouped query)."""
    rows = (
        SurveyInvitation.objects.filter(survey__program_id=program_id, sent_at__isnull=False)
        .values("survey_id", "survey__kind", "cohort_id", "org_unit_id")
        .annotate(invited=Count("id"), responded=Count("id", filter=Q(responded_at__isnull=False)))
        .order_by("survey_id", "cohort_id", "org_unit_id")
    )
    return [
        SurveyRateRow(
            survey_id=row["survey_id"],
            kind=row["survey__kind"],
            cohort_id=row["cohort_id"],
            org_unit_id=row["org_unit_id"],
            invited=row["invited"],
            responded=row["responded"],
        )
        for row in rows
    ]


# --- L&D pages -----------------------------------------------------------------------------------


def _list_items(surveys: list[Survey]) -> list[SurveyListItem]:
    return [
        SurveyListItem(
            id=s.pk,
            title=s.title,
            kind=s.kind,
            kind_label=KIND_LABELS[s.kind],
            program_code=s.program.code,
            program_name=s.program.name,
            cohort_name=s.cohort.name if s.cohort else None,
            anonymous=s.anonymous,
            status=s.status,
            send_after_days=s.send_after_days,
            invitations=s.n_invitations,  # type: ignore[attr-defined]
            invited=s.n_invited,  # type: ignore[attr-defined]
            responded=s.n_responded,  # type: ignore[attr-defined]
        )
        for s in surveys
    ]


def _annotated():  # type: ignore[no-untyped-def]
    return Survey.objects.select_related("program", "cohort").annotate(
        n_invitations=Count("invitations"),
        n_invited=Count("invitations", filter=Q(invitations__sent_at__isnull=False)),
        n_responded=Count("invitations", filter=Q(invitations__responded_at__isnull=False)),
    )


def survey_list(*, program_id: int | None = None, status: str = "") -> list[SurveyListItem]:
    """Every survey with its response rate (one query)."""
    surveys = _annotated()
    if program_id is not None:
        surveys = surveys.filter(program_id=program_id)
    if status:
        surveys = surveys.filter(status=status)
    return _list_items(list(surveys.order_by("-created_at", "-id")))


def _distribution(question: Question, counts: dict[float, int]) -> tuple[tuple[str, int], ...]:
    if question.scale == "percent":
        return tuple(
            (f"{low}–{high}%", sum(n for value, n in counts.items() if low <= value <= high))
            for low, high in PERCENT_BUCKETS
        )
    return tuple((str(value), counts.get(float(value), 0)) for value in question.choices)


def _question_summary(question: Question, counts: dict[float, int], minimum: int) -> QuestionSummary:
    answered = sum(counts.values())
    if answered < minimum:
        return QuestionSummary(question.key, question.wording(), question.scale, answered, suppressed=True)
    mean = sum(value * n for value, n in counts.items()) / answered
    nps = None
    if question.scale == "nps":
        promoters = sum(n for value, n in counts.items() if value >= 9)
        detractors = sum(n for value, n in counts.items() if value <= 6)
        nps = 100 * (promoters - detractors) / answered
    return QuestionSummary(
        question.key,
        question.wording(),
        question.scale,
        answered,
        suppressed=False,
        mean=mean,
        distribution=_distribution(question, counts),
        nps=nps,
    )


def _rate_groups(survey_id: int, by: str, label_of: str, minimum: int) -> tuple[RateGroup, ...]:
    rows = (
        SurveyInvitation.objects.filter(survey_id=survey_id, sent_at__isnull=False)
        .values(by, label_of)
        .annotate(invited=Count("id"), responded=Count("id", filter=Q(responded_at__isnull=False)))
        .order_by(label_of)
    )
    return tuple(
        RateGroup(
            label=row[label_of] or "Unknown",
            invited=row["invited"],
            responded=row["responded"] if row["invited"] >= minimum else 0,
            suppressed=row["invited"] < minimum,
        )
        for row in rows
    )


def survey_detail(*, survey_id: int) -> SurveyDetail | None:
    """Per-question aggregates, response rates by cohort and org unit, and comments (when enough answered)."""
    survey = _annotated().filter(pk=survey_id).first()
    if survey is None:
        return None
    minimum = min_group_size()
    counts: dict[str, dict[float, int]] = {}
    for key, value, n in (
        SurveyAnswer.objects.filter(survey_id=survey_id, value__isnull=False)
        .values("question_key", "value")
        .annotate(n=Count("id"))
        .values_list("question_key", "value", "n")
    ):
        counts.setdefault(key, {})[float(value or 0)] = n
    responses = SurveyResponse.objects.filter(survey_id=survey_id).count()
    questions = questions_for(kind=survey.kind)
    summaries = tuple(
        _question_summary(q, counts.get(q.key, {}), minimum) for q in questions if not q.is_text
    )
    text_keys = [q.key for q in questions if q.is_text]
    comments_suppressed = responses < minimum
    comments: tuple[str, ...] = ()
    if text_keys and not comments_suppressed:
        # Sorted by text, not by time or person, so a comment cannot be matched to when someone answered.
        comments = tuple(
            SurveyAnswer.objects.filter(survey_id=survey_id, question_key__in=text_keys)
            .exclude(text="")
            .order_by("text")
            .values_list("text", flat=True)
        )
    item = _list_items([survey])[0]
    return SurveyDetail(
        survey=item,
        intro=survey.intro,
        reminder_every_days=survey.reminder_every_days,
        max_reminders=survey.max_reminders,
        closes_after_days=survey.closes_after_days,
        responses=responses,
        pending=item.invitations - item.invited,
        min_group=minimum,
        questions=summaries,
        by_cohort=_rate_groups(survey_id, "cohort_id", "cohort__name", minimum),
        by_org_unit=_rate_groups(survey_id, "org_unit_id", "org_unit__name", minimum),
        comments=comments,
        comments_suppressed=comments_suppressed and bool(text_keys),
    )


def survey_program_choices() -> list[ProgramChoice]:
    """Programs and their cohorts for the create form (two queries)."""
    cohorts: dict[int, list[tuple[int, str]]] = {}
    for cohort_id, program_id, name in Cohort.objects.order_by("start_date", "name").values_list(
        "id", "program_id", "name"
    ):
        cohorts.setdefault(program_id, []).append((cohort_id, name))
    return [
        ProgramChoice(id=pid, code=code, name=name, cohorts=tuple(cohorts.get(pid, [])))
        for pid, code, name in Program.objects.order_by("name").values_list("id", "code", "name")
    ]


# --- the answer page -----------------------------------------------------------------------------


def survey_invitation_usable(*, token: str, now: dt.datetime) -> SurveyInvitation:
    """The invitation behind a link if it can still be answered, else why not (SurveyLinkError).
    Used by this app only (the answer page and the submit service share the same checks)."""
    invitation = (
        SurveyInvitation.objects.select_related("survey__program", "cohort", "person", "subject")
        .filter(token_hash=token_hash(token=token))
        .first()
    )
    if invitation is None:
        raise SurveyLinkUnknown(
            "We could not find a survey for this link. Please use the link in your email."
        )
    if invitation.responded_at is not None:
        raise SurveyAlreadyAnswered("Your answers were recorded earlier. Thank you!")
    if invitation.survey.status != Survey.Status.OPEN or now >= invitation.closes_at:
        raise SurveyLinkClosed("This survey is closed and no longer takes answers.")
    return invitation


def _knowledge_public(program_id: int) -> tuple[PublicQuestion, ...]:
    """A knowledge check's questions as the answer page shows them: options, never which are right."""
    return tuple(
        PublicQuestion(
            key=q.key,
            text=q.text + (" (tick every right answer)" if q.multiple else ""),
            scale="choice",
            required=True,
            minimum=0,
            maximum=0,
            choices=(),
            low_label="",
            high_label="",
            options=tuple(enumerate(q.choices)),
            multiple=q.multiple,
        )
        for q in knowledge_questions_of(program_id=program_id)
    )


def survey_invitation_open(*, token: str, now: dt.datetime) -> PublicSurvey:
    """What the person behind a link is asked, or why the link does not work (SurveyLinkError)."""
    invitation = survey_invitation_usable(token=token, now=now)
    survey = invitation.survey
    about = invitation.subject.first_name if invitation.subject_id != invitation.person_id else ""
    return PublicSurvey(
        title=survey.title,
        intro=survey.intro,
        program_name=survey.program.name,
        kind=survey.kind,
        anonymous=survey.anonymous,
        subject_first_name=about,
        closes_at=invitation.closes_at,
        questions=_knowledge_public(survey.program_id)
        if survey.kind in KNOWLEDGE_KINDS
        else tuple(
            PublicQuestion(
                key=q.key,
                text=q.wording(subject_name=about),
                scale=q.scale,
                required=q.required,
                minimum=q.minimum,
                maximum=q.maximum,
                choices=tuple(q.choices),
                low_label=q.low_label,
                high_label=q.high_label,
            )
            for q in questions_for(kind=survey.kind)
        ),
    )
