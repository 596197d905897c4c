"""Fixed error and warning codes for the impact statistics package.

The web layer maps a code to text a person understands; the message attached to a
:class:`StatsError` is a developer-facing detail (which column, which group).
"""

from __future__ import annotations

from typing import Final, Literal

ErrorCode = Literal[
    "invalid_alpha",
    "invalid_argument",
    "length_mismatch",
    "non_finite",
    "not_binary",
    "empty_cell",
    "too_few_observations",
    "treatment_varies_within_unit",
    "duplicate_observation",
    "unbalanced_panel",
    "no_treated_cohort",
    "no_comparison_group",
    "singular_design",
]

WarningCode = Literal[
    "few_clusters_hc1_fallback",
    "few_clusters",
    "dropped_always_treated",
    "skipped_empty_cell",
    "singular_covariance",
]

MESSAGES: Final[dict[str, str]] = {
    "invalid_alpha": "The significance level must be strictly between 0 and 0.5.",
    "invalid_argument": "An argument is out of its allowed range.",
    "length_mismatch": "All input columns must have the same length.",
    "non_finite": "The outcome contains missing or infinite values.",
    "not_binary": "A treatment or period flag must contain only 0/1 values.",
    "empty_cell": "A group has no observations, so the comparison cannot be made.",
    "too_few_observations": "There are too few observations to estimate the effect.",
    "treatment_varies_within_unit": "A unit's treatment group changes over time.",
    "duplicate_observation": "A unit appears more than once in the same period.",
    "unbalanced_panel": "Every unit must be observed in every period.",
    "no_treated_cohort": "No unit starts treatment inside the observed window.",
    "no_comparison_group": "There is no comparison group for this analysis.",
    "singular_design": "The model cannot separate the effects (a variable is constant or collinear).",
    # Warnings: not fatal, carried on results.
    "few_clusters_hc1_fallback": "Fewer than two clusters: cluster-robust SEs are undefined, HC1 used instead.",
    "few_clusters": "Fewer than 30 clusters: cluster-robust standard errors may be too small.",
    "dropped_always_treated": "Units treated from the first period have no pre-period and were dropped.",
    "skipped_empty_cell": "Some group-time cells had no treated or comparison units and were skipped.",
    "singular_covariance": "The pre-trend covariance matrix is singular; a generalised inverse was used.",
}


class StatsError(Exception):
    """A domain error with a fixed code (see :data:`MESSAGES`) and a detail message."""

    def __init__(self, code: ErrorCode, message: str | None = None) -> None:
        self.code: ErrorCode = code
        self.message: str = message or MESSAGES[code]
        super().__init__(f"{code}: {self.message}")
