"""The three tiers' figures: what each key means (label, tier, unit, formula) and the plain inputs they are
computed from. Every key and its formula is written up in docs/impact-metrics.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from tandem.impact.estimates import ImpactEstimate
from tandem.reports.records import TIER_BUSINESS, TIER_LEARNER, TIER_OPERATIONAL, TierFigure
from tandem.surveys.records import SurveyAnswerRow, SurveyRateRow

GROUP_BYS: tuple[str, ...] = ("", "org_unit", "cohort")
UNKNOWN_GROUP = "none"
SKILLS_LATER = "Skills arrive in a later release."
UNADJUSTED = (
    "Unadjusted: a raw difference between the two groups, not a difference-in-differences estimate; it says "
    "nothing about who would have stayed anyway."
)


@dataclass(frozen=True)
class FigureSpec:
    label: str
    tier: str
    unit: str
    formula: str


SPECS: dict[str, FigureSpec] = {
    # Operational
    "enrolled": FigureSpec(
        "Enrolled", TIER_OPERATIONAL, "people", "People placed in one of the program's waves"
    ),
    "started": FigureSpec(
        "Started",
        TIER_OPERATIONAL,
        "people",
        "Enrolled people with any xAPI statement on at least one program activity",
    ),
    "completed": FigureSpec(
        "Completed", TIER_OPERATIONAL, "people", "Enrolled people who completed every program activity"
    ),
    "passed": FigureSpec(
        "Passed",
        TIER_OPERATIONAL,
        "people",
        "Completed people whose latest verdict is 'passed' on every activity that has a verdict",
    ),
    "completion_rate": FigureSpec("Completion rate", TIER_OPERATIONAL, "%", "completed ÷ enrolled × 100"),
    "time_to_complete": FigureSpec(
        "Time to complete",
        TIER_OPERATIONAL,
        "days",
        "Median over completers of (last activity completed − first attempt on any activity), in days",
    ),
    "attendance": FigureSpec(
        "Attendance",
        TIER_OPERATIONAL,
        "%",
        "Mean over enrolled people of (program activities they took part in ÷ program activities) × 100",
    ),
    "satisfaction": FigureSpec(
        "Satisfaction", TIER_OPERATIONAL, "points (1–5)", "Mean 'satisfaction' answer of the reaction survey"
    ),
    "relevance": FigureSpec(
        "Relevance", TIER_OPERATIONAL, "points (1–5)", "Mean 'relevance' answer of the reaction survey"
    ),
    "engagement": FigureSpec(
        "Engagement", TIER_OPERATIONAL, "points (1–5)", "Mean 'engagement' answer of the reaction survey"
    ),
    "nps": FigureSpec(
        "Net Promoter Score",
        TIER_OPERATIONAL,
        "points (−100 to 100)",
        "% answering 9–10 − % answering 0–6 to 'would you recommend it?' (0–10)",
    ),
    "response_rate": FigureSpec(
        "Survey response rate", TIER_OPERATIONAL, "%", "survey responses ÷ survey invitations × 100"
    ),
    "cost_per_learner": FigureSpec(
        "Cost per learner",
        TIER_OPERATIONAL,
        "money",
        "Fully loaded program cost ÷ everyone enrolled in the program",
    ),
    "cost_per_learning_hour": FigureSpec(
        "Cost per learning hour",
        TIER_OPERATIONAL,
        "money",
        "Fully loaded program cost ÷ hours of learning recorded (xAPI durations) by everyone enrolled",
    ),
    # Learner goal
    "knowledge_gain": FigureSpec(
        "Knowledge gain",
        TIER_LEARNER,
        "points (0–100)",
        "Mean of (post-test − pre-test score) per person; mean post − mean pre when the tests are anonymous",
    ),
    "confidence": FigureSpec(
        "Confidence", TIER_LEARNER, "points (1–5)", "Mean 'confidence' answer of the reaction survey"
    ),
    "commitment": FigureSpec(
        "Commitment to apply", TIER_LEARNER, "points (1–5)", "Mean 'commitment' answer of the reaction survey"
    ),
    "applied_rate": FigureSpec(
        "Applied on the job",
        TIER_LEARNER,
        "%",
        "Share of learners' follow-up answers saying they apply at least 50% of what they learned",
    ),
    "scrap_learning": FigureSpec(
        "Scrap learning",
        TIER_LEARNER,
        "%",
        "100 − mean share of what was learned that learners say they apply (learner follow-up)",
    ),
    "manager_observed_change": FigureSpec(
        "Behaviour change seen by managers",
        TIER_LEARNER,
        "points (1–5)",
        "Mean 'observed change' answer of managers' follow-up on their reports",
    ),
    "skill_proficiency_change": FigureSpec(
        "Skill proficiency change",
        TIER_LEARNER,
        "levels",
        "Mean change in assessed proficiency on the program's skills",
    ),
    # Business
    "kpi_effect": FigureSpec(
        "Change in the program's KPI",
        TIER_BUSINESS,
        "per person and month",
        "Difference-in-differences estimate: participants' change minus the comparison group's change",
    ),
    "skill_gap_closure": FigureSpec(
        "Skill gap closure",
        TIER_BUSINESS,
        "%",
        "Share of the program's skill gaps (required − current level) closed since the start",
    ),
    "retention_difference": FigureSpec(
        "Retention difference (unadjusted)",
        TIER_BUSINESS,
        "percentage points",
        "% of participants still employed − % of the comparison group still employed, since their start; "
        "95% interval by Newcombe's method",
    ),
    "productivity": FigureSpec(
        "Productivity value",
        TIER_BUSINESS,
        "per person and month",
        "KPI change per person and month × money value of one unit of the KPI",
    ),
}
ORDER: tuple[str, ...] = tuple(SPECS)


def figure_make(
    *,
    key: str,
    value: float | None,
    n: int,
    minimum: int,
    note: str = "",
    label: str = "",
    unit: str = "",
    ci: tuple[float | None, float | None] = (None, None),
) -> TierFigure:
    """A figure from its spec: value None and suppressed when fewer than `minimum` people are behind it."""
    spec = SPECS[key]
    suppressed = value is not None and n < minimum
    return TierFigure(
        key=key,
        label=label or spec.label,
        tier=spec.tier,
        value=None if suppressed else value,
        unit=unit or spec.unit,
        n=n,
        suppressed=suppressed,
        formula=spec.formula,
        note=f"Not shown: fewer than {minimum} people." if suppressed else note,
        ci_low=None if suppressed or value is None else ci[0],
        ci_high=None if suppressed or value is None else ci[1],
    )


# --- plain inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParticipantFacts:
    person_id: int
    cohort_id: int
    cohort_start: dt.date
    org_unit_id: int | None  # where the person sat on their wave's start
    visible: bool  # in the viewer's scope
    left_on: dt.date | None  # termination date, if any


@dataclass(frozen=True)
class LearningFacts:
    """One person's learning on the program's activities."""

    activities_taken: int  # activities with any statement
    activities_completed: int
    passed: bool | None  # None: no activity has a pass/fail verdict; else every verdict is "passed"
    first_attempt: dt.datetime | None
    last_completed_at: dt.datetime | None
    seconds: float


@dataclass(frozen=True)
class ComparisonFacts:
    person_id: int
    as_of: dt.date  # the date the group was drawn for (the cohort start it stands in for)
    left_on: dt.date | None


@dataclass(frozen=True)
class CohortInfo:
    id: int
    name: str
    start_date: dt.date


@dataclass(frozen=True)
class TierInputs:
    """Everything the figures are computed from: read by program_tiers, or built by hand in tests."""

    program_id: int
    participants: tuple[ParticipantFacts, ...]  # everyone enrolled; `visible` marks whom the viewer may count
    activities: int  # the program's xAPI activities
    learning: Mapping[int, LearningFacts]
    answers: tuple[SurveyAnswerRow, ...]
    rates: tuple[SurveyRateRow, ...]
    comparison: tuple[ComparisonFacts, ...]
    total_cost: float
    kpi: ImpactEstimate | str  # the estimate of the KPI shown, or why there is none
    value_per_unit: float | None  # money value of one unit of that KPI
    cohorts: tuple[CohortInfo, ...]  # in display order
    unit_names: Mapping[int, str]
    on: dt.date
    minimum: int
