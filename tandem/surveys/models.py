"""Surveys: reaction, learning and behaviour questionnaires sent by email with personal links.

Writes go through tandem.surveys.services; reads through tandem.surveys.selectors. Questions are not rows:
each kind asks the standard questionnaire in tandem.surveys.questions.
"""

from django.db import models
from django.db.models import Q

from tandem.surveys.records import (
    KIND_BEHAVIOUR_LEARNER,
    KIND_BEHAVIOUR_MANAGER,
    KIND_KNOWLEDGE_POST,
    KIND_KNOWLEDGE_PRE,
    KIND_REACTION,
)


class Survey(models.Model):
    class Kind(models.TextChoices):
        REACTION = KIND_REACTION, "Reaction"
        KNOWLEDGE_PRE = KIND_KNOWLEDGE_PRE, "Knowledge check before"
        KNOWLEDGE_POST = KIND_KNOWLEDGE_POST, "Knowledge check after"
        BEHAVIOUR_LEARNER = KIND_BEHAVIOUR_LEARNER, "Follow-up: learner"
        BEHAVIOUR_MANAGER = KIND_BEHAVIOUR_MANAGER, "Follow-up: manager"

    class Status(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"

    program = models.ForeignKey("impact.Program", on_delete=models.CASCADE, related_name="+")
    # None: every cohort of the program, each on its own schedule.
    cohort = models.ForeignKey(
        "impact.Cohort", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    intro = models.TextField(blank=True)
    anonymous = models.BooleanField(default=False)
    send_after_days = models.PositiveSmallIntegerField(default=0, help_text="Days after the cohort starts.")
    reminder_every_days = models.PositiveSmallIntegerField(default=2)
    max_reminders = models.PositiveSmallIntegerField(default=3)
    closes_after_days = models.PositiveSmallIntegerField(default=14, help_text="Days after the invitation.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by_id = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reminder_every_days__gte=1), name="survey_reminder_gap_positive"
            ),
            models.CheckConstraint(condition=Q(closes_after_days__gte=1), name="survey_open_at_least_a_day"),
        ]

    def __str__(self) -> str:
        return self.title


class SurveyInvitation(models.Model):
    """One person asked to answer one survey, about themselves or (manager follow-up) about a report.

    The link's token is not stored: it is derived from token_salt with the secret key when an email is
    written, and only its SHA-256 (token_hash) is kept to find the invitation when the link is opened.
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    person = models.ForeignKey("org.Person", on_delete=models.CASCADE, related_name="+")
    # The learner the answers are about: the invitee for learner surveys, their report for a manager's.
    subject = models.ForeignKey("org.Person", on_delete=models.CASCADE, related_name="+")
    cohort = models.ForeignKey(
        "impact.Cohort", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The learner's org unit when the invitation was made, for rates and anonymous grouping.
    org_unit = models.ForeignKey(
        "org.OrgUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token_salt = models.CharField(max_length=32)
    token_hash = models.CharField(max_length=64, unique=True)
    due_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    # For anonymous surveys only the day is kept, so it cannot be matched with the response's time.
    responded_at = models.DateTimeField(null=True, blank=True)
    # Which dispatch run claimed the last email, so a run reads back exactly the rows it claimed.
    dispatch_claim = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        ordering = ["survey", "due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "person", "subject"], name="survey_invitation_once")
        ]
        indexes = [
            models.Index(fields=["survey", "sent_at", "due_at"]),
            models.Index(fields=["dispatch_claim"]),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} for survey {self.survey_id}"


class SurveyResponse(models.Model):
    """One completed questionnaire. Anonymous surveys keep cohort and org unit for grouping, never people."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    cohort = models.ForeignKey(
        "impact.Cohort", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    org_unit = models.ForeignKey(
        "org.OrgUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Both None when the survey is anonymous.
    invitation = models.OneToOneField(
        SurveyInvitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="response"
    )
    person = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responded_at = models.DateTimeField()
    statement_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["survey", "responded_at", "id"]
        indexes = [models.Index(fields=["survey", "cohort"])]

    def __str__(self) -> str:
        return f"Response {self.pk} to {self.survey_id}"


class SurveyAnswer(models.Model):
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    # Repeats response.survey so per-question aggregates need no join.
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    question_key = models.CharField(max_length=40)
    value = models.FloatField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["response", "question_key"]
        constraints = [
            models.UniqueConstraint(fields=["response", "question_key"], name="survey_answer_once"),
        ]
        indexes = [models.Index(fields=["survey", "question_key"])]

    def __str__(self) -> str:
        return f"{self.question_key} of response {self.response_id}"


class KnowledgeQuestion(models.Model):
    """A question of a program's knowledge check, asked before and after (so the two scores compare), with
    its correct answer(s). Tandem scores every submission: a learner never types in their own score."""

    program = models.ForeignKey("impact.Program", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=500)
    choices = models.JSONField(default=list)  # the options' texts, in the order shown
    # Indexes into choices. More than one: "tick every right answer", right only when all and no more are.
    correct = models.JSONField(default=list)

    class Meta:
        ordering = ["program", "position"]
        constraints = [
            models.UniqueConstraint(fields=["program", "position"], name="knowledge_question_position_once")
        ]

    def __str__(self) -> str:
        return self.text
