"""Business-case arithmetic: expected benefit of a proposed program from comparable past programs.

Pure functions over plain values (no Django): the service gathers the comparables' estimates and stores
what these return. Effects are per person and month in the target metric's units, signed so that
positive means "better" (a fall in a lower-is-better metric is a positive effect).

    monthly benefit = effect × value per unit × audience
    benefit         = monthly benefit × months counted
    ROI %           = (benefit − cost) / cost × 100;  BCR = benefit / cost;  payback = cost / monthly benefit
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ComparableEffect:
    """One comparable program's estimated effect (better = positive), or why there is none."""

    program_id: int
    code: str
    name: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    people: int
    note: str = ""

    @property
    def usable(self) -> bool:
        return self.estimate is not None and self.ci_low is not None and self.ci_high is not None


@dataclass(frozen=True)
class Scenario:
    label: str  # "Low" | "Central" | "High"
    effect: float
    benefit: float
    net_benefit: float
    roi_percent: float
    benefit_cost_ratio: float
    payback_months: float | None  # None when the benefit is not positive


@dataclass(frozen=True)
class BusinessCaseResult:
    cost: float
    audience: int
    value_per_unit: float
    months: int
    comparables_used: int
    scenarios: tuple[Scenario, ...]  # low, central, high; empty when no comparable has an estimate
    break_even_effect: float | None  # effect per person and month at which benefit equals cost

    def scenario(self, label: str) -> Scenario | None:
        return next((s for s in self.scenarios if s.label == label), None)


def pooled_effects(*, comparables: Sequence[ComparableEffect]) -> tuple[float, float, float] | None:
    """(low, central, high) effect: the mean of the comparables' lower CI bounds, point estimates and
    upper CI bounds. With one comparable that is its own estimate and interval."""
    usable = [c for c in comparables if c.usable]
    if not usable:
        return None
    n = len(usable)
    low = math.fsum(c.ci_low for c in usable if c.ci_low is not None) / n
    central = math.fsum(c.estimate for c in usable if c.estimate is not None) / n
    high = math.fsum(c.ci_high for c in usable if c.ci_high is not None) / n
    low, high = min(low, high), max(low, high)
    return low, central, high


def scenario_compute(
    *, label: str, effect: float, value_per_unit: float, audience: int, months: int, cost: float
) -> Scenario:
    if cost <= 0:
        raise ValueError("The total cost must be positive")
    monthly = effect * value_per_unit * audience
    benefit = monthly * months
    return Scenario(
        label=label,
        effect=effect,
        benefit=benefit,
        net_benefit=benefit - cost,
        roi_percent=(benefit - cost) / cost * 100.0,
        benefit_cost_ratio=benefit / cost,
        payback_months=cost / monthly if monthly > 0 else None,
    )


def business_case_compute(
    *,
    comparables: Sequence[ComparableEffect],
    value_per_unit: float,
    audience: int,
    months: int,
    cost: float,
) -> BusinessCaseResult:
    """ROI low/central/high for the proposed program from the pooled effects of the comparables."""
    for value, name in ((value_per_unit, "value per unit"), (float(audience), "audience"), (cost, "cost")):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"The {name} must be a non-negative number")
    if cost <= 0:
        raise ValueError("The total cost must be positive")
    if months <= 0:
        raise ValueError("Count at least one month of benefit")
    pooled = pooled_effects(comparables=comparables)
    per_effect = value_per_unit * audience * months
    scenarios: tuple[Scenario, ...] = ()
    if pooled is not None:
        scenarios = tuple(
            scenario_compute(
                label=label,
                effect=effect,
                value_per_unit=value_per_unit,
                audience=audience,
                months=months,
                cost=cost,
            )
            for label, effect in zip(("Low", "Central", "High"), pooled, strict=True)
        )
    return BusinessCaseResult(
        cost=cost,
        audience=audience,
        value_per_unit=value_per_unit,
        months=months,
        comparables_used=sum(1 for c in comparables if c.usable),
        scenarios=scenarios,
        break_even_effect=cost / per_effect if per_effect > 0 else None,
    )
