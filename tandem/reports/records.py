"""Plain records of the reports app: contracts between its modules, the pages and the demo.

Three-tier figures (tiers, exports, pages) and a business case as entered (pages, demo, business-case services).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

TIER_OPERATIONAL = "operational"
TIER_LEARNER = "learner"
TIER_BUSINESS = "business"


@dataclass(frozen=True)
class TierFigure:
    key: str  # e.g. "completion_rate"; every key is documented with its formula in docs/impact-metrics.md
    label: str  # "Completion rate"
    tier: str  # TIER_OPERATIONAL | TIER_LEARNER | TIER_BUSINESS
    value: float | None  # None when suppressed (small group) or not measurable
    unit: str  # "%", "people", "hours", "days", "points", "EUR", "per month", ...
    n: int  # people (or responses) behind the figure
    suppressed: bool  # True when n is under the minimum group size: value is then None
    formula: str  # the formula in one line, shown next to the figure
    note: str = ""  # e.g. why it is not measurable yet
    ci_low: float | None = None  # the figure's own 95% interval, where it has one (raw differences)
    ci_high: float | None = None


@dataclass(frozen=True)
class TierGroup:
    key: str  # org unit id / cohort id as text; "" for the whole program
    label: str
    figures: tuple[TierFigure, ...]


@dataclass(frozen=True)
class ProgramTiers:
    program_id: int
    group_by: str  # "" | "org_unit" | "cohort"
    overall: tuple[TierFigure, ...]
    groups: tuple[TierGroup, ...]  # empty when group_by == ""
    minimum_group: int


@dataclass(frozen=True)
class BusinessCaseInput:
    """A business case as someone enters it; business_case_create/update check it (DomainError) and value it."""

    name: str
    audience_size: int  # people the program would reach
    metric_code: str  # a person-grain metric
    value_per_unit: Decimal  # money value of one unit of the metric, per person and month
    comparable_codes: tuple[str, ...]  # past programs whose estimated effects value this one
    cost_items: tuple[tuple[str, Decimal], ...] = ()  # (name, amount); when empty, cost_total is the cost
    cost_total: Decimal | None = None
    benefit_months: int = 12  # first year only, as in the Phillips method
    description: str = ""
