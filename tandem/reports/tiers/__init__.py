"""Three tiers of program figures (operational, learner goal, business) for the impact page and exports.

specs: what each figure means and the plain inputs; formulas: pure functions and tiers_compute; reads:
program_tiers, which reads the inputs from other apps' selectors for the viewer.
"""

from tandem.reports.tiers.formulas import (
    Retention,
    applied_rate,
    difference_interval,
    funnel,
    knowledge_gain,
    learning_facts,
    mean,
    median,
    net_promoter_score,
    protect_groups,
    rate,
    retention_compare,
    retention_difference,
    scrap_learning,
    tiers_compute,
)
from tandem.reports.tiers.reads import program_tiers
from tandem.reports.tiers.specs import (
    GROUP_BYS,
    ORDER,
    SPECS,
    CohortInfo,
    ComparisonFacts,
    FigureSpec,
    LearningFacts,
    ParticipantFacts,
    TierInputs,
    figure_make,
)

__all__ = [
    "GROUP_BYS",
    "ORDER",
    "SPECS",
    "CohortInfo",
    "ComparisonFacts",
    "FigureSpec",
    "LearningFacts",
    "ParticipantFacts",
    "Retention",
    "TierInputs",
    "applied_rate",
    "difference_interval",
    "figure_make",
    "funnel",
    "knowledge_gain",
    "learning_facts",
    "mean",
    "median",
    "net_promoter_score",
    "program_tiers",
    "protect_groups",
    "rate",
    "retention_compare",
    "retention_difference",
    "scrap_learning",
    "tiers_compute",
]
