"""Power, sample size and MDE against statsmodels.stats.power (4 decimals)."""

from __future__ import annotations

import math

import pytest
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize

from tandem.impact.stats import (
    DidDesign,
    MeansDesign,
    ProportionsDesign,
    StatsError,
    minimum_detectable_effect,
    minimum_detectable_proportion,
    power,
    power_curve,
    sample_size,
)


@pytest.mark.parametrize(
    ("diff", "sd", "n", "ratio", "alpha"),
    [(0.5, 1.0, 30, 1.0, 0.05), (1.0, 4.0, 40, 2.0, 0.05), (3.0, 5.0, 12, 0.5, 0.10)],
)
def test_means_power_matches_ttestindpower(
    diff: float, sd: float, n: int, ratio: float, alpha: float
) -> None:
    ours = power(design=MeansDesign(difference=diff, sd=sd, ratio=ratio, alpha=alpha), n_per_group=n)
    ref = TTestIndPower().power(effect_size=diff / sd, nobs1=n, alpha=alpha, ratio=ratio)
    assert round(ours, 4) == round(float(ref), 4)


def test_means_sample_size_and_mde() -> None:
    design = MeansDesign(difference=0.5, sd=1.0)
    size = sample_size(design=design, target_power=0.8)
    ref = TTestIndPower().solve_power(effect_size=0.5, power=0.8, alpha=0.05)
    assert size.n_a == math.ceil(ref) == 64
    assert size.n_total == 128
    assert size.achieved_power >= 0.8
    mde = minimum_detectable_effect(
        design=MeansDesign(difference=1.0, sd=2.0), n_per_group=50, target_power=0.8
    )
    assert round(mde, 4) == round(
        2.0 * float(TTestIndPower().solve_power(nobs1=50, power=0.8, alpha=0.05)), 4
    )
    assert round(TTestIndPower().power(effect_size=mde / 2.0, nobs1=50, alpha=0.05), 4) == 0.8


@pytest.mark.parametrize(("p_a", "p_b", "n", "ratio"), [(0.3, 0.2, 200, 1.0), (0.55, 0.5, 500, 1.5)])
def test_proportions_power_matches_normalindpower(p_a: float, p_b: float, n: int, ratio: float) -> None:
    ours = power(design=ProportionsDesign(p_a=p_a, p_b=p_b, ratio=ratio), n_per_group=n)
    ref = NormalIndPower().power(
        effect_size=proportion_effectsize(p_a, p_b), nobs1=n, alpha=0.05, ratio=ratio
    )
    assert round(ours, 4) == round(float(ref), 4)


def test_proportions_sample_size_and_mde() -> None:
    h = proportion_effectsize(0.3, 0.2)
    size = sample_size(design=ProportionsDesign(p_a=0.3, p_b=0.2))
    assert size.n_a == math.ceil(NormalIndPower().solve_power(effect_size=h, power=0.8, alpha=0.05))
    p_a = minimum_detectable_proportion(design=ProportionsDesign(p_a=0.5, p_b=0.2), n_per_group=200)
    ref = NormalIndPower().power(effect_size=proportion_effectsize(p_a, 0.2), nobs1=200, alpha=0.05)
    assert round(float(ref), 4) == 0.8


def test_did_design_uses_change_score_sd() -> None:
    design = DidDesign(difference=0.3, sd=1.0, correlation=0.7)
    sd_change = math.sqrt(2 * (1 - 0.7))
    assert design.change_sd == pytest.approx(sd_change)
    ref = TTestIndPower().power(effect_size=0.3 / sd_change, nobs1=80, alpha=0.05)
    assert round(power(design=design, n_per_group=80), 4) == round(float(ref), 4)
    # Higher pre/post correlation -> smaller change-score SD -> smaller MDE.
    low = minimum_detectable_effect(design=DidDesign(difference=1, sd=1, correlation=0.2), n_per_group=50)
    high = minimum_detectable_effect(design=DidDesign(difference=1, sd=1, correlation=0.8), n_per_group=50)
    assert high < low


def test_power_curve_is_increasing() -> None:
    curve = power_curve(design=MeansDesign(difference=0.4, sd=1.0), n_values=[10, 20, 50, 100, 200])
    assert [n for n, _ in curve] == [10, 20, 50, 100, 200]
    powers = [p for _, p in curve]
    assert powers == sorted(powers)
    assert 0.05 < powers[0] < powers[-1] < 1.0


def test_large_sample_size_does_not_overflow() -> None:
    size = sample_size(design=MeansDesign(difference=0.01, sd=1.0))
    assert size.n_a > 150_000
    assert size.achieved_power == pytest.approx(0.8, abs=1e-3)


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: MeansDesign(difference=1.0, sd=0.0), "invalid_argument"),
        (lambda: ProportionsDesign(p_a=1.0, p_b=0.5), "invalid_argument"),
        (lambda: DidDesign(difference=1.0, sd=1.0, correlation=1.0), "invalid_argument"),
        (lambda: MeansDesign(difference=1.0, sd=1.0, alpha=0.0), "invalid_alpha"),
        (lambda: sample_size(design=MeansDesign(difference=0.0, sd=1.0)), "invalid_argument"),
        (lambda: power(design=MeansDesign(difference=1.0, sd=1.0), n_per_group=1), "too_few_observations"),
    ],
)
def test_validation(call: object, code: str) -> None:
    with pytest.raises(StatsError) as err:
        call()  # type: ignore[operator]
    assert err.value.code == code
