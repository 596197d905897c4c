import datetime as dt

import numpy as np
import pytest

from tandem.core.scope import PersonScope
from tandem.impact.estimates import NOT_MEASURABLE, program_impact_estimate, programs_visible_ids
from tandem.impact.services import (
    cohort_create,
    comparison_group_explicit,
    participants_add_list,
    program_metric_set,
)
from tandem.metrics.models import MetricObservation
from tests.factories import MetricDefinitionFactory, OrgUnitFactory, PersonFactory
from tests.impact.factories import MONTHS, ProgramFactory, build

pytestmark = pytest.mark.django_db


def test_recovers_a_known_effect(settings, django_assert_max_num_queries):
    settings.TANDEM_MIN_GROUP_SIZE = 5
    program = build(effect=3.0)
    with django_assert_max_num_queries(14):
        estimate = program_impact_estimate(program_id=program.pk, metric_code="tickets")
    overall = estimate.overall
    assert overall is not None, estimate
    assert overall is not None and overall.ci_low <= 3.0 <= overall.ci_high and overall.ci_low > 0
    assert estimate.status == "ok" and estimate.favourable is True
    assert "more tickets per month" in estimate.sentence and "95% CI" in estimate.sentence
    assert (estimate.n_treated, estimate.n_comparison) == (75, 40)
    assert [c.people for c in estimate.cohorts] == [25, 25, 25]
    assert all(c.effect is not None and c.effect.ci_low <= 3.0 <= c.effect.ci_high for c in estimate.cohorts)
    post = [p for p in estimate.event_study if p.relative_month >= 0]
    pre = [p for p in estimate.event_study if p.relative_month < 0]
    assert post and pre and all(abs(p.estimate) < 2 for p in pre)
    assert estimate.pretrend_p_value is not None and estimate.pretrend_p_value > 0.01
    assert [line.label for line in estimate.trends][-1] == "Comparison group" and len(estimate.trends) == 4
    assert not {w.code for w in estimate.warnings} & {"pretrend", "ci_includes_zero", "too_small"}
    roi = estimate.roi
    assert roi is not None and roi.costs == 5000
    # Cautious: the CI's lower bound x value x participants x 12 months.
    assert roi.effect_used == pytest.approx(overall.ci_low)
    assert roi.benefits == pytest.approx(overall.ci_low * 10 * 75 * 12)
    assert roi.break_even_effect == pytest.approx(5000 / (10 * 75 * 12))
    assert len(roi.sensitivity) >= 6


def test_not_yet_treated_and_simple_did_also_run(settings):
    settings.TANDEM_MIN_GROUP_SIZE = 5
    program = build(effect=3.0)
    not_yet = program_impact_estimate(program_id=program.pk, metric_code="tickets", comparison="not_yet")
    assert not_yet.overall is not None and not_yet.overall.ci_low <= 3.0 <= not_yet.overall.ci_high
    assert "had not started it yet" in not_yet.sentence
    did = program_impact_estimate(program_id=program.pk, metric_code="tickets", method="did")
    assert did.overall is not None and did.method == "did"


def test_small_groups_get_no_figure(settings):
    settings.TANDEM_MIN_GROUP_SIZE = 50
    program = build(per_cohort=10, comparison=12)
    estimate = program_impact_estimate(program_id=program.pk, metric_code="tickets")
    assert estimate.status == "too_small" and estimate.overall is None and estimate.roi is None
    assert estimate.event_study == () and estimate.trends == ()
    assert estimate.sentence.startswith("Not reported") and "50" in estimate.sentence
    assert "too_small" in {w.code for w in estimate.warnings}


def test_pre_trend_is_flagged(settings):
    settings.TANDEM_MIN_GROUP_SIZE = 5
    program = build(effect=3.0, pretrend=1.5)
    estimate = program_impact_estimate(program_id=program.pk, metric_code="tickets")
    assert estimate.pretrend_p_value is not None and estimate.pretrend_p_value < 0.05
    assert estimate.status == "unreliable_pretrend" and "already diverging" in estimate.sentence
    assert "pretrend" in {w.code for w in estimate.warnings}


def test_no_effect_says_so_and_earns_nothing(settings):
    settings.TANDEM_MIN_GROUP_SIZE = 5
    program = build(effect=0.0, seed=3)
    estimate = program_impact_estimate(program_id=program.pk, metric_code="tickets")
    assert estimate.overall is not None and estimate.overall.ci_includes_zero
    assert "not distinguishable from zero" in estimate.sentence
    assert "ci_includes_zero" in {w.code for w in estimate.warnings}
    assert estimate.roi is not None and estimate.roi.benefits == 0 and estimate.roi.roi_percent == -100


def test_stats_error_becomes_a_message_not_an_exception(settings):
    settings.TANDEM_MIN_GROUP_SIZE = 5
    program = build(comparison=0)
    estimate = program_impact_estimate(program_id=program.pk, metric_code="tickets", comparison="never")
    assert estimate.status == "error" and estimate.overall is None
    assert estimate.error and "comparison group" in estimate.sentence


def test_visible_programs_follow_the_scope(settings):
    program = build(per_cohort=6, comparison=6)
    assert programs_visible_ids(scope=PersonScope.all()) is None
    assert programs_visible_ids(scope=PersonScope.nobody()) == set()
    unit_id = program.participants.first().person.org_unit_id
    assert programs_visible_ids(scope=PersonScope(org_unit_ids=frozenset({unit_id}))) == {program.pk}


def _one_wave(*, start: dt.date, grain: str = "person", participants: int = 8, comparison: int = 8):
    """One cohort starting on `start`, a comparison group, values for every month of 2025 (no effect)."""
    rng = np.random.default_rng(5)
    program = ProgramFactory(code="wave", start_date=start, end_date=None)
    metric = MetricDefinitionFactory(code="calls", name="Calls booked", unit="calls", grain=grain)
    unit = OrgUnitFactory()
    cohort = cohort_create(actor_id=None, program_id=program.pk, name="Wave 1", start_date=start)
    people = [PersonFactory(employee_id=f"W{i:03d}", org_unit=unit) for i in range(participants + comparison)]
    if participants:
        participants_add_list(
            actor_id=None, cohort_id=cohort.pk, employee_ids=[p.employee_id for p in people[:participants]]
        )
    comparison_group_explicit(
        actor_id=None, program_id=program.pk, employee_ids=[p.employee_id for p in people[participants:]]
    )
    MetricObservation.objects.bulk_create(
        MetricObservation(
            metric=metric,
            person=person,
            entity_key=f"person:{person.pk}",
            period_start=month,
            value=float(rng.normal(20, 3)),
        )
        for person in people
        for month in MONTHS
    )
    program_metric_set(actor_id=None, program_id=program.pk, metric_code="calls", is_primary=True)
    return program


def _assert_not_measurable(estimate, reason: str) -> None:
    assert estimate.status == "not_measurable" and not estimate.is_measurable
    assert estimate.not_measurable_reason == reason
    assert estimate.overall is None and estimate.roi is None and estimate.event_study == ()
    assert estimate.sentence.startswith(NOT_MEASURABLE + ": ")
    assert [w.code for w in estimate.warnings] == [reason]


def test_without_a_linked_metric_impact_is_not_measurable():
    program = ProgramFactory(code="ops-only")
    estimate = program_impact_estimate(program_id=program.pk, metric_code="")
    _assert_not_measurable(estimate, "no_metric")
    assert "no business metric" in estimate.sentence


def test_a_company_wide_metric_cannot_compare_people(settings):
    settings.TANDEM_MIN_GROUP_SIZE = 5
    program = _one_wave(start=dt.date(2025, 6, 1), grain="company")
    estimate = program_impact_estimate(program_id=program.pk, metric_code="calls")
    _assert_not_measurable(estimate, "not_per_person")
    assert "the company as a whole" in estimate.sentence


def test_no_values_after_the_start_says_which_months_are_missing(settings):
    settings.TANDEM_MIN_GROUP_SIZE = 5
    program = _one_wave(start=dt.date(2026, 1, 12))
    estimate = program_impact_estimate(program_id=program.pk, metric_code="calls")
    _assert_not_measurable(estimate, "no_post_data")
    assert "started in January 2026" in estimate.sentence and "December 2025" in estimate.sentence


def test_too_few_months_after_the_start_get_no_figure(settings):
    settings.TANDEM_MIN_GROUP_SIZE = 5
    program = _one_wave(start=dt.date(2025, 11, 3))
    estimate = program_impact_estimate(program_id=program.pk, metric_code="calls")
    _assert_not_measurable(estimate, "too_few_months")
    assert "2 months" in estimate.sentence and estimate.months[-1] == dt.date(2025, 12, 1)


def test_enough_months_either_side_give_a_figure(settings):
    settings.TANDEM_MIN_GROUP_SIZE = 5
    program = _one_wave(start=dt.date(2025, 10, 1))
    estimate = program_impact_estimate(program_id=program.pk, metric_code="calls")
    assert estimate.is_measurable and estimate.overall is not None and estimate.not_measurable_reason is None
    assert estimate.months[0] == dt.date(2025, 1, 1) and len(estimate.event_study) == 11


def test_a_program_without_participants_is_not_measurable(settings):
    settings.TANDEM_MIN_GROUP_SIZE = 5
    program = _one_wave(start=dt.date(2025, 6, 1), participants=0)
    estimate = program_impact_estimate(program_id=program.pk, metric_code="calls")
    _assert_not_measurable(estimate, "no_participants")
