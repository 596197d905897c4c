"""The demo's three programs, built as designed, and what Tandem says about each: a known effect found again
(staggered coaching), no effect in a randomised pilot (stop), and no figure yet for a program without
outcome data since its start."""

import pytest
from django.urls import reverse

from tandem.demo.steps.programs import CODE, METRIC, WAVES, true_effect
from tandem.demo.steps.programs_more import (
    CLOUD_CODE,
    CLOUD_METRIC,
    PILOT_CODE,
    PILOT_MDE,
    PILOT_METRIC,
    program_codes,
)
from tandem.impact.estimates import NOT_MEASURABLE, program_impact_estimate
from tandem.impact.models import ComparisonGroup, ComparisonMember, Participant, PilotPlan, Program
from tandem.impact.selectors import pilot_plan_get, program_get
from tandem.lrs.models import Statement
from tandem.reports.selectors import business_case_list, case_study_get
from tandem.surveys.models import Survey, SurveyResponse
from tandem.surveys.records import KIND_BEHAVIOUR_LEARNER, KIND_REACTION
from tandem.surveys.selectors import survey_answers_for_program, survey_response_rates

pytestmark = pytest.mark.django_db


def test_the_program_rolls_out_in_waves_with_a_frozen_pilot_plan(demo):
    detail = program_get(code=CODE)
    assert detail.summary.status == Program.Status.RUNNING and detail.summary.is_pilot
    assert [c.name.split(": ")[1] for c in detail.cohorts] == list(WAVES)
    starts = [c.start_date for c in detail.cohorts]
    assert starts == sorted(starts) and len(set(starts)) == len(WAVES)
    assert all(c.participants >= 50 for c in detail.cohorts)
    assert detail.primary_metric is not None and detail.primary_metric.metric_code == METRIC
    assert detail.primary_metric.value_per_unit and detail.total_cost > 0
    assert (
        ComparisonMember.objects.filter(group__program_id=detail.summary.id)
        .values("person")
        .distinct()
        .count()
        > 100
    )
    plan = PilotPlan.objects.get(program_id=detail.summary.id)
    assert plan.frozen_at is not None and plan.frozen_at.date() < starts[0]


def test_the_estimated_effect_is_positive_and_clear(demo):
    program = Program.objects.get(code=CODE)
    estimate = program_impact_estimate(program_id=program.pk, metric_code=METRIC)
    overall = estimate.overall
    assert overall is not None, estimate.sentence
    assert overall.ci_low > 0 and true_effect(0) * 0.5 < overall.estimate < true_effect(12) * 1.2
    assert "more tickets per month" in estimate.sentence
    # The pre-trend test has a 5% false-alarm rate by design, and the demo's months follow today's date:
    # the sentence may carry the caution, but the groups must not be far apart before the program.
    assert estimate.status in {"ok", "unreliable_pretrend"}
    assert estimate.pretrend_p_value is not None and estimate.pretrend_p_value > 0.001
    assert estimate.roi is not None and estimate.roi.benefits > 0


def test_the_demo_has_three_programs_with_costs_and_activities(demo):
    assert program_codes() == (CODE, PILOT_CODE, CLOUD_CODE)
    for code in program_codes():
        detail = program_get(code=code)
        assert detail.total_cost > 0 and detail.activities and detail.primary_metric is not None
        assert {c.kind for c in detail.costs} >= {"ld_hours", "participant_time"}
        assert detail.summary.participants >= 30


def test_the_randomised_pilot_finds_no_effect_and_the_frozen_rule_says_stop(demo):
    detail = program_get(code=PILOT_CODE)
    assert detail.summary.is_pilot and detail.summary.status == Program.Status.PILOT
    groups = ComparisonGroup.objects.filter(program_id=detail.summary.id)
    assert [g.method for g in groups] == [ComparisonGroup.Method.RANDOMISED]
    assert Participant.objects.filter(program_id=detail.summary.id, assigned_by="random").count() == (
        detail.summary.participants
    )
    plan = pilot_plan_get(program_id=detail.summary.id)
    assert plan is not None and plan.is_frozen and plan.frozen_at.date() < detail.cohorts[0].start_date
    assert plan.minimum_detectable_effect == PILOT_MDE and plan.required_per_group > 0
    estimate = program_impact_estimate(program_id=detail.summary.id, metric_code=PILOT_METRIC)
    overall = estimate.overall
    assert overall is not None and overall.ci_includes_zero, estimate.sentence
    assert estimate.status == "not_distinguishable" and estimate.favourable is None
    assert "not distinguishable from zero" in estimate.sentence
    assert plan.decide(effect=overall.estimate, ci_low=overall.ci_low, ci_high=overall.ci_high) == "stop"
    assert estimate.roi is not None and estimate.roi.benefits == 0


def test_cloud_fundamentals_is_not_measurable_yet_and_says_why(demo):
    detail = program_get(code=CLOUD_CODE)
    # Operational data: the linked activities are the learning step's, with statements in the LRS.
    iris = [a.activity_iri for a in detail.activities]
    assert any(iri.endswith("/cloud-foundations") for iri in iris)
    assert Statement.objects.filter(object_activity_id__in=iris).exists()
    assert detail.primary_metric is not None and detail.primary_metric.metric_code == CLOUD_METRIC
    estimate = program_impact_estimate(program_id=detail.summary.id, metric_code=CLOUD_METRIC)
    assert estimate.status == "not_measurable" and estimate.overall is None and estimate.roi is None
    assert estimate.not_measurable_reason == "no_post_data"
    assert estimate.sentence.startswith(NOT_MEASURABLE) and "latest Changes deployed" in estimate.sentence
    # The data before the start is there (so the reason really is the missing months after it).
    assert estimate.months and estimate.months[-1] < detail.cohorts[0].start_date


def test_the_program_page_shows_each_verdict(demo, client, make_user):
    client.force_login(make_user(roles=["ld_admin"]))
    texts = {
        code: client.get(reverse("program_detail", args=[code])).content.decode() for code in program_codes()
    }
    assert "95% CI" in texts[CODE]
    assert (
        "not distinguishable from zero" in texts[PILOT_CODE]
        and 'data-testid="verdict">Stop' in texts[PILOT_CODE]
    )
    assert NOT_MEASURABLE in texts[CLOUD_CODE]


def test_participants_answered_surveys_in_line_with_what_each_program_did(demo):
    applied: dict[str, float] = {}
    for code in (CODE, PILOT_CODE):
        program_id = program_get(code=code).summary.id
        rows = survey_answers_for_program(program_id=program_id)
        values = [
            r.value for r in rows if r.kind == KIND_BEHAVIOUR_LEARNER and r.question_key == "applied_pct"
        ]
        assert len(values) >= 10, code
        applied[code] = sum(v for v in values if v is not None) / len(values)
        rates = survey_response_rates(program_id=program_id)
        invited = sum(r.invited for r in rates)
        responded = sum(r.responded for r in rates)
        assert 0 < responded < invited  # some people never answer: rates are real, not 100%
    # Learners of the program that worked apply more of it than the pilot's, whose effect was zero.
    assert applied[CODE] > applied[PILOT_CODE] + 15
    # The staggered program's reaction surveys are anonymous: no person is kept with those answers.
    anonymous = Survey.objects.filter(program__code=CODE, kind=KIND_REACTION, anonymous=True)
    assert anonymous.exists()
    assert not SurveyResponse.objects.filter(survey__in=anonymous, person__isnull=False).exists()
    # Every response is also an xAPI statement in the LRS.
    responses = SurveyResponse.objects.all()
    assert Statement.objects.filter(id__in=responses.values("statement_id")).count() == responses.count()


def test_each_program_has_a_drafted_case_study_and_the_business_case_is_valued(demo):
    for code in program_codes():
        detail = program_get(code=code)
        study = case_study_get(program_id=detail.summary.id)
        assert study is not None and study.what_happened
        estimate = program_impact_estimate(
            program_id=detail.summary.id, metric_code=detail.primary_metric.metric_code
        )
        assert estimate.sentence in study.impact  # the draft states what the estimate says, not a new claim
    staggered = case_study_get(program_id=program_get(code=CODE).summary.id)
    assert staggered.success_quotes and staggered.non_success_quotes
    (case,) = business_case_list()
    assert case.comparable_codes == (CODE,) and case.result is not None
    low, central, high = (s.roi_percent for s in case.result.scenarios)
    assert low < central < high
