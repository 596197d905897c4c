"""Phillips ROI: monetised benefits against fully loaded costs.

Conservative by design (Phillips' "guiding principles"): benefits use the CI bound
nearest zero, so a claimed return survives the estimate's uncertainty; an effect
whose CI includes zero earns no benefit at all. Only first-year benefits count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from tandem.impact.stats._common import Estimate
from tandem.impact.stats.messages import StatsError


@dataclass(frozen=True)
class CostItem:
    """One fully loaded cost line (design, delivery, participants' time, evaluation...)."""

    name: str
    amount: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.amount) and self.amount >= 0):
            raise StatsError("invalid_argument", f"cost {self.name!r} must be a non-negative amount")


@dataclass(frozen=True)
class Benefit:
    """First-year monetary benefit and the effect it was based on."""

    amount: float
    effect_used: float  # the conservative bound, 0 if the CI includes zero
    ci_includes_zero: bool


@dataclass(frozen=True)
class RoiResult:
    benefits: float
    costs: float
    net_benefits: float
    roi_percent: float
    benefit_cost_ratio: float
    payback_months: float | None  # None when benefits are not positive


@dataclass(frozen=True)
class SensitivityRow:
    effect: float
    value_per_unit: float
    benefits: float
    roi_percent: float
    benefit_cost_ratio: float


def conservative_effect(*, effect: Estimate, higher_is_better: bool = True) -> float:
    """The CI bound nearest zero, signed so that positive means "better"; 0 if the CI includes zero.

    If the whole CI lies on the harmful side, the result is negative (a loss), still
    using the bound nearest zero.
    """
    if effect.ci_includes_zero:
        return 0.0
    bound = effect.ci_low if effect.ci_low > 0 else effect.ci_high
    return bound if higher_is_better else -bound


def monetise(
    *,
    effect: Estimate,
    value_per_unit: float,
    units: float,
    periods_per_year: float,
    higher_is_better: bool = True,
) -> Benefit:
    """Benefit = conservative effect x value per unit of the metric x units (people) x periods in year one.

    Example: 2 more tickets per agent-month x 15 currency per ticket x 40 agents x 12 months.
    """
    for value, name in (
        (value_per_unit, "value_per_unit"),
        (units, "units"),
        (periods_per_year, "periods_per_year"),
    ):
        if not (math.isfinite(value) and value >= 0):
            raise StatsError("invalid_argument", f"{name} must be a non-negative number")
    used = conservative_effect(effect=effect, higher_is_better=higher_is_better)
    return Benefit(
        amount=used * value_per_unit * units * periods_per_year,
        effect_used=used,
        ci_includes_zero=effect.ci_includes_zero,
    )


def roi(*, benefits: float, costs: Sequence[CostItem]) -> RoiResult:
    """ROI % = (benefits - costs) / costs x 100; BCR = benefits / costs; payback = costs / monthly benefit."""
    if not math.isfinite(benefits):
        raise StatsError("invalid_argument", "benefits must be finite")
    total = math.fsum(item.amount for item in costs)
    if total <= 0:
        raise StatsError("invalid_argument", "total fully loaded cost must be positive")
    net = benefits - total
    return RoiResult(
        benefits=benefits,
        costs=total,
        net_benefits=net,
        roi_percent=net / total * 100.0,
        benefit_cost_ratio=benefits / total,
        payback_months=total / (benefits / 12.0) if benefits > 0 else None,
    )


def sensitivity_table(
    *,
    effects: Sequence[float],
    values_per_unit: Sequence[float],
    units: float,
    periods_per_year: float,
    costs: Sequence[CostItem],
) -> list[SensitivityRow]:
    """ROI for every (effect, value per unit) pair: effects are taken at face value here."""
    rows = []
    for eff in effects:
        for value in values_per_unit:
            benefit = eff * value * units * periods_per_year
            result = roi(benefits=benefit, costs=costs)
            rows.append(SensitivityRow(eff, value, benefit, result.roi_percent, result.benefit_cost_ratio))
    return rows
