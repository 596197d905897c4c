"""The knowledge check: questions with right answers, scored by Tandem on submit (never typed in)."""

from __future__ import annotations

import pytest

from tandem.core.scope import DomainError
from tandem.lrs.models import Statement
from tandem.surveys.knowledge import (
    KnowledgeQuestionIn,
    knowledge_questions_of,
    knowledge_questions_parse,
    knowledge_questions_set,
    knowledge_questions_text,
    knowledge_score,
)
from tandem.surveys.models import SurveyAnswer, SurveyInvitation
from tandem.surveys.records import KIND_KNOWLEDGE_POST, KIND_KNOWLEDGE_PRE
from tandem.surveys.results import AnswersInvalid, ImportedResponse
from tandem.surveys.selectors import survey_answers_for_program
from tandem.surveys.services import survey_create, survey_response_submit, survey_responses_import
from tests.surveys.factories import at, knowledge_questions, token_of

pytestmark = pytest.mark.django_db


def _check(setup, kind=KIND_KNOWLEDGE_POST):
    return survey_create(
        actor_id=None, program_id=setup.program.pk, kind=kind, now=at(-1), send_after_days=0
    ).survey_id


def _token(survey_id, person):
    return token_of(SurveyInvitation.objects.get(survey_id=survey_id, subject=person))


def test_a_check_without_questions_is_refused(setup):
    with pytest.raises(DomainError, match="knowledge-check questions first"):
        _check(setup)


def test_tandem_scores_the_options_picked(setup):
    knowledge_questions(setup.program)
    questions = knowledge_questions_of(program_id=setup.program.pk)
    assert [q.key for q in questions] == ["q1", "q2", "q3"] and questions[2].multiple
    all_right = knowledge_score(questions=questions, answers={"q1": "0", "q2": "0", "q3": ["2", "0"]})
    assert all_right["score"] == (100.0, "")
    # Half of a multiple-choice question is wrong: only the exact set of right options counts.
    some = knowledge_score(questions=questions, answers={"q1": "0", "q2": "1", "q3": ["0"]})
    assert (
        some["score"] == (pytest.approx(33.3), "") and some["q3"] == (0.0, "0") and some["q1"] == (1.0, "0")
    )


def test_a_typed_score_is_not_accepted_and_every_question_needs_an_answer(setup):
    knowledge_questions(setup.program)
    survey_id = _check(setup)
    with pytest.raises(AnswersInvalid) as error:
        survey_response_submit(
            token=_token(survey_id, setup.learners[0]),
            answers={"score": "100", "q1": "7", "q2": ["0", "1"]},
            now=at(1),
        )
    assert error.value.errors == {
        "score": "This survey does not ask this.",
        "q1": "Choose among the options shown.",
        "q2": "Choose one option.",
        "q3": "Please answer this question.",
    }
    assert not SurveyAnswer.objects.exists()


def test_the_scored_result_is_stored_sent_as_xapi_and_read_by_the_tiers(setup):
    knowledge_questions(setup.program)
    survey_id = _check(setup)
    result = survey_response_submit(
        token=_token(survey_id, setup.learners[1]), answers={"q1": "0", "q2": "0", "q3": ["1"]}, now=at(1)
    )
    statement = Statement.objects.get(pk=result.statement_id).exact
    assert statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed"
    assert statement["result"]["score"] == {"scaled": 0.667, "raw": 66.7, "min": 0, "max": 100}
    scores = [
        row.value
        for row in survey_answers_for_program(program_id=setup.program.pk)
        if row.question_key == "score"
    ]
    assert scores == [pytest.approx(66.7)]


def test_the_demo_import_is_scored_the_same_way(setup):
    knowledge_questions(setup.program)
    survey_id = _check(setup, kind=KIND_KNOWLEDGE_PRE)
    result = survey_responses_import(
        survey_id=survey_id,
        rows=[ImportedResponse(setup.learners[0].pk, {"q1": "1", "q2": "0", "q3": ["0", "2"]}, at(1))],
        now=at(2),
    )
    assert result.recorded == 1
    assert SurveyAnswer.objects.get(question_key="score").value == pytest.approx(66.7)


def test_questions_cannot_change_once_answered(setup):
    knowledge_questions(setup.program)
    survey_id = _check(setup)
    survey_response_submit(
        token=_token(survey_id, setup.learners[0]), answers={"q1": "0", "q2": "0", "q3": ["0"]}, now=at(1)
    )
    with pytest.raises(DomainError, match="incomparable"):
        knowledge_questions_set(
            actor_id=None, program_id=setup.program.pk, questions=[KnowledgeQuestionIn("Q", ("a", "b"), (0,))]
        )
    assert len(knowledge_questions_of(program_id=setup.program.pk)) == 3


@pytest.mark.parametrize(
    ("question", "message"),
    [
        (KnowledgeQuestionIn("Q", ("a",), (0,)), "2 to 10 options"),
        (KnowledgeQuestionIn("Q", ("a", "b"), ()), "mark at least one"),
        (KnowledgeQuestionIn("Q", ("a", "b"), (2,)), "among its options"),
        (KnowledgeQuestionIn("Q", ("a", "A"), (0,)), "say the same"),
        (KnowledgeQuestionIn(" ", ("a", "b"), (0,)), "write its text"),
    ],
)
def test_bad_questions_are_refused_in_words(setup, question, message):
    with pytest.raises(DomainError, match=message):
        knowledge_questions_set(actor_id=None, program_id=setup.program.pk, questions=[question])


def test_the_plain_text_form_reads_back_what_it_wrote(setup):
    knowledge_questions(setup.program)
    text = knowledge_questions_text(program_id=setup.program.pk)
    assert text.startswith("What comes first in a coaching talk?\n* Listening\n- Advice\n\n")
    parsed = knowledge_questions_parse(text=text)
    assert [(q.text, q.choices, q.correct) for q in parsed][2] == (
        "Tick the open questions",
        ("What happened?", "Did it work?", "How?"),
        (0, 2),
    )
    with pytest.raises(DomainError, match="Line 2"):
        knowledge_questions_parse(text="Question\nno marker")
