"""Plain results of the reports app (three-tier figures). Contract between tiers, exports and pages."""

from __future__ import annotations

from dataclasses import dataclass

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
