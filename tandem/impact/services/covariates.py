"""What a person looked like on a cohort's start (department, role level, tenure, location and the
metric's baseline), as the matrix that matching and the balance table read. Reads only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from tandem.impact import matching
from tandem.metrics.models import MetricObservation
from tandem.org.models import Assignment, OrgUnit
from tandem.org.periods import in_force

BASELINE_MONTHS = 6


@dataclass(frozen=True)
class Covariates:
    person_ids: list[int]
    matrix: np.ndarray  # all columns, for the balance table
    names: list[str]
    regression: list[int]  # columns for the propensity model (one level of each category left out)
    exact: dict[str, list[Any]]  # department, location, role level per person, for exact matching


def _department_of(units: dict[int, tuple[str, str, str]], unit_id: int) -> int:
    """The department a unit belongs to (itself, or the nearest ancestor of kind department)."""
    path = [int(part) for part in units[unit_id][1].strip("/").split("/") if part]
    for ancestor in reversed(path):
        if ancestor in units and units[ancestor][0] == OrgUnit.Kind.DEPARTMENT:
            return ancestor
    return unit_id


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def covariates_as_of(
    *, person_ids: list[int], on: dt.date, metric_id: int | None, baseline_months: int = BASELINE_MONTHS
) -> Covariates:
    """Department, role level, tenure, location and the metric's baseline level and trend, as of `on`.

    People not employed on `on` are left out. Missing role levels and baselines are filled with the
    mean and flagged with an indicator column, so they neither drop people nor look like zeros.
    """
    assignment_rows = list(
        Assignment.objects.filter(in_force(on), person_id__in=person_ids)
        .order_by("person_id", "valid_from")
        .values_list("person_id", "org_unit_id", "job_role__level", "person__hire_date", "person__location")
    )
    by_person = {row[0]: row[1:] for row in assignment_rows}
    ids = [p for p in person_ids if p in by_person]
    units = {
        unit_id: (kind, path, name)
        for unit_id, kind, path, name in OrgUnit.objects.order_by().values_list("id", "kind", "path", "name")
    }
    departments = [_department_of(units, by_person[p][0]) for p in ids]
    levels = [by_person[p][1] for p in ids]
    tenure = [max((on - by_person[p][2]).days, 0) / 365.25 for p in ids]
    locations = [by_person[p][3] or "(none)" for p in ids]

    level_values = [float(v) for v in levels if v is not None]
    level_mean = float(np.mean(level_values)) if level_values else 0.0
    columns: list[list[float]] = []
    names: list[str] = []
    regression: list[int] = []

    def add(name: str, values: list[float], *, in_model: bool = True) -> None:
        if in_model:
            regression.append(len(columns))
        columns.append(values)
        names.append(name)

    def add_category(label: str, values: list[Any], display: dict[Any, str]) -> None:
        levels_sorted = sorted(set(values), key=lambda v: display[v])
        for position, level in enumerate(levels_sorted):
            # The first level is the reference category: with a constant, all dummies are collinear.
            add(
                f"{label}: {display[level]}",
                [1.0 if v == level else 0.0 for v in values],
                in_model=position > 0,
            )

    add_category("Department", departments, {d: units[d][2] for d in set(departments)})
    add("Role level", [float(v) if v is not None else level_mean for v in levels])
    if any(v is None for v in levels):
        add("Role level missing", [1.0 if v is None else 0.0 for v in levels])
    add("Tenure (years)", tenure)
    add_category("Location", locations, {loc: loc for loc in set(locations)})

    if metric_id is not None:
        start = (on.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        for _ in range(baseline_months - 1):
            start = (start - dt.timedelta(days=1)).replace(day=1)
        series: dict[int, list[tuple[int, float]]] = {}
        for person_id, period, value in (
            MetricObservation.objects.filter(
                metric_id=metric_id, person_id__in=ids, period_start__gte=start, period_start__lt=on
            )
            .order_by()
            .values_list("person_id", "period_start", "value")
        ):
            series.setdefault(person_id, []).append((_month_index(period), value))
        level_by = {p: float(np.mean([v for _, v in obs])) for p, obs in series.items()}
        trend_by = {
            p: matching.linear_trend(
                months=np.array([m for m, _ in obs], dtype=float), values=np.array([v for _, v in obs])
            )
            for p, obs in series.items()
        }
        known_level = list(level_by.values())
        fill_level = float(np.mean(known_level)) if known_level else 0.0
        fill_trend = float(np.mean(list(trend_by.values()))) if trend_by else 0.0
        add("Baseline level", [level_by.get(p, fill_level) for p in ids])
        add("Baseline trend (per month)", [trend_by.get(p, fill_trend) for p in ids])
        if len(series) < len(ids):
            add("No baseline data", [0.0 if p in series else 1.0 for p in ids])
    matrix = np.array(columns, dtype=np.float64).T if columns else np.zeros((len(ids), 0))
    return Covariates(
        person_ids=ids,
        matrix=matrix.reshape(len(ids), len(names)),
        names=names,
        regression=regression,
        exact={"department": departments, "location": locations, "role level": levels},
    )


EXACT_KEYS = ("department", "location", "role level")


def exact_keys(data: Covariates, exact_on: tuple[str, ...]) -> np.ndarray | None:
    """One integer per person for the combination of their exact-match categories."""
    if not exact_on:
        return None
    codes: dict[tuple[Any, ...], int] = {}
    keys = [
        codes.setdefault(tuple(data.exact[name][i] for name in exact_on), len(codes))
        for i in range(len(data.person_ids))
    ]
    return np.array(keys, dtype=np.int64)
