"""Plain values and errors the surveys services and selectors hand to pages, tasks and the demo.

(records.py is the contract other domain apps code against; these are for the presentation layer.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from tandem.core.scope import DomainError

# A number or text; a multiple-choice question of a knowledge check: the indexes of the options ticked.
AnswerValue = int | float | str | list[int] | list[str] | list[int | str] | tuple[int | str, ...]


class SurveyLinkError(DomainError):
    """A survey link that cannot be answered; `status` is the HTTP status of the page that says so."""

    status = 404
    title = "This survey link does not work"


class SurveyLinkUnknown(SurveyLinkError):
    status = 404


class SurveyLinkClosed(SurveyLinkError):
    status = 410
    title = "This survey has closed"


class SurveyAlreadyAnswered(SurveyLinkError):
    status = 410
    title = "You have already answered"


class AnswersInvalid(DomainError):
    """Some answers are missing or out of range; errors maps each question key to what is wrong."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(
            "Some answers need another look: " + "; ".join(f"{k}: {v}" for k, v in errors.items())
        )
        self.errors = dict(errors)


@dataclass(frozen=True)
class SurveyCreated:
    survey_id: int
    invitations: int
    without_manager: int = 0


@dataclass(frozen=True)
class InvitationsCreated:
    created: int
    already: int
    without_manager: int  # manager follow-ups: participants with nobody to ask


@dataclass(frozen=True)
class DispatchResult:
    invitations: int  # first emails claimed (and sent, unless counted in failed)
    reminders: int
    failed: int = 0  # put back to be tried again on the next run


@dataclass(frozen=True)
class SubmitResult:
    survey_id: int
    response_id: int
    statement_id: str


@dataclass(frozen=True)
class ImportedResponse:
    """One answered invitation for survey_responses_import: the learner the answers are about (for a
    manager's follow-up, their report: the invitation sent to that report's manager), the answers, when."""

    learner_id: int
    answers: Mapping[str, AnswerValue]
    responded_at: dt.datetime


@dataclass(frozen=True)
class ImportRowError:
    row: int  # 1-based position in the rows given
    learner_id: int
    message: str


@dataclass(frozen=True)
class ImportResult:
    recorded: int
    statements: int
    errors: tuple[ImportRowError, ...] = ()


@dataclass(frozen=True)
class PublicQuestion:
    key: str
    text: str
    scale: str
    required: bool
    minimum: int
    maximum: int
    choices: tuple[int, ...]
    low_label: str
    high_label: str
    # A knowledge-check question: its options (index, text); multiple: tick every right one.
    options: tuple[tuple[int, str], ...] = ()
    multiple: bool = False


@dataclass(frozen=True)
class PublicSurvey:
    """What the answer page shows: no ids, no email addresses."""

    title: str
    intro: str
    program_name: str
    kind: str
    anonymous: bool
    subject_first_name: str  # manager follow-ups: whom the questions are about
    closes_at: dt.datetime
    questions: tuple[PublicQuestion, ...]


@dataclass(frozen=True)
class SurveyListItem:
    id: int
    title: str
    kind: str
    kind_label: str
    program_code: str
    program_name: str
    cohort_name: str | None
    anonymous: bool
    status: str
    send_after_days: int
    invitations: int  # created, sent or not
    invited: int  # sent
    responded: int

    @property
    def rate(self) -> float | None:
        return self.responded / self.invited if self.invited else None


@dataclass(frozen=True)
class QuestionSummary:
    key: str
    text: str
    scale: str
    answered: int
    suppressed: bool  # fewer answers than the minimum group size: no figure
    mean: float | None = None
    distribution: tuple[tuple[str, int], ...] = ()  # (bucket label, answers)
    nps: float | None = None  # promoters % minus detractors %, for the NPS question


@dataclass(frozen=True)
class RateGroup:
    label: str
    invited: int
    responded: int
    suppressed: bool

    @property
    def rate(self) -> float | None:
        return self.responded / self.invited if self.invited and not self.suppressed else None


@dataclass(frozen=True)
class SurveyDetail:
    survey: SurveyListItem
    intro: str
    reminder_every_days: int
    max_reminders: int
    closes_after_days: int
    responses: int
    pending: int  # invitations not sent yet
    min_group: int
    questions: tuple[QuestionSummary, ...]
    by_cohort: tuple[RateGroup, ...]
    by_org_unit: tuple[RateGroup, ...]
    comments: tuple[str, ...] = field(default=())
    comments_suppressed: bool = False


@dataclass(frozen=True)
class ProgramChoice:
    id: int
    code: str
    name: str
    cohorts: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class InvitationDue:
    """One invitation of a survey: the learner it is about, when it is due and whether it was answered."""

    learner_id: int
    due_at: dt.datetime
    responded: bool
