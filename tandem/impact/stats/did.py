"""Difference-in-differences: the 2x2 design and two-way fixed effects.

Both use statsmodels OLS. Standard errors are cluster-robust by default because
outcomes of the same unit (or team) over time are correlated; ignoring that makes
confidence intervals too narrow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import statsmodels.api as sm

from tandem.impact.stats._common import (
    DEFAULT_ALPHA,
    Estimate,
    FloatArray,
    as_binary_array,
    as_finite_array,
    check_alpha,
    check_same_length,
    t_estimate,
)
from tandem.impact.stats.messages import StatsError, WarningCode

SeType = Literal["cluster", "hc1", "classical"]
FeSeType = Literal["cluster", "classical"]

# Below this many clusters cluster-robust SEs are known to be biased downwards
# (Cameron & Miller 2015); we still report them but say so.
FEW_CLUSTERS = 30


def _codes(values: Any) -> npt.NDArray[np.intp]:
    codes, _ = pd.factorize(pd.Series(np.asarray(values)), sort=True)
    return np.asarray(codes, dtype=np.intp)


@dataclass(frozen=True, eq=False)
class DidData:
    """Unit-level rows for a 2x2 DiD: one row per unit and period.

    ``treated`` marks units in the program group (constant within unit), ``post``
    marks periods after the program started. For repeated cross-sections (each row
    a different person), pass a distinct ``unit`` per row.
    """

    unit: Any
    period: Any
    treated: Any
    post: Any
    outcome: Any
    cluster: Any = None

    def __post_init__(self) -> None:
        check_same_length(
            unit=self.unit,
            period=self.period,
            treated=self.treated,
            post=self.post,
            outcome=self.outcome,
            cluster=self.cluster,
        )
        object.__setattr__(self, "unit", np.asarray(self.unit))
        object.__setattr__(self, "period", np.asarray(self.period))
        object.__setattr__(self, "treated", as_binary_array(self.treated, name="treated"))
        object.__setattr__(self, "post", as_binary_array(self.post, name="post"))
        object.__setattr__(self, "outcome", as_finite_array(self.outcome, name="outcome"))
        if self.cluster is not None:
            object.__setattr__(self, "cluster", np.asarray(self.cluster))
        for t in (False, True):
            for p in (False, True):
                if not np.any((self.treated == t) & (self.post == p)):
                    raise StatsError("empty_cell", f"no rows with treated={int(t)}, post={int(p)}")
        per_unit = pd.Series(self.treated).groupby(_codes(self.unit)).nunique()
        if (per_unit > 1).any():
            raise StatsError("treatment_varies_within_unit")
        if len(self.outcome) < 5:
            raise StatsError("too_few_observations", "need at least 5 rows for 4 cells and a residual")

    @property
    def n_treated_units(self) -> int:
        return len(np.unique(self.unit[self.treated]))

    @property
    def n_control_units(self) -> int:
        return len(np.unique(self.unit[~self.treated]))


@dataclass(frozen=True)
class DidResult:
    """The DiD estimate (coefficient on treated x post) and its diagnostics."""

    effect: Estimate
    se_type: SeType
    n_obs: int
    n_clusters: int | None
    n_treated_units: int
    n_control_units: int
    warnings: tuple[WarningCode, ...] = ()


def did_2x2(*, data: DidData, se_type: SeType = "cluster", alpha: float = DEFAULT_ALPHA) -> DidResult:
    """OLS of outcome on 1, treated, post, treated*post; the interaction is the DiD.

    ``se_type="cluster"`` clusters on ``data.cluster`` (or on unit if no cluster is
    given) with t(G-1) inference; with fewer than two clusters it falls back to HC1
    and flags ``few_clusters_hc1_fallback``. ``"classical"`` gives the usual OLS SEs
    (textbook comparisons), ``"hc1"`` heteroskedasticity-robust SEs.
    """
    check_alpha(alpha)
    d = data.treated.astype(np.float64)
    p = data.post.astype(np.float64)
    x = np.column_stack([np.ones_like(d), d, p, d * p])
    model = sm.OLS(data.outcome, x)
    warnings: list[WarningCode] = []
    n_clusters: int | None = None
    used: SeType = se_type
    groups = _codes(data.cluster if data.cluster is not None else data.unit)
    if se_type == "cluster":
        n_clusters = int(groups.max()) + 1
        if n_clusters < 2:
            warnings.append("few_clusters_hc1_fallback")
            used = "hc1"
        elif n_clusters < FEW_CLUSTERS:
            warnings.append("few_clusters")
    if used == "cluster":
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    elif used == "hc1":
        fit = model.fit(cov_type="HC1", use_t=True)
    else:
        fit = model.fit()
    low, high = fit.conf_int(alpha=alpha)[3]
    effect = Estimate(
        estimate=float(fit.params[3]),
        se=float(fit.bse[3]),
        ci_low=float(low),
        ci_high=float(high),
        p_value=float(fit.pvalues[3]),
        alpha=alpha,
    )
    return DidResult(
        effect=effect,
        se_type=used,
        n_obs=len(data.outcome),
        n_clusters=n_clusters,
        n_treated_units=data.n_treated_units,
        n_control_units=data.n_control_units,
        warnings=tuple(warnings),
    )


@dataclass(frozen=True, eq=False)
class PanelData:
    """Long panel for two-way fixed effects: one row per unit and period.

    ``treatments`` and ``covariates`` map a name to a column; both enter the
    regression the same way, the split only says which ones are effects of interest.
    Rows with a missing value in any column must be removed by the caller.
    """

    unit: Any
    period: Any
    outcome: Any
    treatments: Mapping[str, Any]
    covariates: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.treatments:
            raise StatsError("invalid_argument", "at least one treatment variable is required")
        overlap = set(self.treatments) & set(self.covariates)
        if overlap:
            raise StatsError("invalid_argument", f"names used twice: {sorted(overlap)}")
        check_same_length(
            unit=self.unit, period=self.period, outcome=self.outcome, **self.treatments, **self.covariates
        )
        object.__setattr__(self, "unit", np.asarray(self.unit))
        object.__setattr__(self, "period", np.asarray(self.period))
        object.__setattr__(self, "outcome", as_finite_array(self.outcome, name="outcome"))
        object.__setattr__(
            self, "treatments", {k: as_finite_array(v, name=k) for k, v in self.treatments.items()}
        )
        object.__setattr__(
            self, "covariates", {k: as_finite_array(v, name=k) for k, v in self.covariates.items()}
        )
        keys = pd.DataFrame({"u": self.unit, "p": self.period})
        if keys.duplicated().any():
            raise StatsError("duplicate_observation")


@dataclass(frozen=True)
class TwfeResult:
    """Coefficients (treatments and covariates) from a unit + period fixed-effects model."""

    coefficients: Mapping[str, Estimate]
    se_type: FeSeType
    n_obs: int
    n_units: int
    n_periods: int
    df_resid: float
    warnings: tuple[WarningCode, ...] = ()

    def __getitem__(self, name: str) -> Estimate:
        return self.coefficients[name]


def _demean_by(values: FloatArray, codes: npt.NDArray[np.intp]) -> FloatArray:
    sums = np.zeros((int(codes.max()) + 1, values.shape[1]))
    np.add.at(sums, codes, values)
    counts = np.bincount(codes).astype(np.float64)
    return values - (sums / counts[:, None])[codes]


def twfe(*, data: PanelData, se_type: FeSeType = "cluster", alpha: float = DEFAULT_ALPHA) -> TwfeResult:
    """Two-way fixed effects: unit FE by the within transformation, period FE as dummies.

    Demeaning every column (including the period dummies) by unit is exact for
    unbalanced panels too (Frisch-Waugh-Lovell), so only the period dummies are
    explicit. Classical SEs use df = N - units - K, as in textbooks and Stata's
    ``xtreg, fe``; cluster-robust SEs cluster on unit with t(G-1) inference.
    """
    check_alpha(alpha)
    unit_codes = _codes(data.unit)
    period_codes = _codes(data.period)
    n_units = int(unit_codes.max()) + 1
    n_periods = int(period_codes.max()) + 1
    names = [*data.treatments, *data.covariates]
    cols = [*data.treatments.values(), *data.covariates.values()]
    # Drop the first period's dummy: it is the reference absorbed by the unit effects.
    period_dummies = [(period_codes == k).astype(np.float64) for k in range(1, n_periods)]
    x = np.column_stack([*cols, *period_dummies])
    y = data.outcome[:, None]
    xd = _demean_by(x, unit_codes)
    yd = _demean_by(y, unit_codes)[:, 0]
    n_obs, k = xd.shape
    if np.linalg.matrix_rank(xd) < k:
        raise StatsError("singular_design", "a regressor is constant within units or collinear")
    df_resid = float(n_obs - n_units - k)
    if df_resid <= 0:
        raise StatsError("too_few_observations", "no residual degrees of freedom after fixed effects")
    model = sm.OLS(yd, xd)
    warnings: list[WarningCode] = []
    if se_type == "classical":
        fit = model.fit()
        # statsmodels does not know the unit means were estimated; rescale sigma^2.
        bse = np.asarray(fit.bse) * np.sqrt(fit.df_resid / df_resid)
        df_inf = df_resid
    else:
        if n_units < 2:
            raise StatsError("too_few_observations", "cluster-robust SEs need at least two units")
        if n_units < FEW_CLUSTERS:
            warnings.append("few_clusters")
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": unit_codes}, use_t=True)
        bse = np.asarray(fit.bse)
        df_inf = float(n_units - 1)
    params = np.asarray(fit.params)
    coefficients = {
        name: t_estimate(estimate=float(params[i]), se=float(bse[i]), df=df_inf, alpha=alpha)
        for i, name in enumerate(names)
    }
    return TwfeResult(
        coefficients=coefficients,
        se_type=se_type,
        n_obs=n_obs,
        n_units=n_units,
        n_periods=n_periods,
        df_resid=df_resid,
        warnings=tuple(warnings),
    )
