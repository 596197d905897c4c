"""Propensity-score matching and balance diagnostics on plain numpy arrays (no Django).

The services build the covariate matrix from the database; everything here is pure so it can be
tested on simulated populations and reused by the impact page.

Method (Austin 2011, "An introduction to propensity score methods"):
- propensity score from a logistic regression of treatment on the covariates (statsmodels);
- greedy 1:1 nearest-neighbour matching on the logit of the score, without replacement, treated
  people taken from the highest score down (the hardest to match go first);
- caliper in standard deviations of the logit score (0.2 by default, Austin's recommendation);
- balance as standardised mean differences, with the pre-matching pooled SD as the denominator for
  both columns (as `cobalt` does), so a change in the SMD is a change in the means, not in the scale.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import statsmodels.api as sm

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

SMD_THRESHOLD = 0.1
DEFAULT_CALIPER = 0.2
_EPS = 1e-6


class MatchingError(ValueError):
    """The inputs cannot be matched (no treated or no candidates, mismatched shapes)."""


@dataclass(frozen=True)
class MatchResult:
    propensity: FloatArray  # one score per row of the input
    pairs: tuple[tuple[int, int, float], ...]  # (treated row, control row, |logit distance|)
    unmatched_treated: tuple[int, ...]
    caliper_width: float  # on the logit scale; inf when no caliper
    regularised: bool  # True when plain maximum likelihood failed (separation) and a ridge fit was used


@dataclass(frozen=True)
class BalanceStat:
    covariate: str
    mean_treated_before: float
    mean_comparison_before: float
    mean_treated_after: float | None
    mean_comparison_after: float | None
    smd_before: float | None  # None: undefined (no variation in either group but different means)
    smd_after: float | None


def _standardise(x: FloatArray) -> FloatArray:
    """Centre and scale columns; constant columns are dropped (they carry no information)."""
    sd = x.std(axis=0)
    keep = sd > 1e-12
    return (x[:, keep] - x[:, keep].mean(axis=0)) / sd[keep]


def propensity_scores(*, covariates: FloatArray, treated: BoolArray) -> tuple[FloatArray, bool]:
    """P(treated | covariates) from a logistic regression; (scores, regularised).

    Many dummy columns (departments, locations) can separate the groups perfectly, where maximum
    likelihood diverges; then a light ridge penalty keeps the scores finite and ordered.
    """
    x = np.asarray(covariates, dtype=np.float64)
    y = np.asarray(treated, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] != y.shape[0]:
        raise MatchingError("covariates must be a matrix with one row per person")
    if y.sum() == 0 or y.sum() == len(y):
        raise MatchingError("need both treated people and candidates")
    design = sm.add_constant(_standardise(x), has_constant="add")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            fit = sm.Logit(y, design).fit(disp=0, maxiter=200, method="newton")
            scores = np.asarray(fit.predict(design), dtype=np.float64)
            if fit.mle_retvals.get("converged", False) and np.all((scores > _EPS) & (scores < 1 - _EPS)):
                return scores, False
        except Exception:  # noqa: S110 - separation, singular Hessian or a convergence warning: fall back
            pass
    model = sm.GLM(y, design, family=sm.families.Binomial())
    fit_r = model.fit_regularized(alpha=1.0 / len(y), L1_wt=0.0, maxiter=500)
    linear = design @ np.asarray(fit_r.params, dtype=np.float64)
    return 1.0 / (1.0 + np.exp(-linear)), True


def _logit(p: FloatArray) -> FloatArray:
    clipped = np.clip(p, _EPS, 1 - _EPS)
    return np.log(clipped / (1.0 - clipped))


def nearest_neighbour_match(
    *,
    covariates: FloatArray,
    treated: BoolArray,
    caliper: float | None = DEFAULT_CALIPER,
    exact: npt.NDArray[np.int64] | None = None,
) -> MatchResult:
    """1:1 greedy nearest-neighbour matching on the logit propensity score, without replacement.

    `exact` (one key per row) restricts matches to rows with the same key: a score only balances
    categories on average, which leaves visible gaps in small groups.
    """
    treated = np.asarray(treated, dtype=bool)
    keys = np.zeros(len(treated), dtype=np.int64) if exact is None else np.asarray(exact, dtype=np.int64)
    if keys.shape != treated.shape:
        raise MatchingError("one exact-match key per row")
    scores, regularised = propensity_scores(covariates=covariates, treated=treated)
    logit = _logit(scores)
    width = math.inf if caliper is None else float(caliper) * float(logit.std(ddof=1))
    treated_rows = np.flatnonzero(treated)
    control_rows = np.flatnonzero(~treated)
    available = np.ones(len(control_rows), dtype=bool)
    control_logit = logit[control_rows]
    control_keys = keys[control_rows]
    pairs: list[tuple[int, int, float]] = []
    unmatched: list[int] = []
    # Highest score first: those treated people have the fewest similar candidates.
    for row in treated_rows[np.argsort(-logit[treated_rows], kind="stable")]:
        eligible = available & (control_keys == keys[row])
        if not eligible.any():
            unmatched.append(int(row))
            continue
        distance = np.where(eligible, np.abs(control_logit - logit[row]), np.inf)
        best = int(np.argmin(distance))
        if distance[best] > width:
            unmatched.append(int(row))
            continue
        available[best] = False
        pairs.append((int(row), int(control_rows[best]), float(distance[best])))
    return MatchResult(
        propensity=scores,
        pairs=tuple(pairs),
        unmatched_treated=tuple(sorted(unmatched)),
        caliper_width=width,
        regularised=regularised,
    )


def _smd(diff: float, denominator: float) -> float | None:
    if denominator > 1e-12:
        return diff / denominator
    return 0.0 if abs(diff) <= 1e-12 else None


def balance_table(
    *,
    covariates: FloatArray,
    names: list[str],
    treated: BoolArray,
    matched_treated: list[int] | None = None,
    matched_controls: list[int] | None = None,
) -> list[BalanceStat]:
    """Means and SMDs per covariate before (all rows) and after (the matched rows, if given)."""
    x = np.asarray(covariates, dtype=np.float64)
    treated = np.asarray(treated, dtype=bool)
    if x.shape[1] != len(names):
        raise MatchingError("one name per covariate column")
    rows: list[BalanceStat] = []
    for j, name in enumerate(names):
        column_t, column_c = x[treated, j], x[~treated, j]
        variance_t = float(column_t.var(ddof=1)) if len(column_t) > 1 else 0.0
        variance_c = float(column_c.var(ddof=1)) if len(column_c) > 1 else 0.0
        denominator = math.sqrt((variance_t + variance_c) / 2.0)
        mean_t, mean_c = float(column_t.mean()), float(column_c.mean())
        after_t = after_c = smd_after = None
        if matched_treated and matched_controls:
            after_t = float(x[matched_treated, j].mean())
            after_c = float(x[matched_controls, j].mean())
            smd_after = _smd(after_t - after_c, denominator)
        rows.append(
            BalanceStat(
                covariate=name,
                mean_treated_before=mean_t,
                mean_comparison_before=mean_c,
                mean_treated_after=after_t,
                mean_comparison_after=after_c,
                smd_before=_smd(mean_t - mean_c, denominator),
                smd_after=smd_after,
            )
        )
    return rows


def is_imbalanced(rows: list[BalanceStat], *, threshold: float = SMD_THRESHOLD) -> bool:
    """Any covariate whose |SMD| after matching (before, if not matched) exceeds the threshold."""
    for row in rows:
        smd = row.smd_after if row.mean_treated_after is not None else row.smd_before
        if smd is None or abs(smd) > threshold:
            return True
    return False


def linear_trend(*, months: FloatArray, values: FloatArray) -> float:
    """OLS slope of values on month index (per month); 0 with fewer than two distinct months."""
    t = np.asarray(months, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    if len(t) < 2 or np.ptp(t) == 0:
        return 0.0
    t_centred = t - t.mean()
    return float((t_centred * (y - y.mean())).sum() / (t_centred**2).sum())


def stratified_shuffle(*, strata: list[int], share: float, seed: int) -> tuple[list[int], list[int]]:
    """Split row indices into (selected, rest), selecting `share` of each stratum, reproducibly.

    Each stratum gets floor(share·n); the leftover seats (so the total is round(share·N)) go to the
    strata with the largest fractional remainders, ties broken by the same seeded generator.
    """
    if not 0.0 < share < 1.0:
        raise MatchingError("the share must be strictly between 0 and 1")
    rng = np.random.default_rng(seed)
    groups: dict[int, list[int]] = {}
    for index, stratum in enumerate(strata):
        groups.setdefault(stratum, []).append(index)
    keys = sorted(groups)
    quotas = {key: share * len(groups[key]) for key in keys}
    seats = {key: math.floor(quotas[key]) for key in keys}
    extra = round(share * len(strata)) - sum(seats.values())
    tie_break = rng.random(len(keys))
    order = sorted(range(len(keys)), key=lambda i: (-(quotas[keys[i]] - seats[keys[i]]), tie_break[i]))
    for i in order[: max(extra, 0)]:
        seats[keys[i]] += 1
    selected: list[int] = []
    rest: list[int] = []
    for key in keys:
        members = np.array(groups[key])
        shuffled = members[rng.permutation(len(members))]
        selected.extend(int(v) for v in shuffled[: seats[key]])
        rest.extend(int(v) for v in shuffled[seats[key] :])
    return sorted(selected), sorted(rest)


def stratified_sample(*, pool_strata: list[int], wanted: dict[int, int], seed: int) -> list[int]:
    """Draw wanted[s] row indices at random from each stratum s of the pool (all of it if too small)."""
    rng = np.random.default_rng(seed)
    groups: dict[int, list[int]] = {}
    for index, stratum in enumerate(pool_strata):
        groups.setdefault(stratum, []).append(index)
    chosen: list[int] = []
    for key in sorted(wanted):
        members = np.array(groups.get(key, []), dtype=np.int64)
        take = min(wanted[key], len(members))
        if take:
            chosen.extend(int(v) for v in rng.choice(members, size=take, replace=False))
    return sorted(chosen)
