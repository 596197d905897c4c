"""Power, sample size and minimum detectable effect (two-sided tests only).

- Means: two-sample t test, power from the noncentral t (as statsmodels TTestIndPower).
- Proportions: normal approximation on Cohen's arcsine effect size
  h = 2 asin(sqrt(p_a)) - 2 asin(sqrt(p_b)) (as statsmodels NormalIndPower).
- DiD: two-sample t test on change scores, SD_change = SD * sqrt(2 (1 - rho)) with
  rho the pre/post correlation of the outcome. This ignores serial correlation beyond
  two periods and clustering; treat it as a planning approximation.

``n_per_group`` is the size of group a; group b has ``ratio * n_per_group``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import optimize
from scipy import stats as sps

from tandem.impact.stats._common import DEFAULT_ALPHA, check_alpha
from tandem.impact.stats.messages import StatsError

_MAX_N = 10_000_000


def _check_positive(value: float, name: str) -> None:
    if not (math.isfinite(value) and value > 0):
        raise StatsError("invalid_argument", f"{name} must be positive, got {value!r}")


def _check_probability(value: float, name: str) -> None:
    if not (0.0 < value < 1.0):
        raise StatsError("invalid_argument", f"{name} must be strictly between 0 and 1, got {value!r}")


@dataclass(frozen=True)
class MeansDesign:
    """Two groups, outcome SD ``sd``, true difference in means ``difference``."""

    difference: float
    sd: float
    ratio: float = 1.0
    alpha: float = DEFAULT_ALPHA

    def __post_init__(self) -> None:
        _check_positive(self.sd, "sd")
        _check_positive(self.ratio, "ratio")
        check_alpha(self.alpha)
        if not math.isfinite(self.difference):
            raise StatsError("invalid_argument", "difference must be finite")

    @property
    def standardized(self) -> float:
        return self.difference / self.sd


@dataclass(frozen=True)
class ProportionsDesign:
    """Two groups with true proportions ``p_a`` and ``p_b``."""

    p_a: float
    p_b: float
    ratio: float = 1.0
    alpha: float = DEFAULT_ALPHA

    def __post_init__(self) -> None:
        _check_probability(self.p_a, "p_a")
        _check_probability(self.p_b, "p_b")
        _check_positive(self.ratio, "ratio")
        check_alpha(self.alpha)

    @property
    def standardized(self) -> float:
        return cohens_h(p_a=self.p_a, p_b=self.p_b)


@dataclass(frozen=True)
class DidDesign:
    """DiD with outcome SD ``sd`` in each period and pre/post correlation ``correlation``."""

    difference: float
    sd: float
    correlation: float
    ratio: float = 1.0
    alpha: float = DEFAULT_ALPHA

    def __post_init__(self) -> None:
        _check_positive(self.sd, "sd")
        _check_positive(self.ratio, "ratio")
        check_alpha(self.alpha)
        if not (-1.0 < self.correlation < 1.0):
            raise StatsError("invalid_argument", "correlation must be strictly between -1 and 1")

    @property
    def change_sd(self) -> float:
        return change_score_sd(sd=self.sd, correlation=self.correlation)

    @property
    def standardized(self) -> float:
        return self.difference / self.change_sd


Design = MeansDesign | ProportionsDesign | DidDesign


@dataclass(frozen=True)
class SampleSize:
    n_a: int
    n_b: int
    achieved_power: float

    @property
    def n_total(self) -> int:
        return self.n_a + self.n_b


def cohens_h(*, p_a: float, p_b: float) -> float:
    return 2.0 * math.asin(math.sqrt(p_a)) - 2.0 * math.asin(math.sqrt(p_b))


def change_score_sd(*, sd: float, correlation: float) -> float:
    """SD of Y_post - Y_pre when both have SD ``sd`` and correlation ``correlation``."""
    return sd * math.sqrt(2.0 * (1.0 - correlation))


def _effective_n(n_a: float, ratio: float) -> float:
    n_b = n_a * ratio
    return 1.0 / (1.0 / n_a + 1.0 / n_b)


def _t_power(d: float, n_a: float, ratio: float, alpha: float) -> float:
    df = n_a * (1.0 + ratio) - 2.0
    ncp = d * math.sqrt(_effective_n(n_a, ratio))
    crit = float(sps.t.isf(alpha / 2.0, df))
    return float(sps.nct.sf(crit, df, ncp) + sps.nct.cdf(-crit, df, ncp))


def _z_power(h: float, n_a: float, ratio: float, alpha: float) -> float:
    shift = h * math.sqrt(_effective_n(n_a, ratio))
    crit = float(sps.norm.isf(alpha / 2.0))
    return float(sps.norm.sf(crit - shift) + sps.norm.cdf(-crit - shift))


def _standardized_power(design: Design, d: float, n_a: float) -> float:
    if isinstance(design, ProportionsDesign):
        return _z_power(d, n_a, design.ratio, design.alpha)
    return _t_power(d, n_a, design.ratio, design.alpha)


def _min_n(design: Design) -> float:
    # The t test needs df >= 1; the normal approximation only needs n > 0.
    return 1.0 if isinstance(design, ProportionsDesign) else 2.0 / (1.0 + design.ratio) + 0.5


def power(*, design: Design, n_per_group: float) -> float:
    """Probability of rejecting H0 (two-sided) at ``design.alpha`` with ``n_per_group`` in group a."""
    if not (n_per_group >= _min_n(design)):
        raise StatsError("too_few_observations", f"n_per_group={n_per_group!r} is too small")
    return _standardized_power(design, design.standardized, n_per_group)


def sample_size(*, design: Design, target_power: float = 0.8) -> SampleSize:
    """Smallest whole group sizes reaching ``target_power`` (group b = ceil(ratio * n_a))."""
    _check_probability(target_power, "target_power")
    d = design.standardized
    if d == 0.0:
        raise StatsError("invalid_argument", "a zero effect cannot be detected at any sample size")
    lo = _min_n(design)
    # Bracket by doubling: scipy's noncentral t returns NaN for huge noncentralities,
    # so never evaluate far beyond the answer.
    hi = max(lo, 4.0)
    while _standardized_power(design, d, hi) < target_power:
        lo, hi = hi, hi * 2.0
        if hi > _MAX_N:
            raise StatsError("invalid_argument", "target power is not reachable")
    if _standardized_power(design, d, lo) >= target_power:
        n_cont = lo
    else:
        n_cont = optimize.brentq(lambda n: _standardized_power(design, d, n) - target_power, lo, hi)
    n_a = max(math.ceil(n_cont - 1e-9), 2)
    return SampleSize(
        n_a=n_a,
        n_b=math.ceil(n_a * design.ratio - 1e-9),
        achieved_power=_standardized_power(design, d, n_a),
    )


def _solve_standardized(design: Design, n_per_group: float, target_power: float) -> float:
    _check_probability(target_power, "target_power")
    if not (n_per_group >= _min_n(design)):
        raise StatsError("too_few_observations", f"n_per_group={n_per_group!r} is too small")
    if target_power <= design.alpha:
        raise StatsError("invalid_argument", "target power must exceed alpha")
    hi = 1.0
    while _standardized_power(design, hi, n_per_group) < target_power:
        hi *= 2.0
    return float(
        optimize.brentq(
            lambda d: _standardized_power(design, d, n_per_group) - target_power, 1e-12, hi, xtol=1e-12
        )
    )


def minimum_detectable_effect(
    *, design: MeansDesign | DidDesign, n_per_group: float, target_power: float = 0.8
) -> float:
    """Smallest positive raw difference detectable with ``target_power`` (the design's difference is ignored)."""
    d = _solve_standardized(design, n_per_group, target_power)
    scale = design.change_sd if isinstance(design, DidDesign) else design.sd
    return d * scale


def minimum_detectable_proportion(
    *, design: ProportionsDesign, n_per_group: float, target_power: float = 0.8
) -> float:
    """Smallest p_a above ``design.p_b`` detectable with ``target_power`` (``design.p_a`` is ignored)."""
    h = _solve_standardized(design, n_per_group, target_power)
    angle = math.asin(math.sqrt(design.p_b)) + h / 2.0
    if angle >= math.pi / 2:
        raise StatsError("invalid_argument", "no proportion below 1 is detectable with this sample")
    return math.sin(angle) ** 2


def power_curve(*, design: Design, n_values: list[int]) -> list[tuple[int, float]]:
    """[(n_per_group, power)] for charts."""
    return [(int(n), power(design=design, n_per_group=n)) for n in n_values]
