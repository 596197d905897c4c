"""A program's knowledge check: its questions with their correct answers, and Tandem's scoring of a submission.

The score (share of questions answered right, 0-100) is computed here on submit and stored as the "score"
answer, which the tiers' knowledge gain and the xAPI statement's result.score read. Learners choose answers;
they never type a score. Pre and post checks of a program ask the same questions, so their scores compare;
for that reason the questions cannot change once either check has an answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction

from tandem.audit.services import audit_record
from tandem.core.scope import DomainError
from tandem.impact.models import Program
from tandem.surveys.models import KnowledgeQuestion, SurveyResponse
from tandem.surveys.records import KIND_KNOWLEDGE_POST, KIND_KNOWLEDGE_PRE
from tandem.surveys.results import AnswersInvalid, AnswerValue

SCORE_KEY = "score"
MAX_QUESTIONS = 50
MAX_CHOICES = 10
TEXT_MAX = 500
KNOWLEDGE_KINDS = (KIND_KNOWLEDGE_PRE, KIND_KNOWLEDGE_POST)

# What a submission may carry per question: one choice (its index as text) or several (a list of them).
ChoiceAnswer = AnswerValue | None


@dataclass(frozen=True)
class KnowledgeQuestionIn:
    text: str
    choices: tuple[str, ...]
    correct: tuple[int, ...]  # indexes into choices


@dataclass(frozen=True)
class KnowledgeQuestionRow:
    key: str  # the answer's question key: "q<position>"
    position: int
    text: str
    choices: tuple[str, ...]
    correct: tuple[int, ...]

    @property
    def multiple(self) -> bool:
        return len(self.correct) > 1


def _key(position: int) -> str:
    return f"q{position}"


def knowledge_questions_of(*, program_id: int) -> tuple[KnowledgeQuestionRow, ...]:
    """The program's knowledge-check questions in order (one query)."""
    return tuple(
        KnowledgeQuestionRow(
            key=_key(position),
            position=position,
            text=text,
            choices=tuple(str(c) for c in choices),
            correct=tuple(int(i) for i in correct),
        )
        for position, text, choices, correct in KnowledgeQuestion.objects.filter(program_id=program_id)
        .order_by("position")
        .values_list("position", "text", "choices", "correct")
    )


def knowledge_questions_parse(*, text: str) -> list[KnowledgeQuestionIn]:
    """Questions from the page's plain-text form: a question's text on one line, then its options, one a
    line, starting with "* " (a right answer) or "- " (a wrong one); a blank line between questions."""
    questions: list[KnowledgeQuestionIn] = []
    lines = [*text.replace("\r\n", "\n").split("\n"), ""]
    current: str | None = None
    choices: list[str] = []
    correct: list[int] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            if current is not None:
                questions.append(KnowledgeQuestionIn(current, tuple(choices), tuple(correct)))
            current, choices, correct = None, [], []
            continue
        if line[:2] in ("* ", "- "):
            if current is None:
                raise DomainError(f"Line {number}: an option needs its question on the line above.")
            if line.startswith("* "):
                correct.append(len(choices))
            choices.append(line[2:].strip())
        elif current is None:
            current = line
        else:
            raise DomainError(
                f"Line {number}: start each option with “* ” (right) or “- ” (wrong), "
                "and leave a blank line before the next question."
            )
    return questions


def _check(questions: Sequence[KnowledgeQuestionIn]) -> None:
    if not questions:
        raise DomainError("A knowledge check needs at least one question.")
    if len(questions) > MAX_QUESTIONS:
        raise DomainError(f"A knowledge check has at most {MAX_QUESTIONS} questions.")
    for number, question in enumerate(questions, start=1):
        where = f"Question {number}"
        if not question.text.strip() or len(question.text) > TEXT_MAX:
            raise DomainError(f"{where}: write its text (at most {TEXT_MAX} characters).")
        if not 2 <= len(question.choices) <= MAX_CHOICES:
            raise DomainError(f"{where}: give 2 to {MAX_CHOICES} options.")
        if any(not c.strip() or len(c) > TEXT_MAX for c in question.choices):
            raise DomainError(f"{where}: every option needs a text of at most {TEXT_MAX} characters.")
        if len({c.strip().casefold() for c in question.choices}) != len(question.choices):
            raise DomainError(f"{where}: two options say the same.")
        if not question.correct:
            raise DomainError(f"{where}: mark at least one option as the right answer.")
        if len(set(question.correct)) != len(question.correct) or not all(
            0 <= i < len(question.choices) for i in question.correct
        ):
            raise DomainError(f"{where}: the right answers must be among its options.")


def knowledge_answered(*, program_id: int) -> bool:
    return SurveyResponse.objects.filter(
        survey__program_id=program_id, survey__kind__in=KNOWLEDGE_KINDS
    ).exists()


@transaction.atomic
def knowledge_questions_set(
    *, actor_id: int | None, program_id: int, questions: Sequence[KnowledgeQuestionIn]
) -> int:
    """Replace the program's knowledge-check questions; refused once a check has answers. Returns how many."""
    program = Program.objects.select_for_update().filter(pk=program_id).only("id", "code").first()
    if program is None:
        raise DomainError(f"No program {program_id}")
    _check(questions)
    if knowledge_answered(program_id=program_id):
        raise DomainError(
            "The knowledge check has answers already: changing its questions now would make the scores "
            "before and after the program incomparable."
        )
    KnowledgeQuestion.objects.filter(program_id=program_id).delete()
    KnowledgeQuestion.objects.bulk_create(
        KnowledgeQuestion(
            program_id=program_id,
            position=position,
            text=q.text.strip(),
            choices=[c.strip() for c in q.choices],
            correct=sorted(q.correct),
        )
        for position, q in enumerate(questions, start=1)
    )
    audit_record(
        actor_id=actor_id,
        action="update",
        entity_type="program",
        entity_id=program.pk,
        entity_label=program.code,
        changes={"knowledge_questions": len(questions)},
        summary=f"Knowledge check set to {len(questions)} questions",
    )
    return len(questions)


def _chosen(raw: ChoiceAnswer, size: int) -> set[int] | None:
    """The option indexes picked, or None when the answer is not a set of this question's options."""
    if raw is None or raw == "":
        values: list[object] = []
    elif isinstance(raw, list | tuple):
        values = list(raw)
    else:
        values = [raw]
    picked: set[int] = set()
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool):
            index = value
        elif isinstance(value, str) and value.strip().isdigit():
            index = int(value.strip())
        else:
            return None
        if not 0 <= index < size:
            return None
        picked.add(index)
    return picked


def knowledge_score(
    *, questions: Sequence[KnowledgeQuestionRow], answers: Mapping[str, ChoiceAnswer]
) -> dict[str, tuple[float | None, str]]:
    """(value, text) per answer key: each question 1 (right) or 0 (wrong) with the options picked, and the
    score (% right). A question is right when exactly its right options are picked. AnswersInvalid when a
    question is unanswered or an answer is not one of its options."""
    if not questions:
        raise DomainError("This knowledge check has no questions yet.")
    known = {q.key for q in questions}
    errors = {key: "This survey does not ask this." for key in answers if key not in known}
    cleaned: dict[str, tuple[float | None, str]] = {}
    right = 0
    for question in questions:
        picked = _chosen(answers.get(question.key), len(question.choices))
        if picked is None:
            errors[question.key] = "Choose among the options shown."
            continue
        if not picked:
            errors[question.key] = "Please answer this question."
            continue
        if not question.multiple and len(picked) > 1:
            errors[question.key] = "Choose one option."
            continue
        is_right = picked == set(question.correct)
        right += is_right
        cleaned[question.key] = (1.0 if is_right else 0.0, ",".join(str(i) for i in sorted(picked)))
    if errors:
        raise AnswersInvalid(errors)
    cleaned[SCORE_KEY] = (round(100.0 * right / len(questions), 1), "")
    return cleaned


def knowledge_survey_needs_questions(*, program_id: int, kind: str) -> None:
    """Refuse a knowledge check for a program without questions (it could not be scored)."""
    if kind in KNOWLEDGE_KINDS and not KnowledgeQuestion.objects.filter(program_id=program_id).exists():
        raise DomainError(
            "Write the program's knowledge-check questions first (with their right answers): "
            "Tandem scores each check from them."
        )


def knowledge_questions_text(*, program_id: int) -> str:
    """The program's questions in the page's plain-text form (what knowledge_questions_parse reads)."""
    blocks = []
    for question in knowledge_questions_of(program_id=program_id):
        options = [
            f"{'*' if index in question.correct else '-'} {choice}"
            for index, choice in enumerate(question.choices)
        ]
        blocks.append("\n".join([question.text, *options]))
    return "\n\n".join(blocks)
