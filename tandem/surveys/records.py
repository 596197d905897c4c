"""Plain results the surveys app hands to other apps (reports, demo, web). Contract: keep these stable."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# Survey kinds (Kirkpatrick New World levels 1-3) and the question keys each standard questionnaire asks.
KIND_REACTION = "reaction"
KIND_KNOWLEDGE_PRE = "knowledge_pre"
KIND_KNOWLEDGE_POST = "knowledge_post"
KIND_BEHAVIOUR_LEARNER = "behaviour_learner"
KIND_BEHAVIOUR_MANAGER = "behaviour_manager"

QUESTION_KEYS: dict[str, tuple[str, ...]] = {
    # satisfaction/relevance/engagement/confidence/commitment: 1-5; nps: 0-10; comment: text
    KIND_REACTION: ("satisfaction", "relevance", "engagement", "nps", "confidence", "commitment", "comment"),
    # score: 0-100 (share of the knowledge check answered correctly)
    KIND_KNOWLEDGE_PRE: ("score",),
    KIND_KNOWLEDGE_POST: ("score",),
    # applied_pct: 0-100 "how much of it do you apply?"; what_changed: text
    KIND_BEHAVIOUR_LEARNER: ("applied_pct", "what_changed"),
    # observed_change: 1-5; applied_pct: 0-100 as the manager sees it; what_changed: text
    KIND_BEHAVIOUR_MANAGER: ("observed_change", "applied_pct", "what_changed"),
}


@dataclass(frozen=True)
class SurveyAnswerRow:
    """One answer to one question. person_id is the learner the answer is about (for a manager's follow-up:
    their report), None when the survey is anonymous. org_unit_id/cohort_id are kept even when anonymous so
    answers can be grouped (never shown for groups under the minimum size)."""

    survey_id: int
    response_id: int
    kind: str
    cohort_id: int | None
    org_unit_id: int | None
    person_id: int | None
    question_key: str
    value: float | None
    text: str
    responded_at: dt.datetime


@dataclass(frozen=True)
class SurveyRateRow:
    """Invitations sent and answered, per survey × cohort × org unit of the learner."""

    survey_id: int
    kind: str
    cohort_id: int | None
    org_unit_id: int | None
    invited: int
    responded: int
