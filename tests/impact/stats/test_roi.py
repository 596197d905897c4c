"""Phillips ROI worked example and the conservative benefit rule."""

from __future__ import annotations

import pytest

from tandem.impact.stats import CostItem, Estimate, StatsError, monetise, roi, sensitivity_table
from tandem.impact.stats.roi import conservative_effect

COSTS = [
    CostItem("needs assessment", 25_000),
    CostItem("design and development", 100_000),
    CostItem("delivery and participants' time", 175_000),
    CostItem("evaluation", 25_000),
]


def test_worked_example() -> None:
    # Benefits 750,000 against fully loaded costs 325,000.
    result = roi(benefits=750_000, costs=COSTS)
    assert result.costs == 325_000
    assert result.net_benefits == 425_000
    assert round(result.roi_percent, 1) == 130.8
    assert round(result.benefit_cost_ratio, 2) == 2.31
    assert result.payback_months == pytest.approx(5.2)  # 325,000 / (750,000 / 12)


def test_conservative_bound_is_nearest_zero() -> None:
    positive = Estimate(3.1, 0.9, 1.2, 5.0, 0.001)
    negative = Estimate(-3.1, 0.9, -5.0, -1.2, 0.001)
    straddles = Estimate(0.8, 1.0, -1.2, 2.8, 0.4)
    assert conservative_effect(effect=positive) == 1.2
    # A reduction where lower is better counts as a positive benefit.
    assert conservative_effect(effect=negative, higher_is_better=False) == 1.2
    assert conservative_effect(effect=negative) == -1.2
    assert conservative_effect(effect=straddles) == 0.0


def test_monetise() -> None:
    # 1.2 tickets per agent-month (conservative) x 15 per ticket x 40 agents x 12 months.
    benefit = monetise(
        effect=Estimate(3.1, 0.9, 1.2, 5.0, 0.001), value_per_unit=15, units=40, periods_per_year=12
    )
    assert benefit.amount == pytest.approx(8_640)
    assert benefit.effect_used == 1.2
    zero = monetise(
        effect=Estimate(0.8, 1.0, -1.2, 2.8, 0.4), value_per_unit=15, units=40, periods_per_year=12
    )
    assert zero.amount == 0.0
    assert zero.ci_includes_zero
    assert roi(benefits=zero.amount, costs=COSTS).payback_months is None


def test_sensitivity_table() -> None:
    rows = sensitivity_table(
        effects=[1.0, 2.0],
        values_per_unit=[10.0, 20.0],
        units=100,
        periods_per_year=12,
        costs=[CostItem("all", 12_000)],
    )
    assert [(r.effect, r.value_per_unit) for r in rows] == [
        (1.0, 10.0),
        (1.0, 20.0),
        (2.0, 10.0),
        (2.0, 20.0),
    ]
    assert [r.roi_percent for r in rows] == pytest.approx([0.0, 100.0, 100.0, 300.0])
    assert rows[-1].benefit_cost_ratio == pytest.approx(4.0)


def test_validation() -> None:
    with pytest.raises(StatsError):
        CostItem("negative", -1)
    with pytest.raises(StatsError) as err:
        roi(benefits=1.0, costs=[])
    assert err.value.code == "invalid_argument"
