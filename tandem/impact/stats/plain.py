"""Plain-language sentences for department heads.

Pure functions: the caller supplies who was compared, the metric's verb and unit,
which direction is good, and the number of decimals. Three guards come before any
number: groups too small (refuse), pre-trends (warn the estimate is unreliable) and a
CI that includes zero (say the effect is not distinguishable from zero).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tandem.impact.stats._common import Estimate
from tandem.impact.stats.messages import StatsError

Status = Literal["ok", "not_distinguishable", "unreliable_pretrend", "too_small"]

DEFAULT_MIN_GROUP_SIZE = 5


@dataclass(frozen=True)
class MetricWording:
    """How to talk about a metric: "Agents who took the program | closed | 3.1 | more | tickets per month"."""

    verb: str  # "closed"
    unit: str  # "tickets per month"
    more_word: str = "more"
    less_word: str = "fewer"  # "less" for amounts ("less time")
    higher_is_better: bool = True
    decimals: int = 1

    def __post_init__(self) -> None:
        if not (0 <= self.decimals <= 6):
            raise StatsError("invalid_argument", "decimals must be between 0 and 6")


@dataclass(frozen=True)
class PlainSummary:
    status: Status
    sentence: str
    favourable: bool | None  # None when no direction can be claimed


def _number(value: float, decimals: int) -> str:
    return f"{abs(value):,.{decimals}f}"


def _signed(value: float, wording: MetricWording) -> str:
    """ "1.2 more" / "1.2 fewer" / "0.0 more" (zero reads as no change either way)."""
    word = wording.more_word if value >= 0 else wording.less_word
    return f"{_number(value, wording.decimals)} {word}"


def describe_effect(
    *,
    effect: Estimate,
    wording: MetricWording,
    subject: str,
    comparison: str,
    n_treated: int,
    n_control: int,
    pretrend_p_value: float | None = None,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    pretrend_alpha: float = 0.05,
) -> PlainSummary:
    """One or two sentences describing ``effect`` (treated minus comparison).

    ``subject``: "Agents who took the program"; ``comparison``: "comparable agents who did not".
    """
    smallest = min(n_treated, n_control)
    if smallest < min_group_size:
        which = "program" if n_treated <= n_control else "comparison"
        return PlainSummary(
            status="too_small",
            sentence=(
                f"Not reported: each group needs at least {min_group_size} people, "
                f"and the {which} group has {smallest}."
            ),
            favourable=None,
        )
    confidence = f"{round(effect.confidence * 100):d}%"
    d = wording.decimals
    est = effect.estimate
    if effect.ci_includes_zero:
        sentence = (
            f"{subject} {wording.verb} {_signed(est, wording)} {wording.unit} than {comparison}, "
            f"but this is not distinguishable from zero ({confidence} CI {_signed(effect.ci_low, wording)} "
            f"to {_signed(effect.ci_high, wording)})."
        )
        status: Status = "not_distinguishable"
        favourable: bool | None = None
    else:
        # Report the CI as magnitudes in the estimate's direction: "3.1 fewer (CI 1.2 to 5.0)".
        lo, hi = sorted((abs(effect.ci_low), abs(effect.ci_high)))
        sentence = (
            f"{subject} {wording.verb} {_signed(est, wording)} {wording.unit} than {comparison} "
            f"({confidence} CI {_number(lo, d)} to {_number(hi, d)})."
        )
        status = "ok"
        favourable = (est > 0) == wording.higher_is_better
    if pretrend_p_value is not None and pretrend_p_value < pretrend_alpha:
        sentence += (
            " However, the groups were already diverging before the program, so this estimate is unreliable."
        )
        status = "unreliable_pretrend"
        favourable = None
    return PlainSummary(status=status, sentence=sentence, favourable=favourable)
