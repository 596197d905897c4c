"""Plain values returned by impact services and selectors (models never leave the app)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import numpy as np

from tandem.impact.stats import DidData, StaggeredData

Decision = Literal["scale", "iterate", "stop"]


@dataclass(frozen=True)
class SelectionRule:
    """Who is eligible, evaluated on one date with effective-dated assignments.

    org_unit_id includes every unit below it. location is the person's current location (the HR feed
    keeps no history of it). hired_before is exclusive. Empty fields do not filter.
    """

    org_unit_id: int | None = None
    job_role_id: int | None = None
    location: str = ""
    hired_before: dt.date | None = None

    @property
    def is_empty(self) -> bool:
        return (
            self.org_unit_id is None
            and self.job_role_id is None
            and not self.location
            and not self.hired_before
        )


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based position in the list given
    employee_id: str
    message: str


@dataclass(frozen=True)
class ParticipantsAdded:
    added: int
    already: int  # already in this cohort: nothing to do
    errors: tuple[RowError, ...] = ()


@dataclass(frozen=True)
class RandomAssignment:
    treated: int
    comparison: int
    seed: int
    comparison_group_id: int


@dataclass(frozen=True)
class BalanceRowView:
    covariate: str
    mean_treated_before: float
    mean_comparison_before: float
    mean_treated_after: float | None
    mean_comparison_after: float | None
    smd_before: float | None
    smd_after: float | None

    @property
    def imbalanced(self) -> bool:
        smd = self.smd_after if self.mean_treated_after is not None else self.smd_before
        return smd is None or abs(smd) > 0.1


SMD_LIMIT = 0.1  # as tandem.impact.matching.SMD_THRESHOLD (records import no maths)


def balance_warnings(
    *, rows: tuple[BalanceRowView, ...], unmatched: int = 0, participants: int = 0
) -> tuple[str, ...]:
    """The balance table's problems in plain words ("Tenure (years) differs: SMD 0.31 (above 0.1)")."""
    words: list[str] = []
    for row in rows:
        if not row.imbalanced:
            continue
        matched = row.mean_treated_after is not None
        smd = row.smd_after if matched else row.smd_before
        if smd is None:
            words.append(f"{row.covariate} cannot be compared: one group has no values")
        else:
            after = " after matching" if matched else ""
            words.append(f"{row.covariate} differs{after}: SMD {abs(smd):.2f} (above {SMD_LIMIT})")
    if unmatched:
        of = f" of {participants}" if participants else ""
        words.append(
            f"{unmatched}{of} participants have no comparison person within the caliper; "
            "the matched ones may not stand for the whole cohort"
        )
    return tuple(words)


@dataclass(frozen=True)
class BalanceView:
    comparison_group_id: int
    cohort_name: str | None
    method: str
    as_of: dt.date
    seed: int | None
    caliper: float | None
    participants: int
    comparison: int
    unmatched_participants: int
    warning: bool
    rows: tuple[BalanceRowView, ...]
    cohort_id: int | None = None
    created_at: dt.datetime | None = None
    superseded_at: dt.datetime | None = None  # None: the current group, the one estimates use
    strata: tuple[str, ...] = ()

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None

    @property
    def warnings(self) -> tuple[str, ...]:
        return balance_warnings(
            rows=self.rows, unmatched=self.unmatched_participants, participants=self.participants
        )


@dataclass(frozen=True)
class ComparisonSpec:
    """How a comparison group is drawn. The same spec previews (comparison_group_propose) and saves
    (comparison_group_save); with the same seed both give the same people.

    people: for "explicit" the members (employee ids or work emails); for "randomised" and "matched" the
    candidates (empty: everyone employed on the cohort start). cohort_id None: the whole program (explicit).
    """

    program_id: int
    method: str
    cohort_id: int | None = None
    people: tuple[str, ...] = ()
    ratio: float = 1.0
    seed: int | None = None
    caliper: float | None = 0.2
    exact_on: tuple[str, ...] = ("department",)
    metric_code: str | None = None
    rule: SelectionRule | None = None


@dataclass(frozen=True)
class ProposedMember:
    person_id: int
    employee_id: str
    name: str
    matched_to_participant_id: int | None = None
    distance: float | None = None


@dataclass(frozen=True)
class ComparisonProposal:
    """A comparison group computed but not saved: who would be in it and how alike the groups would be."""

    spec: ComparisonSpec  # with the seed that was drawn, so saving it gives these people
    program_code: str
    cohort_name: str | None
    as_of: dt.date
    strata: tuple[str, ...]
    participants: int
    members: tuple[ProposedMember, ...]
    rows: tuple[BalanceRowView, ...]
    warning: bool
    unmatched: tuple[str, ...] = ()  # employee ids of participants left without a comparison person
    short: int = 0  # randomised: people wanted but not available in their org unit
    regularised: bool = False

    @property
    def method(self) -> str:
        return self.spec.method

    @property
    def seed(self) -> int | None:
        return self.spec.seed

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def unmatched_participants(self) -> int:
        return len(self.unmatched)

    @property
    def imbalanced(self) -> tuple[str, ...]:
        return tuple(row.covariate for row in self.rows if row.imbalanced)

    @property
    def warnings(self) -> tuple[str, ...]:
        return balance_warnings(rows=self.rows, unmatched=len(self.unmatched), participants=self.participants)


@dataclass(frozen=True)
class PilotSizing:
    """The sample a pilot plan needs, computed without saving (the plan page shows it while typing)."""

    design: str  # "means" or "did"
    required_per_group: int
    required_comparison: int
    achieved_power: float
    power_curve: tuple[tuple[int, float], ...]


@dataclass(frozen=True)
class ProgramMetricView:
    metric_code: str
    metric_name: str
    unit: str
    direction: str
    baseline: float | None
    baseline_date: dt.date | None
    goal: float | None
    value_per_unit: Decimal | None
    is_primary: bool
    expected_direction: str  # which way the program should move it ("up"/"down")


@dataclass(frozen=True)
class ActivityView:
    id: int
    activity_iri: str
    catalog_key: str
    name: str


@dataclass(frozen=True)
class CostView:
    id: int
    currency: str
    kind: str
    kind_label: str
    description: str
    amount: Decimal | None
    hours: Decimal | None
    rate: Decimal | None
    total: Decimal


@dataclass(frozen=True)
class CohortView:
    id: int
    name: str
    start_date: dt.date
    participants: int


@dataclass(frozen=True)
class ProgramSummary:
    id: int
    code: str
    name: str
    status: str
    status_label: str
    is_pilot: bool
    owner_name: str | None
    initiative_name: str | None
    start_date: dt.date | None
    end_date: dt.date | None
    participants: int
    cohorts: int


@dataclass(frozen=True)
class ProgramDetail:
    summary: ProgramSummary
    description: str
    audience: str
    request_ref: str
    delivery_modes: tuple[str, ...]
    owner_employee_id: str | None
    sponsor_employee_id: str | None
    sponsor_name: str | None
    initiative_code: str | None
    metrics: tuple[ProgramMetricView, ...]
    activities: tuple[ActivityView, ...]
    costs: tuple[CostView, ...]
    cohorts: tuple[CohortView, ...]

    @property
    def code(self) -> str:
        return self.summary.code

    @property
    def name(self) -> str:
        return self.summary.name

    @property
    def total_cost(self) -> Decimal:
        return sum((cost.total for cost in self.costs), Decimal(0))

    @property
    def primary_metric(self) -> ProgramMetricView | None:
        return next((m for m in self.metrics if m.is_primary), None)


@dataclass(frozen=True)
class ParticipantView:
    employee_id: str
    name: str
    cohort_name: str
    cohort_start: dt.date
    assigned_by: str
    joined_on: dt.date
    org_unit_name: str | None  # where they sat on the date asked about (None: not employed then)
    job_role_name: str | None


@dataclass(frozen=True)
class PilotPlanView:
    program_id: int
    metric_code: str
    metric_name: str
    higher_is_better: bool
    design: str
    minimum_detectable_effect: float
    outcome_sd: float
    correlation: float | None
    alpha: float
    power: float
    ratio: float
    required_per_group: int
    required_comparison: int
    achieved_power: float
    duration_weeks: int
    scale_threshold: float
    stop_threshold: float
    frozen_at: dt.datetime | None
    power_curve: tuple[tuple[int, float], ...]
    frozen_by_name: str | None = None  # who froze it (the user's name, or their login)

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    def decide(self, *, effect: float, ci_low: float, ci_high: float) -> Decision:
        """Apply the frozen rule to an estimate in metric units (signs flipped for lower-is-better)."""
        if not self.higher_is_better:
            effect, ci_low, ci_high = -effect, -ci_high, -ci_low
        if ci_low >= self.scale_threshold and ci_low > 0:
            return "scale"
        if effect < self.stop_threshold:
            return "stop"
        return "iterate"


@dataclass(frozen=True)
class FeedbackView:
    program_code: str
    program_name: str
    cohort_name: str | None
    you_said: str
    we_did: str
    published_at: dt.datetime


@dataclass(frozen=True)
class ProgramPanel:
    """Person × month panel for one metric: participants (treated from their cohort's start month) and
    comparison people (never treated). Columns are parallel tuples, one entry per observed person-month.

    first_treated is the month containing the cohort start: any exposure in a month counts as treated,
    so the base month g-1 of Callaway–Sant'Anna is untouched by the program.
    """

    metric_code: str
    months: tuple[dt.date, ...]
    person_id: tuple[int, ...]
    period: tuple[dt.date, ...]
    outcome: tuple[float, ...]
    first_treated: tuple[dt.date | None, ...]
    org_unit_id: tuple[int | None, ...]  # where the person sat at their reference date (cluster)
    treated_people: int
    comparison_people: int

    @property
    def n_rows(self) -> int:
        return len(self.outcome)

    def balanced(self) -> ProgramPanel:
        """Only people observed in every month of the panel (Callaway–Sant'Anna needs this)."""
        counts: dict[int, int] = {}
        for person in self.person_id:
            counts[person] = counts.get(person, 0) + 1
        full = {person for person, n in counts.items() if n == len(self.months)}
        keep = [i for i, person in enumerate(self.person_id) if person in full]
        treated = {self.person_id[i] for i in keep if self.first_treated[i] is not None}
        return ProgramPanel(
            metric_code=self.metric_code,
            months=self.months,
            person_id=tuple(self.person_id[i] for i in keep),
            period=tuple(self.period[i] for i in keep),
            outcome=tuple(self.outcome[i] for i in keep),
            first_treated=tuple(self.first_treated[i] for i in keep),
            org_unit_id=tuple(self.org_unit_id[i] for i in keep),
            treated_people=len(treated),
            comparison_people=len(full) - len(treated),
        )

    def _month_index(self) -> dict[dt.date, int]:
        return {month: i for i, month in enumerate(self.months)}

    def _first_index(self, first: dt.date | None, index: dict[dt.date, int]) -> float:
        # Treated before the window: treated in its first period (the estimator drops them, having no
        # baseline). Treated after it: never treated within the window, as in R's `did`.
        if first is None or not self.months or first > self.months[-1]:
            return float(np.inf)
        if first < self.months[0]:
            return 0.0
        return float(index[first])

    def staggered_data(self, *, cluster_by_org_unit: bool = False) -> StaggeredData:
        """Input for tandem.impact.stats.att_gt (call on a balanced panel). Periods are month indexes."""
        index = self._month_index()
        return StaggeredData(
            unit=np.array(self.person_id),
            period=np.array([index[p] for p in self.period], dtype=np.float64),
            outcome=np.array(self.outcome, dtype=np.float64),
            first_treated=np.array(
                [self._first_index(g, index) for g in self.first_treated], dtype=np.float64
            ),
            cluster=np.array([u if u is not None else -1 for u in self.org_unit_id])
            if cluster_by_org_unit
            else None,
        )

    def did_data(self) -> DidData:
        """Input for tandem.impact.stats.did_2x2: post = on or after the person's cohort start month,
        and for comparison people on or after the earliest cohort start."""
        starts = [g for g in self.first_treated if g is not None]
        first_start = min(starts) if starts else None
        index = self._month_index()
        post = [
            (g is not None and p >= g) or (g is None and first_start is not None and p >= first_start)
            for p, g in zip(self.period, self.first_treated, strict=True)
        ]
        return DidData(
            unit=np.array(self.person_id),
            period=np.array([index[p] for p in self.period]),
            treated=np.array([g is not None for g in self.first_treated], dtype=np.float64),
            post=np.array(post, dtype=np.float64),
            outcome=np.array(self.outcome, dtype=np.float64),
        )


def month_ordinal(day: dt.date) -> int:
    """Months since year 0 (January 2025 -> 24300): consecutive months are consecutive integers."""
    return day.year * 12 + day.month - 1


def ordinal_month(ordinal: int) -> dt.date:
    return dt.date(ordinal // 12, ordinal % 12 + 1, 1)


@dataclass(frozen=True, eq=False)
class PanelMatrix:
    """The balanced person × month panel as arrays: what the estimator and the page read (see ProgramPanel).

    `values[i, j]` is person_id[i]'s mean in months[j]; only people observed in every month are rows.
    months run from the first to the last month with any value in the window. first_treated holds the
    month ordinal (month_ordinal) containing the person's cohort start, NaN for comparison people.
    starts: cohort start months of every participant with a value (balanced or not), for "not measurable".
    """

    metric_code: str
    months: tuple[dt.date, ...]
    person_id: np.ndarray  # (n,) int64, ascending
    first_treated: np.ndarray  # (n,) float64
    values: np.ndarray  # (n, len(months)) float64
    observed_treated: int  # participants with at least one value in the window
    observed_comparison: int
    starts: frozenset[dt.date]

    @property
    def treated_people(self) -> int:
        return int(np.isfinite(self.first_treated).sum())

    @property
    def comparison_people(self) -> int:
        return len(self.person_id) - self.treated_people

    @property
    def n_dropped(self) -> int:
        return self.observed_treated + self.observed_comparison - len(self.person_id)

    def first_treated_index(self) -> np.ndarray:
        """Cohort start as a position in months, as ProgramPanel._first_index: 0 when the cohort started
        before the window (the estimator drops them), +inf when never treated or after the window."""
        if not self.months:
            return np.full(len(self.person_id), np.inf)
        low, high = month_ordinal(self.months[0]), month_ordinal(self.months[-1])
        g = self.first_treated
        with np.errstate(invalid="ignore"):
            index = np.where(np.isnan(g) | (g > high), np.inf, np.maximum(g - low, 0.0))
        return np.asarray(index, dtype=np.float64)

    def staggered_data(self) -> StaggeredData:
        n, m = self.values.shape
        return StaggeredData(
            unit=np.repeat(self.person_id, m),
            period=np.tile(np.arange(m, dtype=np.float64), n),
            outcome=self.values.reshape(-1),
            first_treated=np.repeat(self.first_treated_index(), m),
        )

    def did_data(self) -> DidData:
        """As ProgramPanel.did_data: post from the person's cohort start month, for comparison people from
        the earliest cohort start."""
        n, m = self.values.shape
        g = self.first_treated
        treated = np.isfinite(g)
        period = np.arange(m)
        ordinals = month_ordinal(self.months[0]) + period if m else period
        first_start = float(np.nanmin(g)) if treated.any() else np.inf
        start = np.where(treated, g, first_start)
        post = ordinals[None, :] >= start[:, None]
        return DidData(
            unit=np.repeat(self.person_id, m),
            period=np.tile(period, n),
            treated=np.repeat(treated.astype(np.float64), m),
            post=post.reshape(-1).astype(np.float64),
            outcome=self.values.reshape(-1),
        )
