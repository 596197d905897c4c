"""Shared result types and small helpers (no Django, no other tandem module)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

from tandem.impact.stats.messages import StatsError

FloatArray = npt.NDArray[np.float64]
DEFAULT_ALPHA = 0.05


def check_alpha(alpha: float) -> None:
    if not (0.0 < alpha < 0.5) or not math.isfinite(alpha):
        raise StatsError("invalid_alpha", f"alpha={alpha!r}")


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its standard error, (1-alpha) CI and two-sided p-value."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    alpha: float = DEFAULT_ALPHA

    @property
    def confidence(self) -> float:
        return 1.0 - self.alpha

    @property
    def ci_includes_zero(self) -> bool:
        return self.ci_low <= 0.0 <= self.ci_high


def normal_estimate(*, estimate: float, se: float, alpha: float) -> Estimate:
    """Wald estimate with a normal reference distribution."""
    z = float(sps.norm.ppf(1.0 - alpha / 2.0))
    p = float(2.0 * sps.norm.sf(abs(estimate) / se)) if se > 0 else float("nan")
    return Estimate(estimate, se, estimate - z * se, estimate + z * se, p, alpha)


def t_estimate(*, estimate: float, se: float, df: float, alpha: float) -> Estimate:
    """Wald estimate with a Student t reference distribution on ``df`` degrees of freedom."""
    q = float(sps.t.ppf(1.0 - alpha / 2.0, df))
    p = float(2.0 * sps.t.sf(abs(estimate) / se, df)) if se > 0 else float("nan")
    return Estimate(estimate, se, estimate - q * se, estimate + q * se, p, alpha)


def as_float_array(values: Any, *, name: str) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise StatsError("invalid_argument", f"{name} must be one-dimensional")
    return arr


def as_finite_array(values: Any, *, name: str) -> FloatArray:
    arr = as_float_array(values, name=name)
    if not np.all(np.isfinite(arr)):
        raise StatsError("non_finite", f"{name} contains missing or infinite values")
    return arr


def as_binary_array(values: Any, *, name: str) -> npt.NDArray[np.bool_]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise StatsError("invalid_argument", f"{name} must be one-dimensional")
    as_float = arr.astype(np.float64)
    if not np.all((as_float == 0.0) | (as_float == 1.0)):
        raise StatsError("not_binary", f"{name} must contain only 0/1 values")
    return as_float == 1.0


def check_same_length(**columns: Any) -> int:
    lengths = {name: len(col) for name, col in columns.items() if col is not None}
    if len(set(lengths.values())) > 1:
        raise StatsError("length_mismatch", f"column lengths differ: {lengths}")
    return next(iter(lengths.values()))
