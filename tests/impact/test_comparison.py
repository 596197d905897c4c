import datetime as dt

import numpy as np
import pytest

from tandem.audit.models import AuditEvent
from tandem.core.scope import DomainError
from tandem.impact import matching
from tandem.impact.models import ComparisonGroup, ComparisonMember, Participant
from tandem.impact.selectors import program_balance
from tandem.impact.services import (
    comparison_group_explicit,
    comparison_group_match,
    comparison_group_randomise,
    participants_add_list,
    program_metric_set,
)
from tests.factories import OrgUnitFactory, PersonFactory
from tests.impact.factories import CohortFactory, simulated_population

pytestmark = pytest.mark.django_db

START = dt.date(2025, 3, 1)


def test_explicit_group_replaces_the_previous_one_and_refuses_participants():
    cohort = CohortFactory(start_date=START)
    for i in range(4):
        PersonFactory(employee_id=f"X{i}")
    participants_add_list(actor_id=None, cohort_id=cohort.pk, employee_ids=["X0"])
    first = comparison_group_explicit(
        actor_id=None, program_id=cohort.program_id, cohort_id=cohort.pk, employee_ids=["X1", "X2"]
    )
    second = comparison_group_explicit(
        actor_id=None, program_id=cohort.program_id, cohort_id=cohort.pk, employee_ids=["X2", "X3", "X3"]
    )
    first.refresh_from_db()
    assert first.superseded_at is not None and second.superseded_at is None  # kept, not current
    assert set(second.members.values_list("person__employee_id", flat=True)) == {"X2", "X3"}
    assert second.method == "explicit" and second.as_of == START
    assert AuditEvent.objects.filter(entity_type="comparison_group", action="update").count() == 1
    with pytest.raises(DomainError, match=r"Already participants.*X0"):
        comparison_group_explicit(actor_id=None, program_id=cohort.program_id, employee_ids=["X0", "X1"])
    with pytest.raises(DomainError, match="Unknown employee ids or emails: Q"):
        comparison_group_explicit(actor_id=None, program_id=cohort.program_id, employee_ids=["Q"])
    with pytest.raises(DomainError, match="at least one person"):
        comparison_group_explicit(actor_id=None, program_id=cohort.program_id, employee_ids=[" "])
    other = CohortFactory()
    with pytest.raises(DomainError, match="another program"):
        comparison_group_explicit(
            actor_id=None, program_id=cohort.program_id, cohort_id=other.pk, employee_ids=["X1"]
        )


def test_randomised_group_mirrors_the_participants_units_and_is_reproducible():
    cohort = CohortFactory(start_date=START)
    big, small, empty = OrgUnitFactory(), OrgUnitFactory(), OrgUnitFactory()
    for i in range(30):
        PersonFactory(employee_id=f"B{i:02d}", org_unit=big)
    for i in range(10):
        PersonFactory(employee_id=f"S{i:02d}", org_unit=small)
    for i in range(5):
        PersonFactory(employee_id=f"N{i:02d}", org_unit=empty)
    participants_add_list(actor_id=None, cohort_id=cohort.pk, employee_ids=["B00", "B01", "B02", "S00"])

    group = comparison_group_randomise(actor_id=None, cohort_id=cohort.pk, ratio=2, seed=5)
    members = list(group.members.values_list("person__employee_id", flat=True))
    assert sum(m.startswith("B") for m in members) == 6
    assert sum(m.startswith("S") for m in members) == 2
    assert not any(m.startswith("N") for m in members)
    assert not {"B00", "B01", "B02", "S00"} & set(members)
    again = comparison_group_randomise(actor_id=None, cohort_id=cohort.pk, ratio=2, seed=5)
    assert sorted(again.members.values_list("person__employee_id", flat=True)) == sorted(members)
    assert ComparisonGroup.objects.filter(superseded_at__isnull=True).count() == 1  # one current
    with pytest.raises(DomainError, match="ratio must be positive"):
        comparison_group_randomise(actor_id=None, cohort_id=cohort.pk, ratio=0)
    with pytest.raises(DomainError, match="no participants"):
        comparison_group_randomise(actor_id=None, cohort_id=CohortFactory().pk)


@pytest.fixture
def biased():
    population = simulated_population(n=2000, seed=11)
    cohort = CohortFactory(start_date=START)
    program_metric_set(actor_id=None, program_id=cohort.program_id, metric_code="tickets", is_primary=True)
    result = participants_add_list(actor_id=None, cohort_id=cohort.pk, employee_ids=population["volunteers"])
    assert result.errors == ()
    return cohort, population


def _smds(group):
    return {row["covariate"]: (row["smd_before"], row["smd_after"]) for row in group.balance}


def test_matching_removes_a_known_selection_bias(biased):
    cohort, _ = biased
    group = comparison_group_match(actor_id=None, cohort_id=cohort.pk, exact_on=("department", "location"))

    smds = _smds(group)
    # The simulated bias is visible before matching...
    assert smds["Tenure (years)"][0] > 0.2
    assert smds["Baseline level"][0] > 0.3
    assert smds["Department: Support"][0] > 0.1
    # ...and gone after it.
    assert all(abs(after) < 0.1 for _, after in smds.values()), smds
    assert group.balance_warning is False
    treated = Participant.objects.filter(cohort=cohort).count()
    # A couple of participants in the far tail of the score have no candidate within the caliper.
    assert 0 <= group.unmatched_participants <= 0.02 * treated
    assert group.method == "matched" and group.caliper == 0.2
    matched = treated - group.unmatched_participants
    members = ComparisonMember.objects.filter(group=group)
    assert members.count() == matched
    # Without replacement: each matched participant has exactly one comparison person of their own.
    assert members.values("matched_to").distinct().count() == matched
    assert not set(members.values_list("person_id", flat=True)) & set(
        Participant.objects.values_list("person_id", flat=True)
    )
    assert all(m.distance is not None and m.distance >= 0 for m in members)

    [view] = program_balance(program_id=cohort.program_id)
    assert view.method == "matched" and not view.warning
    assert view.participants == treated and view.comparison == matched
    assert view.unmatched_participants == group.unmatched_participants
    assert {r.covariate for r in view.rows} >= {
        "Role level",
        "Baseline trend (per month)",
        "Location: Berlin",
    }


def test_matching_warns_when_the_caliper_cannot_be_met(biased):
    cohort, _ = biased
    group = comparison_group_match(actor_id=None, cohort_id=cohort.pk, caliper=0.0005)
    assert group.unmatched_participants > 0
    assert group.balance_warning is True
    assert program_balance(program_id=cohort.program_id)[0].warning is True
    event = AuditEvent.objects.get(entity_type="comparison_group", action="create")
    assert event.changes["warning"] is True and event.changes["unmatched"] == group.unmatched_participants


def test_match_errors():
    cohort = CohortFactory(start_date=START)
    with pytest.raises(DomainError, match="no participants"):
        comparison_group_match(actor_id=None, cohort_id=cohort.pk)
    PersonFactory(employee_id="T1")
    participants_add_list(actor_id=None, cohort_id=cohort.pk, employee_ids=["T1"])
    with pytest.raises(DomainError, match="No candidates"):
        comparison_group_match(actor_id=None, cohort_id=cohort.pk)
    with pytest.raises(DomainError, match="caliper"):
        comparison_group_match(actor_id=None, cohort_id=cohort.pk, caliper=-1)
    with pytest.raises(DomainError, match="Unknown metric"):
        comparison_group_match(actor_id=None, cohort_id=cohort.pk, metric_code="nope")


def test_program_balance_query_count(biased, django_assert_max_num_queries):
    cohort, _ = biased
    comparison_group_match(actor_id=None, cohort_id=cohort.pk)
    second = CohortFactory(program=cohort.program, name="Later", start_date=dt.date(2025, 6, 1))
    comparison_group_explicit(
        actor_id=None, program_id=cohort.program_id, cohort_id=second.pk, employee_ids=["P00000"]
    )
    with django_assert_max_num_queries(2):
        views = program_balance(program_id=cohort.program_id)
    assert len(views) == 2


# --- the pure helpers, on arrays ----------------------------------------------------------------


def test_balance_table_uses_the_unmatched_pooled_sd_for_both_columns():
    x = np.array([[1.0], [3.0], [0.0], [2.0], [10.0]])
    treated = np.array([True, True, False, False, False])
    [row] = matching.balance_table(
        covariates=x, names=["x"], treated=treated, matched_treated=[0, 1], matched_controls=[2, 3]
    )
    sd = np.sqrt((np.var([1, 3], ddof=1) + np.var([0, 2, 10], ddof=1)) / 2)
    assert row.smd_before == pytest.approx((2 - 4) / sd)
    assert row.smd_after == pytest.approx((2 - 1) / sd)


def test_separation_falls_back_to_a_ridge_fit():
    rng = np.random.default_rng(0)
    treated = rng.random(200) < 0.3
    x = np.column_stack([treated.astype(float), rng.normal(size=200)])
    scores, regularised = matching.propensity_scores(covariates=x, treated=treated)
    assert regularised
    assert np.all(np.isfinite(scores))
    assert scores[treated].min() > scores[~treated].max()


def test_stratified_shuffle_is_seeded_and_proportional():
    strata = [0] * 10 + [1] * 5 + [2] * 5
    a = matching.stratified_shuffle(strata=strata, share=0.4, seed=1)
    assert a == matching.stratified_shuffle(strata=strata, share=0.4, seed=1)
    selected = a[0]
    assert len(selected) == 8
    assert sum(1 for i in selected if strata[i] == 0) == 4
    assert sum(1 for i in selected if strata[i] == 1) == 2


def test_linear_trend():
    assert matching.linear_trend(months=np.array([0.0, 1, 2]), values=np.array([1.0, 3, 5])) == pytest.approx(
        2.0
    )
    assert matching.linear_trend(months=np.array([4.0]), values=np.array([1.0])) == 0.0


def test_match_rejects_unknown_exact_category():
    cohort = CohortFactory(start_date=START)
    with pytest.raises(DomainError, match="Cannot match exactly on 'shoe size'"):
        comparison_group_match(actor_id=None, cohort_id=cohort.pk, exact_on=("shoe size",))


def test_is_imbalanced_flags_any_large_smd_after_matching():
    ok = matching.BalanceStat("a", 1, 1, 1, 1, 0.5, 0.05)
    bad = matching.BalanceStat("b", 1, 1, 1, 1, 0.5, -0.12)
    undefined = matching.BalanceStat("c", 1, 0, 1, 0, None, None)
    assert not matching.is_imbalanced([ok])
    assert matching.is_imbalanced([ok, bad])
    assert matching.is_imbalanced([undefined])
