"""The standard questionnaire of each survey kind: wording, answer type and range (keys from records.py).

Wording lives in code, not in the database: every survey of a kind asks the same questions, so answers can
be compared across programs and cohorts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tandem.surveys.records import (
    KIND_BEHAVIOUR_LEARNER,
    KIND_BEHAVIOUR_MANAGER,
    KIND_KNOWLEDGE_POST,
    KIND_KNOWLEDGE_PRE,
    KIND_REACTION,
)

Scale = Literal["agree", "nps", "percent", "text"]
TEXT_MAX_LENGTH = 2000


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    scale: Scale
    required: bool = True
    # For a manager's follow-up "{name}" is replaced by the learner's first name.
    low_label: str = ""
    high_label: str = ""

    @property
    def minimum(self) -> int:
        return 1 if self.scale == "agree" else 0

    @property
    def maximum(self) -> int:
        return {"agree": 5, "nps": 10, "percent": 100}.get(self.scale, 0)

    @property
    def is_text(self) -> bool:
        return self.scale == "text"

    @property
    def choices(self) -> list[int]:
        """The buttons shown on the form (percentages are typed, in steps the phone keyboard offers)."""
        if self.scale == "percent" or self.is_text:
            return []
        return list(range(self.minimum, self.maximum + 1))

    def wording(self, *, subject_name: str = "") -> str:
        return self.text.replace("{name}", subject_name or "this colleague")


def _agree(key: str, text: str) -> Question:
    return Question(key, text, "agree", low_label="Strongly disagree", high_label="Strongly agree")


# Same keys, same order as records.QUESTION_KEYS (the contract); tests/surveys checks they agree.
QUESTIONS: dict[str, tuple[Question, ...]] = {
    KIND_REACTION: (
        _agree("satisfaction", "Overall, I am satisfied with this program."),
        _agree("relevance", "What I learned is relevant to my job."),
        _agree("engagement", "The program kept me engaged and involved."),
        Question(
            "nps",
            "How likely are you to recommend this program to a colleague?",
            "nps",
            low_label="Not at all likely",
            high_label="Extremely likely",
        ),
        _agree("confidence", "I feel confident I can use what I learned at work."),
        _agree("commitment", "I intend to apply what I learned in the next weeks."),
        Question("comment", "What would make this program better for you?", "text", required=False),
    ),
    # A knowledge check asks its program's own questions (tandem.surveys.knowledge); its one stored figure
    # is the score Tandem computes from the options picked, never typed by the learner.
    KIND_KNOWLEDGE_PRE: (
        Question(
            "score",
            "Score before the program: % of the questions answered right (scored by Tandem).",
            "percent",
        ),
    ),
    KIND_KNOWLEDGE_POST: (
        Question(
            "score",
            "Score after the program: % of the questions answered right (scored by Tandem).",
            "percent",
        ),
    ),
    KIND_BEHAVIOUR_LEARNER: (
        Question(
            "applied_pct", "How much of what you learned do you apply in your work today? (%)", "percent"
        ),
        Question("what_changed", "What has changed in how you work?", "text", required=False),
    ),
    KIND_BEHAVIOUR_MANAGER: (
        _agree("observed_change", "Since the program I have seen a clear change in how {name} works."),
        Question(
            "applied_pct", "How much of what the program taught does {name} apply today? (%)", "percent"
        ),
        Question("what_changed", "What has changed in how {name} works?", "text", required=False),
    ),
}

KIND_LABELS: dict[str, str] = {
    KIND_REACTION: "Reaction (how was it?)",
    KIND_KNOWLEDGE_PRE: "Knowledge check before",
    KIND_KNOWLEDGE_POST: "Knowledge check after",
    KIND_BEHAVIOUR_LEARNER: "Follow-up: the learner",
    KIND_BEHAVIOUR_MANAGER: "Follow-up: the learner's manager",
}

# The title people see when none is given ("{program}" is the program's name).
DEFAULT_TITLES: dict[str, str] = {
    KIND_REACTION: "{program}: how was it?",
    KIND_KNOWLEDGE_PRE: "{program}: knowledge check before you start",
    KIND_KNOWLEDGE_POST: "{program}: knowledge check",
    KIND_BEHAVIOUR_LEARNER: "{program}: what has changed since?",
    KIND_BEHAVIOUR_MANAGER: "{program}: what has changed for your team member?",
}

# Defaults for the create form. Reaction and the knowledge check after count from the day each person took
# part (tandem.surveys.schedule): at once, and a week later (what stayed, not what was just read).
# The knowledge check before and the follow-ups count from the cohort's start.
DEFAULT_SEND_AFTER_DAYS: dict[str, int] = {
    KIND_REACTION: 0,
    KIND_KNOWLEDGE_PRE: 0,
    KIND_KNOWLEDGE_POST: 7,
    KIND_BEHAVIOUR_LEARNER: 60,
    KIND_BEHAVIOUR_MANAGER: 60,
}


def questions_for(*, kind: str) -> tuple[Question, ...]:
    return QUESTIONS[kind]
