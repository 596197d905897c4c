"""Tests of means and proportions: paired pre/post, Welch two-sample, two proportions."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize
from scipy import stats as sps

from tandem.impact.stats._common import (
    DEFAULT_ALPHA,
    Estimate,
    FloatArray,
    as_finite_array,
    check_alpha,
    normal_estimate,
    t_estimate,
)
from tandem.impact.stats.messages import StatsError


@dataclass(frozen=True)
class MeanDifferenceResult:
    """Difference in means (second minus first for paired; a minus b for two-sample)."""

    difference: Estimate
    statistic: float
    df: float
    n_a: int
    n_b: int
    hedges_g: Estimate


@dataclass(frozen=True)
class ProportionDifferenceResult:
    """p_a - p_b with a Wald CI (``difference``), a Newcombe hybrid-score CI and a pooled z test."""

    difference: Estimate
    newcombe_low: float
    newcombe_high: float
    statistic: float
    p_value: float
    p_a: float
    p_b: float
    n_a: int
    n_b: int


def hedges_correction(df: float) -> float:
    """Exact small-sample bias factor J(df) = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2))."""
    return math.exp(math.lgamma(df / 2.0) - math.lgamma((df - 1.0) / 2.0)) / math.sqrt(df / 2.0)


def _ncp_interval(t_obs: float, df: float, alpha: float) -> tuple[float, float]:
    """CI for a noncentral-t noncentrality parameter by inverting the t CDF (Steiger & Fouladi)."""

    def f(ncp: float, target: float) -> float:
        return float(sps.nct.cdf(t_obs, df, ncp)) - target

    span = 10.0 + 2.0 * abs(t_obs)
    lo = optimize.brentq(f, t_obs - span, t_obs + span, args=(1.0 - alpha / 2.0))
    hi = optimize.brentq(f, t_obs - span, t_obs + span, args=(alpha / 2.0))
    return float(lo), float(hi)


def _hedges(d: float, t_obs: float, df: float, scale: float, se_d: float, alpha: float, p: float) -> Estimate:
    """Hedges' g = J*d; CI from the noncentral t (exact under normality), both scaled by J."""
    j = hedges_correction(df)
    lo, hi = _ncp_interval(t_obs, df, alpha)
    return Estimate(j * d, j * se_d, j * lo / scale, j * hi / scale, p, alpha)


def _sample(values: Any, *, name: str, minimum: int = 2) -> FloatArray:
    arr = as_finite_array(values, name=name)
    if len(arr) < minimum:
        raise StatsError("too_few_observations", f"{name} needs at least {minimum} values")
    return arr


def paired_test(*, before: Any, after: Any, alpha: float = DEFAULT_ALPHA) -> MeanDifferenceResult:
    """Paired t test of after - before.

    Hedges' g here standardises by the SD of the change scores (g_z), so its CI is
    the exact noncentral-t interval; it is larger than an effect standardised by the
    SD of the outcome when pre and post are strongly correlated.
    """
    check_alpha(alpha)
    a = _sample(before, name="before")
    b = _sample(after, name="after")
    if len(a) != len(b):
        raise StatsError("length_mismatch", "before and after must be paired")
    diff = b - a
    n = len(diff)
    sd = float(np.std(diff, ddof=1))
    if sd == 0.0:
        raise StatsError("singular_design", "all changes are identical; no variability to test against")
    mean = float(diff.mean())
    se = sd / math.sqrt(n)
    df = float(n - 1)
    est = t_estimate(estimate=mean, se=se, df=df, alpha=alpha)
    t_obs = mean / se
    d = mean / sd
    g = _hedges(d, t_obs, df, math.sqrt(n), math.sqrt(1.0 / n + d * d / (2.0 * n)), alpha, est.p_value)
    return MeanDifferenceResult(difference=est, statistic=t_obs, df=df, n_a=n, n_b=n, hedges_g=g)


def welch_test(*, a: Any, b: Any, alpha: float = DEFAULT_ALPHA) -> MeanDifferenceResult:
    """Welch's unequal-variance t test of mean(a) - mean(b).

    Hedges' g uses the pooled SD (the conventional definition) with df = n_a + n_b - 2.
    """
    check_alpha(alpha)
    xa = _sample(a, name="a")
    xb = _sample(b, name="b")
    na, nb = len(xa), len(xb)
    va, vb = float(np.var(xa, ddof=1)), float(np.var(xb, ddof=1))
    if va == 0.0 and vb == 0.0:
        raise StatsError("singular_design", "both groups have zero variance")
    diff = float(xa.mean() - xb.mean())
    se = math.sqrt(va / na + vb / nb)
    # Welch-Satterthwaite degrees of freedom.
    df = (va / na + vb / nb) ** 2 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1))
    est = t_estimate(estimate=diff, se=se, df=df, alpha=alpha)
    df_pooled = float(na + nb - 2)
    sp = math.sqrt(((na - 1) * va + (nb - 1) * vb) / df_pooled)
    d = diff / sp
    scale = math.sqrt(na * nb / (na + nb))
    se_d = math.sqrt((na + nb) / (na * nb) + d * d / (2.0 * (na + nb)))
    g = _hedges(d, d * scale, df_pooled, scale, se_d, alpha, est.p_value)
    return MeanDifferenceResult(difference=est, statistic=diff / se, df=df, n_a=na, n_b=nb, hedges_g=g)


def wilson_interval(*, successes: int, n: int, alpha: float = DEFAULT_ALPHA) -> tuple[float, float]:
    """Wilson score interval for one proportion."""
    check_alpha(alpha)
    z = float(sps.norm.ppf(1.0 - alpha / 2.0))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def proportions_test(
    *, successes_a: int, n_a: int, successes_b: int, n_b: int, alpha: float = DEFAULT_ALPHA
) -> ProportionDifferenceResult:
    """Difference p_a - p_b.

    The Wald CI is the textbook one (poor with small counts or p near 0/1); the
    Newcombe (1998, method 10) interval combines Wilson intervals and behaves well
    there. The test is the pooled two-proportion z test (= chi-square without
    continuity correction).
    """
    check_alpha(alpha)
    for s, n, name in ((successes_a, n_a, "a"), (successes_b, n_b, "b")):
        if n < 1 or not (0 <= s <= n):
            raise StatsError("invalid_argument", f"group {name}: need 0 <= successes <= n and n >= 1")
    pa, pb = successes_a / n_a, successes_b / n_b
    diff = pa - pb
    se = math.sqrt(pa * (1 - pa) / n_a + pb * (1 - pb) / n_b)
    est = normal_estimate(estimate=diff, se=se, alpha=alpha)
    la, ua = wilson_interval(successes=successes_a, n=n_a, alpha=alpha)
    lb, ub = wilson_interval(successes=successes_b, n=n_b, alpha=alpha)
    new_lo = diff - math.sqrt((pa - la) ** 2 + (ub - pb) ** 2)
    new_hi = diff + math.sqrt((ua - pa) ** 2 + (pb - lb) ** 2)
    pooled = (successes_a + successes_b) / (n_a + n_b)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if se0 > 0:
        z = diff / se0
        p = float(2 * sps.norm.sf(abs(z)))
    else:  # both groups all-0 or all-1: no evidence of a difference
        z, p = 0.0, 1.0
    return ProportionDifferenceResult(
        difference=est,
        newcombe_low=new_lo,
        newcombe_high=new_hi,
        statistic=z,
        p_value=p,
        p_a=pa,
        p_b=pb,
        n_a=n_a,
        n_b=n_b,
    )
