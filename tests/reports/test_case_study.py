"""Case study drafts: Success Case Method quotes from hand-built answer rows, and edits that survive."""

import datetime as dt

import pytest
from django.utils import timezone

from tandem.audit.models import AuditEvent
from tandem.core.scope import DomainError
from tandem.reports.case_study import Quote, reaction_weak_points, respondent_scores, success_case_quotes
from tandem.reports.pdf import case_study_pdf
from tandem.reports.selectors import case_study_get
from tandem.reports.services import case_study_draft, case_study_update
from tandem.surveys.models import Survey, SurveyAnswer, SurveyResponse
from tandem.surveys.records import (
    KIND_BEHAVIOUR_LEARNER,
    KIND_BEHAVIOUR_MANAGER,
    KIND_REACTION,
    SurveyAnswerRow,
)
from tests.reports.factories import pdf_strings

AT = dt.datetime(2025, 9, 1, tzinfo=dt.UTC)
UNITS = {10: "Sales", 20: "Support"}


def answer(response_id, kind, key, *, value=None, text="", person_id=None, unit=10):
    return SurveyAnswerRow(
        survey_id=1,
        response_id=response_id,
        kind=kind,
        cohort_id=None,
        org_unit_id=unit,
        person_id=person_id,
        question_key=key,
        value=value,
        text=text,
        responded_at=AT,
    )


def follow_up(person_id, applied, said, *, unit=10):
    return [
        answer(
            person_id, KIND_BEHAVIOUR_LEARNER, "applied_pct", value=applied, person_id=person_id, unit=unit
        ),
        answer(person_id, KIND_BEHAVIOUR_LEARNER, "what_changed", text=said, person_id=person_id, unit=unit),
    ]


@pytest.fixture
def rows():
    """Six named learners applying 10..95%; person 3's manager saw a big change; one anonymous answer."""
    applied = {1: 95, 2: 75, 3: 40, 4: 30, 5: 20, 6: 10}
    rows = []
    for person, pct in applied.items():
        rows += follow_up(person, pct, f"person {person} says", unit=20 if person == 6 else 10)
    rows += [
        answer(100, KIND_BEHAVIOUR_MANAGER, "observed_change", value=5, person_id=3),  # 3: (0.4 + 1 + 1) / 3
        answer(100, KIND_BEHAVIOUR_MANAGER, "applied_pct", value=100, person_id=3),
        answer(101, KIND_BEHAVIOUR_LEARNER, "applied_pct", value=50),
        answer(101, KIND_BEHAVIOUR_LEARNER, "what_changed", text="anonymous says"),
    ]
    return rows


def test_respondents_are_ranked_by_what_they_and_their_managers_say_they_apply(rows):
    scores = respondent_scores(rows=rows, unit_names=UNITS)
    assert [s.key for s in scores] == ["p1", "p3", "p2", "r101", "p4", "p5", "p6"]
    assert scores[1].score == pytest.approx((0.4 + 1.0 + 1.0) / 3)


def test_quotes_come_from_the_top_and_bottom_and_carry_no_name(rows):
    success, non_success, note = success_case_quotes(rows=rows, unit_names=UNITS, minimum=5)
    assert note == ""
    assert [q.text for q in success] == ["person 1 says", "person 3 says", "person 2 says"]
    assert [q.text for q in non_success] == ["person 6 says", "person 5 says", "person 4 says"]
    assert non_success[0].who_label == "A participant in Support"
    assert success[0].who_label == "A participant in Sales"
    # Two per side when only four people wrote something; the anonymous one is quoted without a team.
    few = [r for r in rows if r.person_id not in {3, 4}]
    success, non_success, _ = success_case_quotes(rows=few, unit_names=UNITS, minimum=3)
    assert [q.text for q in success] == ["person 1 says", "person 2 says"]
    assert [q.text for q in non_success] == ["person 6 says", "person 5 says"]
    few = [r for r in rows if r.person_id in {1, 6} or r.person_id is None]
    success, non_success, _ = success_case_quotes(rows=few, unit_names=UNITS, minimum=3, per_side=1)
    assert success == (Quote("person 1 says", "A participant in Sales"),)
    assert non_success == (Quote("person 6 says", "A participant in Support"),)
    assert (
        success_case_quotes(rows=few, unit_names=UNITS, minimum=3, per_side=3)[1][0].text == "person 6 says"
    )


def test_no_quotes_from_fewer_people_than_the_minimum(rows):
    success, non_success, note = success_case_quotes(rows=rows, unit_names=UNITS, minimum=8)
    assert success == non_success == () and "Only 7 people" in note


def test_anonymous_manager_answers_are_labelled_without_a_team():
    rows = [answer(r, KIND_BEHAVIOUR_MANAGER, "observed_change", value=r) for r in range(1, 6)]
    rows += [answer(r, KIND_BEHAVIOUR_MANAGER, "what_changed", text=f"manager {r}") for r in range(1, 6)]
    success, non_success, _ = success_case_quotes(rows=rows, unit_names=UNITS, minimum=5, per_side=1)
    assert success == (Quote("manager 5", "A participant's manager (anonymous)"),)
    assert non_success == (Quote("manager 1", "A participant's manager (anonymous)"),)


def test_weak_reaction_scales_and_poor_ratings_seed_what_to_do_differently():
    rows = []
    for r in range(1, 7):
        rows.append(answer(r, KIND_REACTION, "satisfaction", value=5 if r > 2 else 1))
        rows.append(answer(r, KIND_REACTION, "relevance", value=3 if r > 2 else 1))
        rows.append(answer(r, KIND_REACTION, "comment", text=f"comment {r}"))
    points, poor = reaction_weak_points(rows=rows, unit_names=UNITS, minimum=5)
    assert points == ["Relevance to the job scored 2.3 of 5 on average (6 answers)."]
    assert [q.text for q in poor] == ["comment 1", "comment 2"]
    assert reaction_weak_points(rows=rows, unit_names=UNITS, minimum=7) == ([], [q for q in poor])


# --- the service ------------------------------------------------------------------------------------


def _survey_answers(program, people, *, anonymous=False):
    """Real survey rows: learners' follow-up answers, applied % rising with their position in the list."""
    survey = Survey.objects.create(
        program=program, kind=KIND_BEHAVIOUR_LEARNER, title="Follow-up", anonymous=anonymous
    )
    for number, person in enumerate(people):
        response = SurveyResponse.objects.create(
            survey=survey,
            person=None if anonymous else person,
            org_unit=person.org_unit,
            responded_at=timezone.now(),
        )
        SurveyAnswer.objects.bulk_create(
            [
                SurveyAnswer(response=response, survey=survey, question_key="applied_pct", value=10 * number),
                SurveyAnswer(
                    response=response,
                    survey=survey,
                    question_key="what_changed",
                    text=f"I changed {number} things",
                ),
            ]
        )


@pytest.mark.django_db
def test_draft_from_the_data(program):
    people = [p.person for p in program.participants.select_related("person", "person__org_unit")[:8]]
    _survey_answers(program, people)
    study = case_study_draft(program_id=program.pk, actor_id=None)
    assert study.status == "draft" and study.title.endswith("case study")
    assert "36 participants" in study.what_happened and "3 waves" in study.what_happened
    assert "8 people answered the follow-up" in study.what_happened
    assert "People who took the program had" in study.impact and "95% CI" in study.impact
    assert "return on investment" in study.impact
    assert [q.text for q in study.success_quotes] == [
        "I changed 7 things",
        "I changed 6 things",
        "I changed 5 things",
    ]
    assert study.non_success_quotes[0].text == "I changed 0 things"
    assert not any(
        p.first_name in q.who_label or p.last_name in q.who_label
        for p in people
        for q in study.success_quotes
    )
    unit = people[0].org_unit.name
    assert {q.who_label for q in study.success_quotes} == {f"A participant in {unit}"}
    assert "pays for itself" in study.alternative_scenario
    assert AuditEvent.objects.filter(entity_type="case_study", action="create").count() == 1


@pytest.mark.django_db
def test_edits_survive_a_redraft_until_regenerated(program, make_user):
    user = make_user(roles=["ld_team"])
    study = case_study_draft(program_id=program.pk, actor_id=user.pk)
    drafted_impact = study.impact
    edited = case_study_update(
        case_study_id=study.id,
        actor_id=user.pk,
        title="Coaching pays",
        what_happened=study.what_happened,
        impact="Our words on the impact.",
        success_quotes=[Quote("It works", "A participant in Sales")],
        non_success_quotes=[],
        differently="Shorter sessions.",
        alternative_scenario=study.alternative_scenario,
        status="final",
    )
    assert edited.edited_sections == ("title", "impact", "success_quotes", "differently")
    assert edited.updated_by == user.email and edited.is_final
    redrafted = case_study_draft(program_id=program.pk, actor_id=user.pk)
    assert (redrafted.title, redrafted.impact, redrafted.differently) == (
        "Coaching pays",
        "Our words on the impact.",
        "Shorter sessions.",
    )
    assert redrafted.success_quotes == (Quote("It works", "A participant in Sales"),)
    assert redrafted.what_happened == study.what_happened
    regenerated = case_study_draft(program_id=program.pk, actor_id=user.pk, regenerate=True)
    assert regenerated.impact == drafted_impact and regenerated.edited_sections == ()
    assert regenerated.title != "Coaching pays"
    actions = list(
        AuditEvent.objects.filter(entity_type="case_study").order_by("id").values_list("action", flat=True)
    )
    assert actions == ["create", "update", "redraft", "regenerate"]
    update = AuditEvent.objects.get(entity_type="case_study", action="update")
    assert update.changes["impact"][1] == "Our words on the impact."


@pytest.mark.django_db
def test_an_update_needs_a_title_and_a_known_status(program):
    study = case_study_draft(program_id=program.pk, actor_id=None)
    arguments = {
        "case_study_id": study.id,
        "actor_id": None,
        "what_happened": "",
        "impact": "",
        "success_quotes": [],
        "non_success_quotes": [],
        "differently": "",
        "alternative_scenario": "",
    }
    with pytest.raises(DomainError):
        case_study_update(**arguments, title=" ", status="draft")
    with pytest.raises(DomainError):
        case_study_update(**arguments, title="T", status="published")


@pytest.mark.django_db
def test_case_study_pdf_carries_every_section_and_the_quotes(program):
    study = case_study_draft(program_id=program.pk, actor_id=None)
    case_study_update(
        case_study_id=study.id,
        actor_id=None,
        title="Coaching – what it did",
        what_happened=study.what_happened,
        impact=study.impact,
        success_quotes=[Quote("I close tickets “faster”", "A participant in Support")],
        non_success_quotes=[Quote("No time to practise", "A participant (anonymous)")],
        differently="Shorter sessions.",
        alternative_scenario="A job aid.",
        status="final",
    )
    study = case_study_get(program_id=program.pk)
    pdf = case_study_pdf(study=study, generated_on=dt.date(2026, 11, 29))
    text = pdf_strings(pdf)
    assert pdf.startswith(b"%PDF-")
    for expected in (
        "Coaching – what it did",
        "Final - 29 Nov 2026",
        "What happened",
        "36 participants",
        '"I close tickets “faster”"',
        "- A participant in Support",
        "No time to practise",
        "Shorter sessions.",
        "A job aid.",
    ):
        assert expected in text, expected
