"""Three tiers of program figures (operational, learner goal, business) for the impact page and exports.

Inputs come from other apps' selectors: participants and costs (impact), learning records on the program's
xAPI activities (LRS), survey answers and invitations (surveys), the difference-in-differences estimate
(impact.estimates). The formulas are pure functions over plain rows below, so they are tested on their own;
every key and its formula is written up in docs/impact-metrics.md.

Privacy: only people in the viewer's scope are counted (a department head sees their department), no figure
is given for fewer than min_group_size() people, and in a drill-down a group's figure is also held back when
it would let a smaller group's hidden figure be worked out by subtracting from the total.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from django.db.models import BooleanField, Case, OuterRef, Q, Subquery, Value, When

from tandem.core.dates import today
from tandem.core.scope import DomainError, PersonScope
from tandem.impact.estimates import ImpactEstimate, primary_metric_code, program_impact_estimate
from tandem.impact.models import ComparisonMember, Participant
from tandem.impact.records import ProgramDetail
from tandem.impact.selectors import program_get
from tandem.lrs.learning import LearningRecordRow, learning_records_for
from tandem.metrics.selectors import min_group_size
from tandem.org.models import Assignment, OrgUnit
from tandem.org.selectors import person_scope_filter
from tandem.reports.records import (
    TIER_BUSINESS,
    TIER_LEARNER,
    TIER_OPERATIONAL,
    ProgramTiers,
    TierFigure,
    TierGroup,
)
from tandem.surveys.records import (
    KIND_BEHAVIOUR_LEARNER,
    KIND_BEHAVIOUR_MANAGER,
    KIND_KNOWLEDGE_POST,
    KIND_KNOWLEDGE_PRE,
    KIND_REACTION,
    SurveyAnswerRow,
    SurveyRateRow,
)
from tandem.surveys.selectors import survey_answers_for_program, survey_response_rates

GROUP_BYS: tuple[str, ...] = ("", "org_unit", "cohort")
APPLIED_THRESHOLD = 50.0  # "applies at least half of what they learned" counts as applying it
PROMOTER_MIN, DETRACTOR_MAX = 9.0, 6.0  # NPS bands on the 0-10 scale
UNKNOWN_GROUP = "none"
SKILLS_LATER = "Skills arrive in a later release."


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
        "Retention difference",
        TIER_BUSINESS,
        "percentage points",
        "% of participants still employed − % of the comparison group still employed, since their start",
    ),
    "productivity": FigureSpec(
        "Productivity value",
        TIER_BUSINESS,
        "per person and month",
        "KPI change per person and month × money value of one unit of the KPI",
    ),
}
ORDER: tuple[str, ...] = tuple(SPECS)


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


# --- formulas (pure) ----------------------------------------------------------------------------------


def rate(part: float, whole: float) -> float | None:
    """part ÷ whole × 100, None for an empty whole."""
    return 100.0 * part / whole if whole else None


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def net_promoter_score(scores: Sequence[float]) -> float | None:
    """% promoters (9-10) − % detractors (0-6)."""
    if not scores:
        return None
    promoters = sum(1 for s in scores if s >= PROMOTER_MIN)
    detractors = sum(1 for s in scores if s <= DETRACTOR_MAX)
    return 100.0 * (promoters - detractors) / len(scores)


def applied_rate(applied_pcts: Sequence[float]) -> float | None:
    return rate(sum(1 for p in applied_pcts if p >= APPLIED_THRESHOLD), len(applied_pcts))


def scrap_learning(applied_pcts: Sequence[float]) -> float | None:
    average = mean(applied_pcts)
    return None if average is None else 100.0 - average


def learning_facts(
    *, records: Iterable[LearningRecordRow], activity_ids: Collection[str]
) -> dict[int, LearningFacts]:
    """Per person, what they did on the program's activities (records of other activities are ignored)."""
    wanted = set(activity_ids)
    by_person: dict[int, list[LearningRecordRow]] = defaultdict(list)
    for record in records:
        if record.person_id is not None and record.activity_id in wanted:
            by_person[record.person_id].append(record)
    facts = {}
    for person_id, rows in by_person.items():
        done = [r for r in rows if r.completed]
        verdicts = [r.passed for r in rows if r.passed is not None]
        finished = [r.completed_at for r in done if r.completed_at is not None]
        facts[person_id] = LearningFacts(
            activities_taken=len({r.activity_id for r in rows}),
            activities_completed=len({r.activity_id for r in done}),
            passed=all(verdicts) if verdicts else None,
            first_attempt=min(r.first_attempt for r in rows),
            last_completed_at=max(finished) if finished else None,
            seconds=sum(r.total_seconds for r in rows),
        )
    return facts


@dataclass(frozen=True)
class Funnel:
    enrolled: int
    started: int
    completed: int
    passed: int
    any_verdict: bool  # some completer has a pass/fail verdict (otherwise "passed" is not measurable)
    days_to_complete: tuple[float, ...]
    attendance: float | None


def funnel(*, person_ids: Sequence[int], facts: Mapping[int, LearningFacts], activities: int) -> Funnel:
    """Enrolled → started → completed → passed, time to complete and attendance for a set of people."""
    rows = [facts.get(p) for p in person_ids]
    taken = [f for f in rows if f is not None and f.activities_taken > 0]
    completed = [f for f in taken if activities and f.activities_completed >= activities]
    days = tuple(
        max(0.0, (f.last_completed_at - f.first_attempt).total_seconds() / 86400)
        for f in completed
        if f.last_completed_at is not None and f.first_attempt is not None
    )
    shares = (
        [min(f.activities_taken, activities) / activities if f else 0.0 for f in rows] if activities else []
    )
    attendance = mean(shares)
    return Funnel(
        enrolled=len(person_ids),
        started=len(taken),
        completed=len(completed),
        passed=sum(1 for f in completed if f.passed is True),
        any_verdict=any(f.passed is not None for f in completed),
        days_to_complete=days,
        attendance=100.0 * attendance if attendance is not None else None,
    )


def knowledge_gain(
    *, pre: Sequence[SurveyAnswerRow], post: Sequence[SurveyAnswerRow], minimum: int
) -> tuple[float | None, int, str]:
    """(gain, n, note). Paired per person (latest score of each) when at least `minimum` people took both
    tests under their name; otherwise mean post − mean pre over all answers (anonymous tests)."""
    if not pre:
        return None, 0, "No pre-test answers yet."
    if not post:
        return None, 0, "No post-test answers yet."

    def latest(rows: Sequence[SurveyAnswerRow]) -> dict[int, float]:
        found: dict[int, tuple[dt.datetime, float]] = {}
        for row in rows:
            if row.person_id is None or row.value is None:
                continue
            if row.person_id not in found or row.responded_at >= found[row.person_id][0]:
                found[row.person_id] = (row.responded_at, row.value)
        return {person: value for person, (_, value) in found.items()}

    before, after = latest(pre), latest(post)
    paired = sorted(before.keys() & after.keys())
    if len(paired) >= minimum:
        return sum(after[p] - before[p] for p in paired) / len(paired), len(paired), ""
    pre_mean = mean([r.value for r in pre if r.value is not None])
    post_mean = mean([r.value for r in post if r.value is not None])
    if pre_mean is None or post_mean is None:
        return None, 0, "No test scores yet."
    n = min(sum(1 for r in pre if r.value is not None), sum(1 for r in post if r.value is not None))
    return post_mean - pre_mean, n, "Compares group averages (tests not paired by person)."


def retention_difference(
    *, participants: Sequence[ParticipantFacts], comparison: Sequence[ComparisonFacts], on: dt.date
) -> tuple[float | None, int, int]:
    """(difference in percentage points, participants, comparison people).

    Retention = share still employed on `on` of those employed on their start (participants: their wave's
    start; comparison people: the date their group was drawn for). Positive: participants stayed more.
    """

    def retained(people: Iterable[tuple[dt.date, dt.date | None]]) -> tuple[float | None, int]:
        counted = [(start, left) for start, left in people if left is None or left >= start]
        stayed = sum(1 for _, left in counted if left is None or left > on)
        return rate(stayed, len(counted)), len(counted)

    treated, n_treated = retained((p.cohort_start, p.left_on) for p in participants)
    control, n_control = retained((c.as_of, c.left_on) for c in comparison)
    if treated is None or control is None:
        return None, n_treated, n_control
    return treated - control, n_treated, n_control


def protect_groups(
    *, overall: Sequence[TierFigure], groups: Sequence[TierGroup], minimum: int
) -> tuple[TierGroup, ...]:
    """Complementary suppression: where a group's figure is hidden, hide the next smallest groups' too until
    the hidden ones cover at least `minimum` people, so that no hidden figure follows from the total."""
    shown_overall = {f.key for f in overall if f.value is not None}
    hide: set[tuple[int, str]] = set()
    for key in shown_overall:
        cells = [(i, next((f for f in g.figures if f.key == key), None)) for i, g in enumerate(groups)]
        hidden = [f.n for _, f in cells if f is not None and f.suppressed and f.n > 0]
        if not hidden:
            continue
        total = sum(hidden)
        candidates = sorted(
            ((f.n, i) for i, f in cells if f is not None and not f.suppressed and f.value is not None),
        )
        while total < minimum and candidates:
            n, index = candidates.pop(0)
            hide.add((index, key))
            total += n
    if not hide:
        return tuple(groups)
    return tuple(
        replace(
            group,
            figures=tuple(
                replace(
                    f,
                    value=None,
                    suppressed=True,
                    note="Hidden so that a smaller group's figure cannot be worked out from the total.",
                )
                if (i, f.key) in hide
                else f
                for f in group.figures
            ),
        )
        for i, group in enumerate(groups)
    )


def figure_make(
    *, key: str, value: float | None, n: int, minimum: int, note: str = "", label: str = "", unit: str = ""
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
    )


def figure_display(figure: TierFigure) -> str:
    """The value as a person reads it ("62%", "4.1", "1,250.00"); "—" without a value."""
    value = figure.value
    if value is None:
        return "—"
    if figure.unit == "people":
        return f"{value:,.0f}"
    if figure.unit == "%":
        return f"{value:.0f}%"
    if figure.unit == "percentage points":
        return f"{value:+.1f} pp"
    if figure.unit == "days":
        return f"{value:.1f} days"
    if figure.unit.startswith("points (−100"):
        return f"{value:+.0f}"
    if figure.unit == "money":  # in the currency the cost lines are kept in
        return f"{value:,.2f}"
    if figure.key == "productivity":
        return f"{value:+,.2f}"
    if figure.key == "kpi_effect":
        return f"{value:+.1f}"
    return f"{value:.1f}"


# --- reading the inputs -------------------------------------------------------------------------------


def _participants(*, program_id: int, scope: PersonScope) -> list[ParticipantFacts]:
    """Every participant, with their unit on their wave's start and whether the viewer may count them."""
    unit_at_start = (
        Assignment.objects.filter(
            person_id=OuterRef("person_id"), valid_from__lte=OuterRef("cohort__start_date")
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=OuterRef("cohort__start_date")))
        .order_by("-valid_from")
        .values("org_unit_id")[:1]
    )
    visible = (
        Value(True)
        if scope.everyone
        else Case(
            When(person_scope_filter(scope, prefix="person__"), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )
    rows = (
        Participant.objects.filter(program_id=program_id)
        .annotate(unit=Subquery(unit_at_start), visible=visible)
        .order_by("person_id")
        .values_list(
            "person_id", "cohort_id", "cohort__start_date", "unit", "visible", "person__termination_date"
        )
    )
    return [
        ParticipantFacts(
            person_id=person_id,
            cohort_id=cohort_id,
            cohort_start=start,
            org_unit_id=unit,
            visible=bool(is_visible),
            left_on=left_on,
        )
        for person_id, cohort_id, start, unit, is_visible, left_on in rows
    ]


def _comparison(*, program_id: int, participant_ids: Collection[int]) -> list[ComparisonFacts]:
    """The program's comparison people (once each, from their earliest group), never participants."""
    found: dict[int, ComparisonFacts] = {}
    for person_id, as_of, left_on in (
        ComparisonMember.objects.filter(group__program_id=program_id)
        .order_by("group__as_of", "person_id")
        .values_list("person_id", "group__as_of", "person__termination_date")
    ):
        if person_id not in participant_ids and person_id not in found:
            found[person_id] = ComparisonFacts(person_id=person_id, as_of=as_of, left_on=left_on)
    return list(found.values())


def _estimate(detail: ProgramDetail) -> ImpactEstimate | str:
    code = primary_metric_code(detail=detail)
    if code is None:
        return "No primary metric is set for this program yet."
    try:
        return program_impact_estimate(program_id=detail.summary.id, metric_code=code, detail=detail)
    except DomainError as error:
        return str(error)


# --- putting it together ------------------------------------------------------------------------------


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


@dataclass
class _Group:
    key: str
    label: str
    people: list[ParticipantFacts] = field(default_factory=list)
    answers: list[SurveyAnswerRow] = field(default_factory=list)
    rates: list[SurveyRateRow] = field(default_factory=list)


def _values(answers: Iterable[SurveyAnswerRow], kind: str, key: str) -> list[float]:
    return [a.value for a in answers if a.kind == kind and a.question_key == key and a.value is not None]


def _held_back(key: str, *, n: int, minimum: int, note: str, label: str = "", unit: str = "") -> TierFigure:
    """A figure the estimator withheld for too few people (on either side of the comparison)."""
    return replace(
        figure_make(key=key, value=None, n=n, minimum=minimum, label=label, unit=unit),
        suppressed=True,
        note=note,
    )


def _kpi_figures(
    inputs: TierInputs, *, group_by: str, group: _Group | None, scoped: bool
) -> tuple[TierFigure, TierFigure]:
    """kpi_effect and productivity: the whole program's estimate, or a wave's own when grouped by wave."""
    minimum, kpi = inputs.minimum, inputs.kpi
    if isinstance(kpi, str):
        return (
            figure_make(key="kpi_effect", value=None, n=0, minimum=minimum, note=kpi),
            figure_make(key="productivity", value=None, n=0, minimum=minimum, note=kpi),
        )
    label = f"Change in {kpi.metric_name.lower()}"
    unit = f"{kpi.unit} per person and month"
    if group is not None and group_by != "cohort":
        note = "Estimated for the whole program and per wave, not per org unit."
        return (
            figure_make(
                key="kpi_effect", value=None, n=0, minimum=minimum, note=note, label=label, unit=unit
            ),
            figure_make(key="productivity", value=None, n=0, minimum=minimum, note=note),
        )
    effect: float | None
    if group is None:
        n, effect = kpi.n_treated, (kpi.overall.estimate if kpi.overall is not None else None)
        withheld = kpi.status == "too_small"
        reason = kpi.error or kpi.sentence
    else:
        start = next((c.start_date for c in inputs.cohorts if str(c.id) == group.key), None)
        wave = next((c for c in kpi.cohorts if start is not None and c.start == start.replace(day=1)), None)
        n = wave.people if wave is not None else 0
        effect = wave.effect.estimate if wave is not None and wave.effect is not None else None
        withheld = wave is not None and wave.effect is None and wave.people < minimum
        reason = f"Not shown: fewer than {minimum} people." if withheld else "No estimate for this wave."
    if withheld:
        return (
            _held_back("kpi_effect", n=n, minimum=minimum, note=reason, label=label, unit=unit),
            _held_back("productivity", n=n, minimum=minimum, note=reason),
        )
    if effect is None:
        return (
            figure_make(
                key="kpi_effect", value=None, n=n, minimum=minimum, note=reason, label=label, unit=unit
            ),
            figure_make(key="productivity", value=None, n=n, minimum=minimum, note=reason),
        )
    note = "Estimated over the whole program, not only the people you see." if scoped else ""
    better = effect if kpi.higher_is_better else -effect
    value = inputs.value_per_unit
    return (
        figure_make(key="kpi_effect", value=effect, n=n, minimum=minimum, note=note, label=label, unit=unit),
        figure_make(
            key="productivity",
            value=better * value if value is not None else None,
            n=n,
            minimum=minimum,
            note=note if value is not None else "No money value per unit is set for this KPI.",
        ),
    )


def _program_wide(inputs: TierInputs) -> tuple[TierFigure, TierFigure]:
    """Cost per learner and per learning hour: costs are not split by group, so every group shows these."""
    minimum, cost, enrolled = inputs.minimum, inputs.total_cost, len(inputs.participants)
    hours = sum(f.seconds for f in inputs.learning.values()) / 3600
    no_costs = "No costs recorded yet."
    return (
        figure_make(
            key="cost_per_learner",
            value=cost / enrolled if cost > 0 and enrolled else None,
            n=enrolled,
            minimum=minimum,
            note=no_costs if cost <= 0 else "" if enrolled else "Nobody enrolled yet.",
        ),
        figure_make(
            key="cost_per_learning_hour",
            value=cost / hours if cost > 0 and hours > 0 else None,
            n=enrolled,
            minimum=minimum,
            note=no_costs if cost <= 0 else "" if hours > 0 else "No learning time recorded yet.",
        ),
    )


def _figures(
    inputs: TierInputs, group: _Group, *, group_by: str, whole: bool, scoped: bool
) -> tuple[TierFigure, ...]:
    minimum = inputs.minimum
    people = [p.person_id for p in group.people]
    enrolled = len(people)
    figures = [figure_make(key="enrolled", value=float(enrolled), n=enrolled, minimum=minimum)]
    if inputs.activities:
        f = funnel(person_ids=people, facts=inputs.learning, activities=inputs.activities)
        figures += [
            figure_make(key="started", value=float(f.started), n=enrolled, minimum=minimum),
            figure_make(key="completed", value=float(f.completed), n=enrolled, minimum=minimum),
            figure_make(
                key="passed",
                value=float(f.passed) if f.any_verdict else None,
                n=enrolled,
                minimum=minimum,
                note="" if f.any_verdict else "No pass/fail results recorded on the program's activities.",
            ),
            figure_make(
                key="completion_rate", value=rate(f.completed, enrolled), n=enrolled, minimum=minimum
            ),
            figure_make(
                key="time_to_complete",
                value=median(f.days_to_complete),
                n=len(f.days_to_complete),
                minimum=minimum,
                note="" if f.days_to_complete else "Nobody has completed yet.",
            ),
            figure_make(key="attendance", value=f.attendance, n=enrolled, minimum=minimum),
        ]
    else:
        note = "No xAPI activity is linked to this program, so nothing shows who started or finished."
        figures += [
            figure_make(key=key, value=None, n=0, minimum=minimum, note=note)
            for key in ("started", "completed", "passed", "completion_rate", "time_to_complete", "attendance")
        ]

    def answered(
        key: str,
        kind: str,
        question: str,
        missing: str,
        compute: Callable[[Sequence[float]], float | None] = mean,
    ) -> TierFigure:
        values = _values(group.answers, kind, question)
        return figure_make(
            key=key, value=compute(values), n=len(values), minimum=minimum, note="" if values else missing
        )

    no_reaction = "No reaction survey answers yet."
    figures += [
        answered("satisfaction", KIND_REACTION, "satisfaction", no_reaction),
        answered("relevance", KIND_REACTION, "relevance", no_reaction),
        answered("engagement", KIND_REACTION, "engagement", no_reaction),
        answered("nps", KIND_REACTION, "nps", no_reaction, net_promoter_score),
    ]
    invited = sum(r.invited for r in group.rates)
    figures.append(
        figure_make(
            key="response_rate",
            value=rate(sum(r.responded for r in group.rates), invited),
            n=invited,
            minimum=minimum,
            note="" if invited else "No survey invitations sent yet.",
        )
    )
    figures += _program_wide(inputs)
    pre = [a for a in group.answers if a.kind == KIND_KNOWLEDGE_PRE and a.question_key == "score"]
    post = [a for a in group.answers if a.kind == KIND_KNOWLEDGE_POST and a.question_key == "score"]
    gain, n_gain, gain_note = knowledge_gain(pre=pre, post=post, minimum=minimum)
    no_follow_up = "No learner follow-up answers yet."
    figures += [
        figure_make(
            key="knowledge_gain",
            value=gain,
            n=n_gain,
            minimum=minimum,
            note=gain_note,
        ),
        answered("confidence", KIND_REACTION, "confidence", no_reaction),
        answered("commitment", KIND_REACTION, "commitment", no_reaction),
        answered("applied_rate", KIND_BEHAVIOUR_LEARNER, "applied_pct", no_follow_up, applied_rate),
        answered("scrap_learning", KIND_BEHAVIOUR_LEARNER, "applied_pct", no_follow_up, scrap_learning),
        answered(
            "manager_observed_change",
            KIND_BEHAVIOUR_MANAGER,
            "observed_change",
            "No manager follow-up answers yet.",
        ),
        figure_make(key="skill_proficiency_change", value=None, n=0, minimum=minimum, note=SKILLS_LATER),
    ]
    kpi_effect, productivity = _kpi_figures(
        inputs, group_by=group_by, group=None if whole else group, scoped=scoped
    )
    if inputs.comparison:
        retention, n_treated, n_control = retention_difference(
            participants=group.people, comparison=inputs.comparison, on=inputs.on
        )
        retention_figure = figure_make(
            key="retention_difference", value=retention, n=min(n_treated, n_control), minimum=minimum
        )
    else:
        retention_figure = figure_make(
            key="retention_difference", value=None, n=0, minimum=minimum, note="No comparison group yet."
        )
    figures += [
        kpi_effect,
        figure_make(key="skill_gap_closure", value=None, n=0, minimum=minimum, note=SKILLS_LATER),
        retention_figure,
        productivity,
    ]
    return tuple(figures)


def _answer_visible(row: SurveyAnswerRow, *, scope: PersonScope, visible: Collection[int]) -> bool:
    """Answers about a known person count when that person is counted; anonymous ones by the learner's unit."""
    if scope.everyone:
        return True
    if row.person_id is not None:
        return row.person_id in visible
    return row.org_unit_id is not None and row.org_unit_id in scope.org_unit_ids


def _key(value: int | None) -> str:
    return UNKNOWN_GROUP if value is None else str(value)


def tiers_compute(*, inputs: TierInputs, scope: PersonScope, group_by: str = "") -> ProgramTiers:
    """The three tiers from plain inputs (no database): overall and, with group_by, per org unit or wave."""
    if group_by not in GROUP_BYS:
        raise DomainError(f"Figures can be grouped by org unit or cohort, not {group_by!r}.")
    shown = [p for p in inputs.participants if p.visible]
    visible = {p.person_id for p in shown}
    answers = [a for a in inputs.answers if _answer_visible(a, scope=scope, visible=visible)]
    rates = [r for r in inputs.rates if scope.everyone or r.org_unit_id in scope.org_unit_ids]
    scoped = not scope.everyone
    everything = _Group(key="", label="Whole program", people=shown, answers=answers, rates=rates)
    overall = _figures(inputs, everything, group_by=group_by, whole=True, scoped=scoped)
    minimum = inputs.minimum
    if not group_by:
        return ProgramTiers(
            program_id=inputs.program_id, group_by="", overall=overall, groups=(), minimum_group=minimum
        )
    by_cohort = group_by == "cohort"
    groups: dict[str, _Group] = {}

    def bucket(key: str) -> _Group:
        return groups.setdefault(key, _Group(key=key, label=""))

    person_group: dict[int, str] = {}
    for person in shown:
        key = _key(person.cohort_id if by_cohort else person.org_unit_id)
        person_group[person.person_id] = key
        bucket(key).people.append(person)
    for answer in answers:
        # An answer about a participant goes where that participant is counted.
        known = person_group.get(answer.person_id) if answer.person_id is not None else None
        bucket(known or _key(answer.cohort_id if by_cohort else answer.org_unit_id)).answers.append(answer)
    for row in rates:
        bucket(_key(row.cohort_id if by_cohort else row.org_unit_id)).rates.append(row)
    if by_cohort:
        names = {str(c.id): c.name for c in inputs.cohorts}
        order = {str(c.id): i for i, c in enumerate(inputs.cohorts)}
    else:
        names = {str(pk): name for pk, name in inputs.unit_names.items()}
        order = {key: i for i, key in enumerate(sorted(names, key=lambda key: names[key].lower()))}
    names[UNKNOWN_GROUP] = "Not known"
    built = [
        TierGroup(
            key=group.key,
            label=names.get(group.key, group.key),
            figures=_figures(inputs, group, group_by=group_by, whole=False, scoped=scoped),
        )
        for group in sorted(groups.values(), key=lambda g: (order.get(g.key, len(order)), g.key))
    ]
    return ProgramTiers(
        program_id=inputs.program_id,
        group_by=group_by,
        overall=overall,
        groups=protect_groups(overall=overall, groups=built, minimum=minimum),
        minimum_group=minimum,
    )


def program_tiers(
    *,
    program_id: int,
    scope: PersonScope,
    group_by: str = "",
    detail: ProgramDetail | None = None,
    estimate: ImpactEstimate | None = None,
) -> ProgramTiers:
    """The program's three tiers for the people the viewer may see, overall and by org unit or wave.

    Pass `detail` (program_get) and `estimate` (program_impact_estimate of the KPI shown) when the caller
    has them, to save their queries; without an estimate the primary metric's default one is used.
    Groups: org_unit = the unit each participant sat in on their wave's start; cohort = their wave.
    Queries: participants, comparison people, learning records, survey answers and rates, unit names.
    """
    if group_by not in GROUP_BYS:
        raise DomainError(f"Figures can be grouped by org unit or cohort, not {group_by!r}.")
    detail = detail or program_get(program_id=program_id)
    participants = _participants(program_id=program_id, scope=scope)
    person_ids = [p.person_id for p in participants]
    activity_ids = sorted({a.activity_iri for a in detail.activities if a.activity_iri})
    records = (
        learning_records_for(person_ids=person_ids, activity_ids=activity_ids)
        if activity_ids and person_ids
        else []
    )
    answers = survey_answers_for_program(program_id=program_id)
    rates = survey_response_rates(program_id=program_id)
    kpi: ImpactEstimate | str = estimate if estimate is not None else _estimate(detail)
    link = (
        next((m for m in detail.metrics if m.metric_code == kpi.metric_code), None)
        if isinstance(kpi, ImpactEstimate)
        else None
    )
    unit_ids = set()
    if group_by == "org_unit":
        unit_ids = {p.org_unit_id for p in participants if p.visible and p.org_unit_id is not None}
        unit_ids |= {a.org_unit_id for a in answers if a.org_unit_id is not None}
        unit_ids |= {r.org_unit_id for r in rates if r.org_unit_id is not None}
    inputs = TierInputs(
        program_id=program_id,
        participants=tuple(participants),
        activities=len(activity_ids),
        learning=learning_facts(records=records, activity_ids=activity_ids),
        answers=tuple(answers),
        rates=tuple(rates),
        comparison=tuple(_comparison(program_id=program_id, participant_ids=set(person_ids))),
        total_cost=float(detail.total_cost),
        kpi=kpi,
        value_per_unit=float(link.value_per_unit)
        if link is not None and link.value_per_unit is not None
        else None,
        cohorts=tuple(CohortInfo(id=c.id, name=c.name, start_date=c.start_date) for c in detail.cohorts),
        unit_names=dict(OrgUnit.objects.filter(pk__in=unit_ids).values_list("pk", "name"))
        if unit_ids
        else {},
        on=today(),
        minimum=min_group_size(),
    )
    return tiers_compute(inputs=inputs, scope=scope, group_by=group_by)
