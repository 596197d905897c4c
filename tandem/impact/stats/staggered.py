"""Callaway & Sant'Anna (2021) group-time ATTs for staggered rollouts.

Scope: the unconditional estimator (no covariates), balanced panels only. Each
ATT(g,t) is a 2x2 DiD of cohort g against the comparison group between period t
and a base period: g-1 for post-treatment cells, t-1 for pre-treatment cells (the
``did`` R package's default "varying" base). Standard errors come from the
analytic influence function, so they are clustered at the unit (or at a coarser
``cluster`` if given). Confidence intervals are pointwise, not uniform bands.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats as sps

from tandem.impact.stats._common import (
    DEFAULT_ALPHA,
    Estimate,
    FloatArray,
    as_finite_array,
    check_alpha,
    check_same_length,
    normal_estimate,
)
from tandem.impact.stats.messages import StatsError, WarningCode

ControlGroup = Literal["never_treated", "not_yet_treated"]
AggregationKind = Literal["simple", "group", "dynamic", "calendar"]

_NEVER = np.inf


@dataclass(frozen=True, eq=False)
class StaggeredData:
    """Balanced long panel: one row per unit and period.

    ``first_treated`` is the period in which the unit's treatment starts (one of the
    observed period values), or NaN / +inf for never-treated units; it must be the
    same on every row of a unit. Periods are ordered values; event time is counted
    in positions of that order (so periods need not be consecutive integers).
    """

    unit: Any
    period: Any
    outcome: Any
    first_treated: Any
    cluster: Any = None

    def __post_init__(self) -> None:
        check_same_length(
            unit=self.unit,
            period=self.period,
            outcome=self.outcome,
            first_treated=self.first_treated,
            cluster=self.cluster,
        )
        object.__setattr__(self, "unit", np.asarray(self.unit))
        object.__setattr__(self, "period", np.asarray(self.period))
        object.__setattr__(self, "outcome", as_finite_array(self.outcome, name="outcome"))
        try:
            ft = np.asarray(self.first_treated, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise StatsError("invalid_argument", "first_treated must be numeric periods or NaN") from exc
        object.__setattr__(self, "first_treated", np.where(np.isnan(ft), _NEVER, ft))
        if self.cluster is not None:
            object.__setattr__(self, "cluster", np.asarray(self.cluster))


@dataclass(frozen=True)
class GroupTimeEffect:
    """ATT(g,t): cohort g (first treated period), calendar period t, event time e."""

    group: Any
    period: Any
    event_time: int
    effect: Estimate
    n_treated: int
    n_control: int
    group_pos: int  # position of g in the ordered periods
    period_pos: int  # position of t

    @property
    def is_pre(self) -> bool:
        return self.event_time < 0


@dataclass(frozen=True, eq=False)
class StaggeredResult:
    """All group-time ATTs plus what aggregation and the pre-trend test need."""

    cells: tuple[GroupTimeEffect, ...]
    influence: FloatArray  # n_units x n_cells, ATT_hat - ATT ~ mean of each column
    cluster_codes: npt.NDArray[np.intp]
    unit_group_pos: FloatArray  # cohort position per unit (inf = never treated)
    group_shares: dict[int, float]  # cohort position -> share of all units
    n_units: int
    control_group: ControlGroup
    alpha: float
    warnings: tuple[WarningCode, ...] = ()


@dataclass(frozen=True)
class AggregateResult:
    """An aggregated ATT: ``overall`` plus per-label estimates (group, e or t)."""

    kind: AggregationKind
    overall: Estimate
    by: tuple[tuple[Any, Estimate], ...]


@dataclass(frozen=True)
class WaldTest:
    """Joint Wald test. ``p_value`` uses the Hotelling-type F small-sample adjustment
    (``statistic`` * (G - df) / (df * (G - 1)) ~ F(df, G - df), G = clusters); the
    asymptotic chi2(df) p-value is kept as ``p_value_chi2``. Simulations (docs) show the
    chi2 version over-rejects with ~40 units per cohort; the F version is closer to nominal.
    """

    statistic: float
    df: int
    p_value: float
    p_value_chi2: float
    df_denom: int | None  # None when G <= df and only the chi2 p-value is available
    n_cells: int

    def rejects(self, *, alpha: float = DEFAULT_ALPHA) -> bool:
        return self.p_value < alpha


def _blocked(data: StaggeredData) -> tuple[FloatArray, npt.NDArray[Any], npt.NDArray[Any], FloatArray] | None:
    """_wide without pandas for the usual layout: units in ascending blocks of rows, each block the same
    ascending periods (what PanelMatrix.staggered_data builds). Then the pivot is a reshape and gives the
    same arrays; None for any other layout, which takes the general path and its checks."""
    unit, period, g = data.unit, data.period, data.first_treated
    if data.cluster is not None or unit.ndim != 1 or not len(unit):
        return None
    if unit.dtype.kind not in "iuf" or period.dtype.kind not in "iuf":
        return None
    # Rows of the first unit = periods per unit (argmax is 0 when every row is the first unit's).
    m = int(np.argmax(unit != unit[0])) or len(unit)
    if len(unit) % m:
        return None
    units, periods = unit.reshape(-1, m), period.reshape(-1, m)
    cohorts = g.reshape(-1, m)
    first_units, first_periods = units[:, 0], periods[0]
    if not (
        np.all(first_units[1:] > first_units[:-1])
        and np.all(first_periods[1:] > first_periods[:-1])
        and np.all(units == first_units[:, None])
        and np.all(periods == first_periods)
        and np.all(cohorts == cohorts[:, :1])
    ):
        return None
    y = np.asarray(data.outcome, dtype=np.float64).reshape(-1, m)
    return y, first_units.copy(), first_periods.copy(), cohorts[:, 0].copy()


def _wide(data: StaggeredData) -> tuple[FloatArray, npt.NDArray[Any], npt.NDArray[Any], FloatArray, Any]:
    """Pivot to units x periods, checking balance and constant cohort per unit."""
    blocked = _blocked(data)
    if blocked is not None:
        return (*blocked, None)
    frame = pd.DataFrame(
        {"unit": data.unit, "period": data.period, "y": data.outcome, "g": data.first_treated}
    )
    if frame.duplicated(["unit", "period"]).any():
        raise StatsError("duplicate_observation")
    if (frame.groupby("unit")["g"].nunique() > 1).any():
        raise StatsError("treatment_varies_within_unit", "first_treated differs across a unit's rows")
    wide = frame.pivot(index="unit", columns="period", values="y")
    if wide.isna().to_numpy().any():
        raise StatsError("unbalanced_panel")
    units = wide.index.to_numpy()
    periods = wide.columns.to_numpy()
    g = frame.groupby("unit")["g"].first().reindex(wide.index).to_numpy(dtype=np.float64)
    cluster: Any = None
    if data.cluster is not None:
        frame["c"] = data.cluster
        if (frame.groupby("unit")["c"].nunique() > 1).any():
            raise StatsError("invalid_argument", "a unit must stay in one cluster")
        cluster = frame.groupby("unit")["c"].first().reindex(wide.index).to_numpy()
    return wide.to_numpy(dtype=np.float64), units, periods, g, cluster


def _plain(value: Any) -> Any:
    """numpy scalar -> Python scalar, so labels print and compare naturally."""
    return value.item() if isinstance(value, np.generic) else value


def _variance(influence: FloatArray, cluster_codes: npt.NDArray[np.intp]) -> FloatArray:
    """Covariance of mean(IF): (1/n^2) sum over clusters of the summed IF outer product."""
    n = influence.shape[0]
    if len(cluster_codes) == n and np.array_equal(cluster_codes, np.arange(n)):
        # One unit per cluster: the sums are the rows themselves, in the layout of a fresh C-order array
        # (copied only when not), so the matrix product is the one below bit for bit. np.add.at took
        # most of the estimator's time.
        standard = influence.dtype == np.float64 and influence.strides == (8 * influence.shape[1], 8)
        summed = influence if standard else np.array(influence, dtype=np.float64, order="C")
    else:
        summed = np.zeros((int(cluster_codes.max()) + 1, influence.shape[1]))
        np.add.at(summed, cluster_codes, influence)
    return np.asarray(summed.T @ summed / n**2, dtype=np.float64)


def att_gt(
    *, data: StaggeredData, control_group: ControlGroup = "never_treated", alpha: float = DEFAULT_ALPHA
) -> StaggeredResult:
    """Estimate every identifiable ATT(g,t) with influence-function standard errors."""
    check_alpha(alpha)
    y, _units, periods, g_values, cluster = _wide(data)
    n_periods = len(periods)
    if n_periods < 2:
        raise StatsError("too_few_observations", "need at least two periods")
    period_pos = {p: i for i, p in enumerate(periods.tolist())}
    g_pos = np.full(len(g_values), _NEVER)
    for i, gv in enumerate(g_values):
        if np.isfinite(gv):
            if gv not in period_pos:
                raise StatsError("invalid_argument", f"first_treated {gv!r} is not an observed period")
            g_pos[i] = period_pos[gv]
    warnings: list[WarningCode] = []
    always = g_pos == 0
    if always.any():
        # No untreated period to difference from: C&S drop them too.
        warnings.append("dropped_always_treated")
        keep = ~always
        y, g_pos, g_values = y[keep], g_pos[keep], g_values[keep]
        cluster = cluster[keep] if cluster is not None else None
    n = y.shape[0]
    cohorts = sorted({int(p) for p in g_pos[np.isfinite(g_pos)]})
    if not cohorts:
        raise StatsError("no_treated_cohort")
    never = ~np.isfinite(g_pos)
    if control_group == "never_treated" and not never.any():
        raise StatsError("no_comparison_group", "no never-treated units; use not_yet_treated")
    cells: list[GroupTimeEffect] = []
    columns: list[FloatArray] = []
    skipped = False
    for gp in cohorts:
        treat = g_pos == gp
        for t in range(1, n_periods):
            base = gp - 1 if t >= gp else t - 1
            # Not yet treated: untreated by t (t >= base always), excluding cohort g itself.
            ctrl = never if control_group == "never_treated" else never | ((g_pos > t) & ~treat)
            n_t, n_c = int(treat.sum()), int(ctrl.sum())
            if n_t == 0 or n_c == 0:
                skipped = True
                continue
            dy = y[:, t] - y[:, base]
            mu_t = float(dy[treat].mean())
            mu_c = float(dy[ctrl].mean())
            p_t, p_c = n_t / n, n_c / n
            inf = np.where(treat, (dy - mu_t) / p_t, 0.0) - np.where(ctrl, (dy - mu_c) / p_c, 0.0)
            columns.append(inf)
            cells.append(
                GroupTimeEffect(
                    group=_plain(periods[gp]),
                    period=_plain(periods[t]),
                    event_time=t - gp,
                    effect=Estimate(
                        mu_t - mu_c, float("nan"), float("nan"), float("nan"), float("nan"), alpha
                    ),
                    n_treated=n_t,
                    n_control=n_c,
                    group_pos=gp,
                    period_pos=t,
                )
            )
    if skipped:
        warnings.append("skipped_empty_cell")
    if not cells:
        raise StatsError("no_comparison_group", "no group-time cell has both treated and comparison units")
    influence = np.column_stack(columns)
    cluster_codes = (
        np.asarray(pd.factorize(pd.Series(cluster))[0], dtype=np.intp)
        if cluster is not None
        else np.arange(n, dtype=np.intp)
    )
    se = np.sqrt(np.diag(_variance(influence, cluster_codes)))
    # SEs need every cell's influence column, so cells get their CIs in a second pass.
    cells = [
        replace(c, effect=normal_estimate(estimate=c.effect.estimate, se=float(s), alpha=alpha))
        for c, s in zip(cells, se, strict=True)
    ]
    shares = {gp: float(np.mean(g_pos == gp)) for gp in cohorts}
    return StaggeredResult(
        cells=tuple(cells),
        influence=influence,
        cluster_codes=cluster_codes,
        unit_group_pos=g_pos,
        group_shares=shares,
        n_units=n,
        control_group=control_group,
        alpha=alpha,
        warnings=tuple(warnings),
    )


def _weight_influence(result: StaggeredResult, idx: list[int]) -> FloatArray:
    """Influence of estimating the cohort-share weights pg_k / sum(pg) (the did package's ``wif``).

    Ignoring it treats cohort sizes as fixed and understates the SE of a weighted average.
    """
    g_pos = result.unit_group_pos
    pg = np.array([result.group_shares[result.cells[k].group_pos] for k in idx])
    ind = (g_pos[:, None] == np.array([result.cells[k].group_pos for k in idx])).astype(np.float64)
    dev = ind - pg  # n x len(idx)
    total = pg.sum()
    return np.asarray(dev / total - np.outer(dev.sum(axis=1), pg / total**2), dtype=np.float64)


def _combine(result: StaggeredResult, idx: list[int], *, weighted: bool) -> tuple[float, FloatArray]:
    """A weighted average of ATT(g,t) over cells ``idx`` and its influence function."""
    att = np.array([result.cells[k].effect.estimate for k in idx])
    inf = result.influence[:, idx]
    if not weighted:
        return float(att.mean()), np.asarray(inf.mean(axis=1), dtype=np.float64)
    pg = np.array([result.group_shares[result.cells[k].group_pos] for k in idx])
    w = pg / pg.sum()
    return float(att @ w), np.asarray(inf @ w + _weight_influence(result, idx) @ att, dtype=np.float64)


def _estimate(result: StaggeredResult, value: float, inf: FloatArray, alpha: float) -> Estimate:
    se = float(np.sqrt(_variance(inf[:, None], result.cluster_codes)[0, 0]))
    return normal_estimate(estimate=value, se=se, alpha=alpha)


def _average(
    result: StaggeredResult, parts: list[tuple[float, FloatArray]], weights: FloatArray | None, alpha: float
) -> Estimate:
    values = np.array([v for v, _ in parts])
    infs = np.column_stack([f for _, f in parts])
    if weights is None:
        return _estimate(result, float(values.mean()), np.asarray(infs.mean(axis=1)), alpha)
    return _estimate(result, float(values @ weights), np.asarray(infs @ weights), alpha)


def aggregate(
    *, result: StaggeredResult, kind: AggregationKind = "simple", alpha: float | None = None
) -> AggregateResult:
    """Aggregate ATT(g,t) as in Callaway & Sant'Anna (2021), section 3 (``aggte`` in R).

    - ``simple``: post-treatment cells weighted by cohort size.
    - ``group``: per cohort, the mean of its post cells; overall weights cohorts by size.
    - ``dynamic``: per event time e, cohorts weighted by size (pre-periods included
      as e < 0); overall is the mean over e >= 0.
    - ``calendar``: per period t, treated cohorts weighted by size; overall is the mean.
    """
    a = result.alpha if alpha is None else alpha
    check_alpha(a)
    cells = result.cells
    post = [k for k, c in enumerate(cells) if c.event_time >= 0]
    if not post:
        raise StatsError("no_treated_cohort", "no post-treatment cell to aggregate")
    by: list[tuple[Any, Estimate]] = []
    if kind == "simple":
        value, inf = _combine(result, post, weighted=True)
        return AggregateResult(kind=kind, overall=_estimate(result, value, inf, a), by=())
    if kind == "group":
        parts: list[tuple[float, FloatArray]] = []
        labels: list[Any] = []
        gps = sorted({cells[k].group_pos for k in post})
        for gp in gps:
            idx = [k for k in post if cells[k].group_pos == gp]
            part = _combine(result, idx, weighted=False)
            parts.append(part)
            labels.append(cells[idx[0]].group)
            by.append((cells[idx[0]].group, _estimate(result, *part, a)))
        # Overall: cohort means weighted by cohort size, with the weight influence.
        pg = np.array([result.group_shares[gp] for gp in gps])
        w = pg / pg.sum()
        values = np.array([v for v, _ in parts])
        infs = np.column_stack([f for _, f in parts])
        g_pos = result.unit_group_pos
        dev = np.column_stack([(g_pos == gp).astype(np.float64) for gp in gps]) - pg
        wif = dev / pg.sum() - np.outer(dev.sum(axis=1), pg / pg.sum() ** 2)
        overall = _estimate(result, float(values @ w), np.asarray(infs @ w + wif @ values), a)
        return AggregateResult(kind=kind, overall=overall, by=tuple(by))
    if kind == "dynamic":
        parts_e: list[tuple[float, FloatArray]] = []
        for e in sorted({c.event_time for c in cells}):
            idx = [k for k, c in enumerate(cells) if c.event_time == e]
            part = _combine(result, idx, weighted=True)
            by.append((e, _estimate(result, *part, a)))
            if e >= 0:
                parts_e.append(part)
        return AggregateResult(kind=kind, overall=_average(result, parts_e, None, a), by=tuple(by))
    if kind == "calendar":
        parts_t: list[tuple[float, FloatArray]] = []
        for tp in sorted({cells[k].period_pos for k in post}):
            idx = [k for k in post if cells[k].period_pos == tp]
            part = _combine(result, idx, weighted=True)
            parts_t.append(part)
            by.append((cells[idx[0]].period, _estimate(result, *part, a)))
        return AggregateResult(kind=kind, overall=_average(result, parts_t, None, a), by=tuple(by))
    raise StatsError("invalid_argument", f"unknown aggregation {kind!r}")


def pretrend_test(*, result: StaggeredResult) -> WaldTest | None:
    """Joint Wald test that every pre-treatment ATT(g,t) is zero.

    W = b' V^+ b ~ chi2(rank V), V the influence-function covariance of the pre cells.
    Returns None when there are no pre-treatment cells (e.g. only two periods).
    """
    idx = [k for k, c in enumerate(result.cells) if c.event_time < 0]
    if not idx:
        return None
    b = np.array([result.cells[k].effect.estimate for k in idx])
    v = _variance(result.influence[:, idx], result.cluster_codes)
    rank = int(np.linalg.matrix_rank(v))
    if rank == 0:
        return None
    stat = float(b @ np.linalg.pinv(v) @ b)
    p_chi2 = float(sps.chi2.sf(stat, rank))
    n_clusters = int(result.cluster_codes.max()) + 1
    if n_clusters > rank:
        df_denom: int | None = n_clusters - rank
        p = float(sps.f.sf(stat * (n_clusters - rank) / (rank * (n_clusters - 1)), rank, n_clusters - rank))
    else:
        df_denom, p = None, p_chi2
    return WaldTest(
        statistic=stat, df=rank, p_value=p, p_value_chi2=p_chi2, df_denom=df_denom, n_cells=len(idx)
    )
