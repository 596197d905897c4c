"""Tests of means and proportions against scipy, statsmodels and Newcombe (1998)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from tandem.impact.stats import StatsError, paired_test, proportions_test, welch_test
from tandem.impact.stats.pairs import hedges_correction, wilson_interval

RNG = np.random.default_rng(2024)
A = RNG.normal(1.0, 2.0, 12)
B = RNG.normal(0.0, 1.0, 20)


def test_welch_matches_scipy() -> None:
    result = welch_test(a=A, b=B)
    ref = stats.ttest_ind(A, B, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert round(result.statistic, 5) == round(float(ref.statistic), 5)
    assert round(result.df, 5) == round(float(ref.df), 5)
    assert round(result.difference.p_value, 5) == round(float(ref.pvalue), 5)
    assert round(result.difference.ci_low, 5) == round(float(ci.low), 5)
    assert round(result.difference.ci_high, 5) == round(float(ci.high), 5)


def test_paired_matches_scipy() -> None:
    before, after = B[:12], A
    result = paired_test(before=before, after=after, alpha=0.10)
    ref = stats.ttest_rel(after, before)
    ci = ref.confidence_interval(0.90)
    assert round(result.statistic, 5) == round(float(ref.statistic), 5)
    assert round(result.difference.p_value, 5) == round(float(ref.pvalue), 5)
    assert round(result.difference.ci_low, 5) == round(float(ci.low), 5)
    assert round(result.difference.ci_high, 5) == round(float(ci.high), 5)


def test_hedges_g_two_sample_formula_and_ci() -> None:
    result = welch_test(a=A, b=B)
    na, nb = len(A), len(B)
    sp = math.sqrt(((na - 1) * A.var(ddof=1) + (nb - 1) * B.var(ddof=1)) / (na + nb - 2))
    d = (A.mean() - B.mean()) / sp
    # Hedges (1981) approximation J ~ 1 - 3/(4 df - 1) agrees with the exact gamma form to ~1e-4.
    assert result.hedges_g.estimate == pytest.approx(d * (1 - 3 / (4 * (na + nb - 2) - 1)), abs=2e-4)
    # The CI bounds are the noncentralities at which the observed t sits at the 97.5% / 2.5% quantiles.
    scale = math.sqrt(na * nb / (na + nb))
    j = hedges_correction(na + nb - 2)
    t_obs = d * scale
    assert stats.nct.cdf(t_obs, na + nb - 2, result.hedges_g.ci_low / j * scale) == pytest.approx(0.975)
    assert stats.nct.cdf(t_obs, na + nb - 2, result.hedges_g.ci_high / j * scale) == pytest.approx(0.025)


def test_hedges_correction_known_values() -> None:
    # Closed forms: J(2) = Gamma(1) / Gamma(1/2) = 1/sqrt(pi); J(3) = Gamma(3/2) / sqrt(3/2) = sqrt(pi)/2 / sqrt(1.5).
    assert hedges_correction(2) == pytest.approx(1 / math.sqrt(math.pi), rel=1e-12)
    assert hedges_correction(3) == pytest.approx(math.sqrt(math.pi) / 2 / math.sqrt(1.5), rel=1e-12)
    # Large df: Hedges' approximation 1 - 3/(4 df - 1).
    assert hedges_correction(200) == pytest.approx(1 - 3 / 799, abs=1e-6)


def test_paired_hedges_g_is_change_standardised() -> None:
    before = np.array([10.0, 12.0, 9.0, 14.0, 11.0, 13.0])
    after = np.array([12.0, 15.0, 9.5, 17.0, 12.0, 16.0])
    diff = after - before
    result = paired_test(before=before, after=after)
    assert result.hedges_g.estimate == pytest.approx(diff.mean() / diff.std(ddof=1) * hedges_correction(5))
    assert result.hedges_g.ci_low < result.hedges_g.estimate < result.hedges_g.ci_high


def test_newcombe_1998_example() -> None:
    # Newcombe (1998), Stat Med 17:873, Table II example (a): 56/70 vs 48/80.
    result = proportions_test(successes_a=56, n_a=70, successes_b=48, n_b=80)
    assert round(result.difference.estimate, 4) == 0.2
    assert (round(result.difference.ci_low, 4), round(result.difference.ci_high, 4)) == (0.0575, 0.3425)
    assert (round(result.newcombe_low, 4), round(result.newcombe_high, 4)) == (0.0524, 0.3339)
    ref = confint_proportions_2indep(56, 70, 48, 80, method="newcomb")
    assert result.newcombe_low == pytest.approx(ref[0], abs=1e-10)
    z, p = proportions_ztest([56, 48], [70, 80])
    assert result.statistic == pytest.approx(z)
    assert result.p_value == pytest.approx(p)


def test_wilson_matches_statsmodels() -> None:
    from statsmodels.stats.proportion import proportion_confint

    assert wilson_interval(successes=3, n=17) == pytest.approx(proportion_confint(3, 17, method="wilson"))


def test_proportions_all_zero_does_not_divide_by_zero() -> None:
    result = proportions_test(successes_a=0, n_a=10, successes_b=0, n_b=12)
    assert result.p_value == 1.0
    assert result.newcombe_low < 0 < result.newcombe_high


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: welch_test(a=[1.0], b=[1.0, 2.0]), "too_few_observations"),
        (lambda: paired_test(before=[1.0, 2.0, 3.0], after=[1.0, 2.0]), "length_mismatch"),
        (lambda: paired_test(before=[1.0, 2.0, 3.0], after=[2.0, 3.0, 4.0]), "singular_design"),
        (lambda: welch_test(a=[1.0, np.nan], b=[1.0, 2.0]), "non_finite"),
        (lambda: proportions_test(successes_a=5, n_a=4, successes_b=1, n_b=4), "invalid_argument"),
    ],
)
def test_validation(call: object, code: str) -> None:
    with pytest.raises(StatsError) as err:
        call()  # type: ignore[operator]
    assert err.value.code == code
