"""A program's impact, assembled once for every place that shows it.

The program page, the HTML/PDF/XLSX/CSV exports, the case study, the three tiers and the home pages all
read `program_impact_get`: which metric, method and comparison, the estimate or the reason there is none,
the pilot verdict, and the caveats that belong next to the headline and the verdict (an imbalanced
comparison group, a pilot below its planned size, groups that were drifting apart before the start).
Before this existed the assembly was written four times and its messages drifted apart.

Formatting is not done here: tandem.reports.present turns these values into text for every renderer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tandem.core.scope import DomainError, PersonScope
from tandem.impact.estimates import (
    COMPARISONS,
    METHODS,
    Comparison,
    ImpactEstimate,
    Method,
    primary_metric_code,
    program_impact_estimate,
    program_require_visible,
)
from tandem.impact.records import (
    BalanceView,
    Decision,
    PilotPlanView,
    ProgramDetail,
    ProgramMetricView,
)
from tandem.impact.selectors import pilot_plan_get, program_balance, program_get
from tandem.impact.stats import DidDesign, MeansDesign, StatsError, power

SMD_LIMIT = 0.1  # above this a covariate counts as different (as on the balance table)
PRETREND_ALPHA = 0.05
CaveatCode = Literal["imbalanced", "pilot_below_plan", "pretrend"]


@dataclass(frozen=True)
class Caveat:
    code: CaveatCode
    title: str  # the badge: "Groups differ", "Pilot smaller than planned", "Pre-trend"
    message: str  # one sentence people read next to the headline or the verdict


@dataclass(frozen=True)
class ImbalancedCovariate:
    covariate: str
    smd: float


@dataclass(frozen=True)
class PilotCheck:
    """The pilot's planned size against what it has, and the power it actually reached."""

    planned: int  # participants the frozen plan asked for
    actual: int  # participants in the estimate (or enrolled in the first wave before there is one)
    planned_power: float
    power_reached: float | None  # None when it cannot be computed (fewer than 2 people)

    @property
    def below_plan(self) -> bool:
        return self.actual < self.planned


@dataclass(frozen=True)
class ProgramImpact:
    """Everything any page or export shows about a program's impact on one metric."""

    detail: ProgramDetail
    metric: ProgramMetricView | None  # the program's link to the metric shown (None: no metric)
    metric_code: str
    method: Method
    comparison: Comparison
    estimate: ImpactEstimate | None  # None only when the estimate could not be read (see problem)
    problem: str  # why there is no estimate at all; "" when there is one
    plan: PilotPlanView | None
    verdict: Decision | None  # the frozen decision rule applied to today's estimate
    pilot: PilotCheck | None
    balance: tuple[BalanceView, ...]
    imbalanced: tuple[ImbalancedCovariate, ...]
    caveats: tuple[Caveat, ...]  # shown next to the headline and next to the verdict

    @property
    def sentence(self) -> str:
        """The headline: the estimate's sentence, or why there is none."""
        return self.estimate.sentence if self.estimate is not None else self.problem

    @property
    def has_figure(self) -> bool:
        return self.estimate is not None and self.estimate.overall is not None

    @property
    def status(self) -> str:
        return self.estimate.status if self.estimate is not None else "error"

    @property
    def balance_tables(self) -> tuple[BalanceView, ...]:
        """Comparison groups with a balance table: only these may be called balanced."""
        return tuple(b for b in self.balance if b.rows)


def _choices(
    detail: ProgramDetail, metric_code: str, method: str, comparison: str
) -> tuple[str, Method, Comparison]:
    codes = [m.metric_code for m in detail.metrics]
    code = metric_code if metric_code in codes else (primary_metric_code(detail=detail) or "")
    chosen_method: Method = method if method in METHODS else "staggered"  # type: ignore[assignment]
    chosen_comparison: Comparison = comparison if comparison in COMPARISONS else "never"  # type: ignore[assignment]
    return code, chosen_method, chosen_comparison


def _imbalanced(balance: tuple[BalanceView, ...]) -> tuple[ImbalancedCovariate, ...]:
    """Covariates that differ by more than SMD_LIMIT in any comparison group (the largest SMD each)."""
    worst: dict[str, float] = {}
    for group in balance:
        for row in group.rows:
            smd = row.smd_after if row.mean_treated_after is not None else row.smd_before
            if smd is not None and abs(smd) > SMD_LIMIT and abs(smd) > abs(worst.get(row.covariate, 0.0)):
                worst[row.covariate] = smd
    return tuple(
        ImbalancedCovariate(covariate=name, smd=smd)
        for name, smd in sorted(worst.items(), key=lambda item: -abs(item[1]))
    )


def _pilot_check(plan: PilotPlanView, estimate: ImpactEstimate | None, detail: ProgramDetail) -> PilotCheck:
    if estimate is not None and estimate.metric_code == plan.metric_code and estimate.n_treated:
        actual = estimate.n_treated
    else:
        actual = detail.cohorts[0].participants if detail.cohorts else 0
    reached: float | None
    try:
        design: MeansDesign | DidDesign = (
            DidDesign(
                difference=plan.minimum_detectable_effect,
                sd=plan.outcome_sd,
                correlation=plan.correlation,
                ratio=plan.ratio,
                alpha=plan.alpha,
            )
            if plan.design == "did" and plan.correlation is not None
            else MeansDesign(
                difference=plan.minimum_detectable_effect,
                sd=plan.outcome_sd,
                ratio=plan.ratio,
                alpha=plan.alpha,
            )
        )
        reached = power(design=design, n_per_group=actual)
    except StatsError:
        reached = None
    return PilotCheck(
        planned=plan.required_per_group, actual=actual, planned_power=plan.power, power_reached=reached
    )


def _caveats(
    *, estimate: ImpactEstimate | None, imbalanced: tuple[ImbalancedCovariate, ...], pilot: PilotCheck | None
) -> tuple[Caveat, ...]:
    caveats = []
    if imbalanced:
        named = ", ".join(f"{c.covariate} (SMD {c.smd:+.2f})" for c in imbalanced)
        caveats.append(
            Caveat(
                "imbalanced",
                "Groups differ",
                f"The comparison group was not like the participants at the start: {named}; above "
                f"{SMD_LIMIT:g} counts as a real difference, so part of the gap may come from who took part.",
            )
        )
    if pilot is not None and pilot.below_plan:
        reached = (
            f"the chance of detecting the planned effect is {pilot.power_reached:.0%}, not {pilot.planned_power:.0%}"
            if pilot.power_reached is not None
            else "too few people to compute the chance of detecting the planned effect"
        )
        caveats.append(
            Caveat(
                "pilot_below_plan",
                "Pilot smaller than planned",
                f"The pilot has {pilot.actual} participants against the {pilot.planned} its plan asked for: "
                f"{reached}, so a missing effect is weak evidence that there is none.",
            )
        )
    p = estimate.pretrend_p_value if estimate is not None else None
    if p is not None and p < PRETREND_ALPHA:
        caveats.append(
            Caveat(
                "pretrend",
                "Pre-trend",
                f"Before the program the groups were already drifting apart (pre-trend test p = {p:.3f}): the "
                "comparison group may not show what would have happened without the program.",
            )
        )
    return tuple(caveats)


def program_impact_get(
    *,
    scope: PersonScope,
    program_id: int | None = None,
    code: str = "",
    detail: ProgramDetail | None = None,
    metric_code: str = "",
    method: str = "staggered",
    comparison: str = "never",
) -> ProgramImpact:
    """The program's impact on `metric_code` (default: its primary metric) as everyone shows it.

    Identify the program by `detail` (program_get, saves its queries), `program_id` or `code`. Raises
    AccessDenied when none of its participants is in the viewer's scope. Unknown metric, method or
    comparison fall back to the defaults. The estimate is computed (no cache): about a second on the demo.
    """
    if detail is None:
        detail = (
            program_get(scope=scope, program_id=program_id)
            if program_id is not None
            else program_get(scope=scope, code=code)
        )
    program_require_visible(scope=scope, program_id=detail.summary.id)
    chosen, chosen_method, chosen_comparison = _choices(detail, metric_code, method, comparison)
    estimate: ImpactEstimate | None = None
    problem = ""
    try:
        estimate = program_impact_estimate(
            program_id=detail.summary.id,
            metric_code=chosen,
            method=chosen_method,
            comparison=chosen_comparison,
            detail=detail,
        )
    except DomainError as error:
        problem = f"No estimate: {error}"
    plan = pilot_plan_get(program_id=detail.summary.id)
    verdict: Decision | None = None
    if (
        plan is not None
        and estimate is not None
        and estimate.overall is not None
        and plan.metric_code == chosen
    ):
        o = estimate.overall
        verdict = plan.decide(effect=o.estimate, ci_low=o.ci_low, ci_high=o.ci_high)
    pilot = _pilot_check(plan, estimate, detail) if plan is not None else None
    balance = tuple(program_balance(program_id=detail.summary.id))
    imbalanced = _imbalanced(balance)
    return ProgramImpact(
        detail=detail,
        metric=next((m for m in detail.metrics if m.metric_code == chosen), None),
        metric_code=chosen,
        method=chosen_method,
        comparison=chosen_comparison,
        estimate=estimate,
        problem=problem,
        plan=plan,
        verdict=verdict,
        pilot=pilot,
        balance=balance,
        imbalanced=imbalanced,
        caveats=_caveats(estimate=estimate, imbalanced=imbalanced, pilot=pilot),
    )
