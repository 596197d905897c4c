"""A program's impact on one metric, ready for a page: the panel -> statistics -> a plain sentence and ROI.

Nothing is cached: every call reads the panel (program_panel_matrix) and re-estimates: well under a second
on the demo, about 2 s for 110,000 people over 24 months on a shared 2-core machine (bench/impact.py).
Statistics errors never escape: they come back as a result with `error` set and a message for people.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from django.conf import settings

from tandem.core.scope import AccessDenied, PersonScope
from tandem.impact.models import Participant
from tandem.impact.records import PanelMatrix, ProgramDetail, month_ordinal, ordinal_month
from tandem.impact.selectors import program_get, program_panel_matrix
from tandem.impact.stats import (
    MESSAGES,
    CostItem,
    Estimate,
    MetricWording,
    StatsError,
    aggregate,
    att_gt,
    describe_effect,
    did_2x2,
    monetise,
    pretrend_test,
    roi,
    sensitivity_table,
)
from tandem.metrics.models import MetricDefinition
from tandem.org.selectors import person_scope_filter

Method = Literal["did", "staggered"]
Comparison = Literal["never", "not_yet"]
METHODS: tuple[Method, ...] = ("staggered", "did")
COMPARISONS: tuple[Comparison, ...] = ("never", "not_yet")
PERIODS_PER_YEAR = 12  # the panel is monthly
# Before a figure: months of values before the first start (the base month plus a trend to check) and after
# it (one or two months after a start are mostly noise and ramp-up; a figure from them misleads).
MIN_MONTHS_BEFORE = 3
MIN_MONTHS_AFTER = 3
NOT_MEASURABLE = "Business impact is not measurable yet"
GRAIN_WORDS = {"company": "the company", "team": "each team", "org_unit": "each org unit"}
NotMeasurableReason = Literal[
    "no_metric", "not_per_person", "no_participants", "no_data", "no_post_data", "too_few_months"
]


@dataclass(frozen=True)
class EventPoint:
    relative_month: int  # 0 = the month the cohort started
    estimate: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class TrendLine:
    label: str  # "Wave 1 (from Mar 2026)" or "Comparison group"
    start: dt.date | None  # the cohort's first treated month; None for the comparison group
    people: int
    points: tuple[tuple[dt.date, float], ...]  # mean per month


@dataclass(frozen=True)
class CohortEffect:
    start: dt.date  # first treated month
    people: int
    effect: Estimate | None  # None when the cohort is too small to report


@dataclass(frozen=True)
class EstimateWarning:
    code: str
    message: str


@dataclass(frozen=True)
class SensitivityCell:
    effect: float
    value_per_unit: float
    roi_percent: float


@dataclass(frozen=True)
class RoiView:
    costs: float
    benefits: float
    net_benefits: float
    roi_percent: float
    benefit_cost_ratio: float
    payback_months: float | None
    effect_used: float  # conservative CI bound, "better" positive; 0 when the CI includes zero
    value_per_unit: float
    people: int
    periods_per_year: int
    break_even_effect: float | None  # effect per person and month at which benefits equal costs
    sensitivity: tuple[SensitivityCell, ...]


@dataclass(frozen=True)
class ImpactEstimate:
    program_id: int
    metric_code: str
    metric_name: str
    unit: str
    decimals: int
    higher_is_better: bool
    method: Method
    comparison: Comparison
    status: str  # ok | not_distinguishable | unreliable_pretrend | too_small | not_measurable | error
    sentence: str
    favourable: bool | None
    overall: Estimate | None  # None when too small or on error
    event_study: tuple[EventPoint, ...]
    pretrend_p_value: float | None
    trends: tuple[TrendLine, ...]
    cohorts: tuple[CohortEffect, ...]
    n_treated: int  # people in the estimate (observed every month)
    n_comparison: int  # smallest comparison group any post-program comparison used
    n_dropped: int  # people left out because a month was missing (participants + comparison people)
    months: tuple[dt.date, ...]
    warnings: tuple[EstimateWarning, ...]
    roi: RoiView | None
    error: str | None = None
    not_measurable_reason: NotMeasurableReason | None = None  # set when status == "not_measurable"
    # n_dropped split by side, so that "400 participants" plus those left out adds up to the participants
    # with values (enrolled people with no value at all in the window are neither).
    n_dropped_participants: int = 0
    n_dropped_comparison: int = 0
    n_participants_observed: int = 0  # participants with at least one value in the window

    @property
    def has_figure(self) -> bool:
        return self.overall is not None

    @property
    def is_measurable(self) -> bool:
        return self.status != "not_measurable"


def programs_visible_ids(*, scope: PersonScope) -> set[int] | None:
    """Programs with a participant the viewer may see (None: every program). One query."""
    if scope.everyone:
        return None
    return set(
        Participant.objects.filter(person_scope_filter(scope, prefix="person__"))
        .order_by()
        .values_list("program_id", flat=True)
        .distinct()
    )


def program_require_visible(*, scope: PersonScope, program_id: int) -> None:
    visible = programs_visible_ids(scope=scope)
    if visible is not None and program_id not in visible:
        raise AccessDenied("None of this program's participants is in your scope")


def _wording(metric: MetricDefinition) -> MetricWording:
    higher = metric.direction == MetricDefinition.Direction.UP
    if metric.unit.strip() == "%":
        return MetricWording(
            verb="had",
            unit=f"percentage points of {metric.name.lower()}",
            less_word="fewer",
            higher_is_better=higher,
            decimals=max(1, metric.decimals),
        )
    unit = metric.unit.strip() or "units"
    countable = unit.lower() not in {"eur", "usd", "gbp", "hours", "minutes", "days", "points"}
    return MetricWording(
        verb="had",
        unit=f"{unit} per month",
        less_word="fewer" if countable else "less",
        higher_is_better=higher,
        decimals=max(1, metric.decimals),
    )


def _phrases(comparison: Comparison) -> tuple[str, str]:
    subject = "People who took the program"
    if comparison == "not_yet":
        return subject, "colleagues who had not started it yet"
    return subject, "comparable colleagues who did not take it"


def _trends(panel: PanelMatrix, minimum: int) -> tuple[TrendLine, ...]:
    """Mean per month of each wave (by cohort start month) and of the comparison group."""
    groups: list[dt.date | None] = [
        ordinal_month(int(g)) for g in np.unique(panel.first_treated[np.isfinite(panel.first_treated)])
    ]
    if np.isnan(panel.first_treated).any():
        groups.append(None)
    lines = []
    for number, group in enumerate(groups, start=1):
        rows = (
            np.isnan(panel.first_treated)
            if group is None
            else panel.first_treated == float(month_ordinal(group))
        )
        people = int(rows.sum())
        if people < minimum:
            continue  # a mean of a handful of people is nearly an individual value
        label = f"Wave {number} (from {group:%b %Y})" if group is not None else "Comparison group"
        means = panel.values[rows].mean(axis=0)
        points = tuple((month, float(mean)) for month, mean in zip(panel.months, means, strict=True))
        lines.append(TrendLine(label=label, start=group, people=people, points=points))
    return tuple(lines)


def _roi(
    *, detail: ProgramDetail, metric_code: str, effect: Estimate, higher_is_better: bool
) -> tuple[RoiView | None, list[EstimateWarning]]:
    link = next((m for m in detail.metrics if m.metric_code == metric_code), None)
    if link is None or link.value_per_unit is None:
        return None, [
            EstimateWarning("no_value", "No money value per unit is set for this metric, so no ROI.")
        ]
    costs = [CostItem(name=c.description or c.kind_label, amount=float(c.total)) for c in detail.costs]
    total = float(detail.total_cost)
    if total <= 0:
        return None, [EstimateWarning("no_costs", "No costs are recorded for this program, so no ROI.")]
    value = float(link.value_per_unit)
    people = detail.summary.participants
    benefit = monetise(
        effect=effect,
        value_per_unit=value,
        units=people,
        periods_per_year=PERIODS_PER_YEAR,
        higher_is_better=higher_is_better,
    )
    result = roi(benefits=benefit.amount, costs=costs)
    better = effect.estimate if higher_is_better else -effect.estimate
    low, high = sorted(b if higher_is_better else -b for b in (effect.ci_low, effect.ci_high))
    effects = sorted({round(x, 6) for x in (0.0, benefit.effect_used, low, better, high)})
    values = sorted({value * 0.5, value, value * 1.5})
    grid = sensitivity_table(
        effects=effects, values_per_unit=values, units=people, periods_per_year=PERIODS_PER_YEAR, costs=costs
    )
    per_effect_unit = value * people * PERIODS_PER_YEAR
    return (
        RoiView(
            costs=result.costs,
            benefits=result.benefits,
            net_benefits=result.net_benefits,
            roi_percent=result.roi_percent,
            benefit_cost_ratio=result.benefit_cost_ratio,
            payback_months=result.payback_months,
            effect_used=benefit.effect_used,
            value_per_unit=value,
            people=people,
            periods_per_year=PERIODS_PER_YEAR,
            break_even_effect=total / per_effect_unit if per_effect_unit > 0 else None,
            sensitivity=tuple(
                SensitivityCell(effect=r.effect, value_per_unit=r.value_per_unit, roi_percent=r.roi_percent)
                for r in grid
            ),
        ),
        [],
    )


def program_impact_estimate(
    *,
    program_id: int,
    metric_code: str,
    method: Method = "staggered",
    comparison: Comparison = "never",
    detail: ProgramDetail | None = None,
) -> ImpactEstimate:
    """Estimate the program's effect on a person-grain metric (Callaway–Sant'Anna or a 2x2 DiD).

    The event study and the pre-trend test always come from Callaway–Sant'Anna with the chosen comparison;
    with method="did" the headline figure is the 2x2 DiD of participants against the comparison group.
    Groups smaller than settings.TANDEM_MIN_GROUP_SIZE get no figure. Pass `detail` (program_get) to save
    its queries when the caller has it already.
    """
    if method not in METHODS or comparison not in COMPARISONS:
        raise ValueError(f"Unknown method {method!r} or comparison {comparison!r}")
    if not metric_code:
        return _without_metric(program_id=program_id, method=method, comparison=comparison)
    metric = MetricDefinition.objects.filter(code=metric_code).first()
    if metric is None:
        raise AccessDenied(f"No metric {metric_code}")
    minimum = int(settings.TANDEM_MIN_GROUP_SIZE)
    wording = _wording(metric)
    subject, compared = _phrases(comparison)
    higher = wording.higher_is_better
    warnings: list[EstimateWarning] = []

    def result(**values: object) -> ImpactEstimate:
        base: dict[str, object] = {
            "program_id": program_id,
            "metric_code": metric.code,
            "metric_name": metric.name,
            "unit": metric.unit,
            "decimals": wording.decimals,
            "higher_is_better": higher,
            "method": method,
            "comparison": comparison,
            "favourable": None,
            "overall": None,
            "event_study": (),
            "pretrend_p_value": None,
            "trends": (),
            "cohorts": (),
            "n_treated": 0,
            "n_comparison": 0,
            "n_dropped": 0,
            "months": (),
            "warnings": tuple(warnings),
            "roi": None,
        }
        base.update(values)
        return ImpactEstimate(**base)  # type: ignore[arg-type]

    def not_measurable(reason: NotMeasurableReason, why: str, **values: object) -> ImpactEstimate:
        sentence = f"{NOT_MEASURABLE}: {why}"
        warnings.append(EstimateWarning(reason, sentence))
        return result(
            status="not_measurable",
            sentence=sentence,
            not_measurable_reason=reason,
            warnings=tuple(warnings),
            **values,
        )

    if metric.grain != MetricDefinition.Grain.PERSON:
        return not_measurable(
            "not_per_person",
            f"{metric.name} is measured for {GRAIN_WORDS.get(metric.grain, 'a group')} as a whole, not per "
            "person, so participants cannot be compared with colleagues who did not take part.",
        )
    panel = program_panel_matrix(program_id=program_id, metric_code=metric.code)
    if not panel.starts:
        if not Participant.objects.filter(program_id=program_id).exists():
            return not_measurable("no_participants", "nobody has been added to the program yet.")
        return not_measurable(
            "no_data", f"there are no {metric.name} values for the program's participants yet."
        )
    first_start = min(panel.starts)
    before = sum(1 for m in panel.months if m < first_start)
    after = sum(1 for m in panel.months if m >= first_start)
    if after == 0:
        return not_measurable(
            "no_post_data",
            f"the program started in {first_start:%B %Y} and the latest {metric.name} values are for "
            f"{panel.months[-1]:%B %Y}. A figure needs values from after the start (at least "
            f"{MIN_MONTHS_AFTER} months).",
            months=panel.months,
        )
    if after < MIN_MONTHS_AFTER or before < MIN_MONTHS_BEFORE:
        return not_measurable(
            "too_few_months",
            f"there {'is' if after == 1 else 'are'} {after} month{'s' if after != 1 else ''} of {metric.name} "
            f"values since the start and {before} before it; an estimate needs at least {MIN_MONTHS_AFTER} "
            f"after and {MIN_MONTHS_BEFORE} before, so that a single unusual month cannot pass for an effect.",
            months=panel.months,
        )
    dropped = panel.n_dropped
    sides = {
        "n_dropped_participants": panel.observed_treated - panel.treated_people,
        "n_dropped_comparison": panel.observed_comparison - panel.comparison_people,
        "n_participants_observed": panel.observed_treated,
    }
    if dropped:
        warnings.append(EstimateWarning("dropped", dropped_message(**sides)))
    trends = _trends(panel, minimum)
    try:
        data = panel.staggered_data()
        staggered = att_gt(
            data=data, control_group="never_treated" if comparison == "never" else "not_yet_treated"
        )
        post_cells = [c for c in staggered.cells if c.event_time >= 0]
        n_treated = panel.treated_people
        n_control = (
            panel.comparison_people if method == "did" else min((c.n_control for c in post_cells), default=0)
        )
        too_small = min(n_treated, n_control) < minimum
        if too_small:
            summary = describe_effect(
                effect=Estimate(0.0, 0.0, 0.0, 0.0, 1.0),
                wording=wording,
                subject=subject,
                comparison=compared,
                n_treated=n_treated,
                n_control=n_control,
                min_group_size=minimum,
            )
            warnings.append(EstimateWarning("too_small", summary.sentence))
            return result(
                status="too_small",
                sentence=summary.sentence,
                n_treated=n_treated,
                n_comparison=n_control,
                n_dropped=dropped,
                **sides,
                months=panel.months,
                trends=trends,
                warnings=tuple(warnings),
            )
        dynamic = aggregate(result=staggered, kind="dynamic")
        by_group = aggregate(result=staggered, kind="group")
        test = pretrend_test(result=staggered)
        if method == "did":
            overall = did_2x2(data=panel.did_data()).effect
        else:
            overall = aggregate(result=staggered, kind="simple").overall
    except StatsError as error:
        message = MESSAGES.get(error.code, error.message)
        warnings.append(EstimateWarning(error.code, message))
        return result(
            status="error",
            sentence=f"No estimate yet: {message}",
            n_treated=panel.treated_people,
            n_comparison=panel.comparison_people,
            n_dropped=dropped,
            **sides,
            months=panel.months,
            trends=trends,
            warnings=tuple(warnings),
            error=message,
        )
    for code in staggered.warnings:
        if code != "skipped_empty_cell":
            warnings.append(EstimateWarning(code, MESSAGES[code]))
    pretrend_p = test.p_value if test is not None else None
    summary = describe_effect(
        effect=overall,
        wording=wording,
        subject=subject,
        comparison=compared,
        n_treated=n_treated,
        n_control=n_control,
        pretrend_p_value=pretrend_p,
        min_group_size=minimum,
    )
    if pretrend_p is not None and pretrend_p < 0.05:
        warnings.append(
            EstimateWarning(
                "pretrend",
                f"Before the program the groups were already drifting apart (pre-trend test p = {pretrend_p:.3f}), "
                "so the comparison group may not show what would have happened without the program.",
            )
        )
    if overall.ci_includes_zero:
        warnings.append(
            EstimateWarning(
                "ci_includes_zero",
                "The 95% confidence interval includes zero: the data are consistent with no effect.",
            )
        )
    index = {month: i for i, month in enumerate(panel.months)}
    cohort_people: dict[dt.date, int] = {
        ordinal_month(int(g)): int(n)
        for g, n in zip(
            *np.unique(panel.first_treated[np.isfinite(panel.first_treated)], return_counts=True), strict=True
        )
    }
    by_start = {panel.months[int(label)]: est for label, est in by_group.by}
    cohorts = tuple(
        CohortEffect(
            start=start,
            people=n,
            effect=by_start.get(start) if n >= minimum else None,
        )
        for start, n in sorted(cohort_people.items())
        if start in index
    )
    detail = detail or program_get(scope=PersonScope.all(), program_id=program_id)
    roi_view, roi_warnings = _roi(
        detail=detail, metric_code=metric.code, effect=overall, higher_is_better=higher
    )
    warnings.extend(roi_warnings)
    return result(
        status=summary.status,
        sentence=summary.sentence,
        favourable=summary.favourable,
        overall=overall,
        event_study=tuple(
            EventPoint(relative_month=int(e), estimate=est.estimate, ci_low=est.ci_low, ci_high=est.ci_high)
            for e, est in dynamic.by
            if math.isfinite(est.se)
        ),
        pretrend_p_value=pretrend_p,
        trends=trends,
        cohorts=cohorts,
        n_treated=n_treated,
        n_comparison=n_control,
        n_dropped=dropped,
        **sides,
        months=panel.months,
        warnings=tuple(warnings),
        roi=roi_view,
    )


def dropped_message(
    *, n_dropped_participants: int, n_dropped_comparison: int, n_participants_observed: int
) -> str:
    """Who was left out of the estimate for a missing month, participants and comparison people apart."""
    parts = []
    if n_dropped_participants:
        parts.append(f"{n_dropped_participants} of the {n_participants_observed} participants with values")
    if n_dropped_comparison:
        parts.append(
            f"{n_dropped_comparison} comparison {'person' if n_dropped_comparison == 1 else 'people'}"
        )
    return (
        f"Left out of the estimate: {' and '.join(parts)}, because they have no value for some month "
        "(joined, left or were away during the period)."
    )


def _without_metric(*, program_id: int, method: Method, comparison: Comparison) -> ImpactEstimate:
    sentence = (
        f"{NOT_MEASURABLE}: no business metric (KPI) is linked to this program. Link the metric it should "
        "move, measured per person, to compare participants with colleagues who did not take part."
    )
    return ImpactEstimate(
        program_id=program_id,
        metric_code="",
        metric_name="",
        unit="",
        decimals=1,
        higher_is_better=True,
        method=method,
        comparison=comparison,
        status="not_measurable",
        sentence=sentence,
        favourable=None,
        overall=None,
        event_study=(),
        pretrend_p_value=None,
        trends=(),
        cohorts=(),
        n_treated=0,
        n_comparison=0,
        n_dropped=0,
        months=(),
        warnings=(EstimateWarning("no_metric", sentence),),
        roi=None,
        not_measurable_reason="no_metric",
    )


def primary_metric_code(*, detail: ProgramDetail) -> str | None:
    metric = detail.primary_metric
    return metric.metric_code if metric is not None else None
