"""The three tiers' formulas: pure functions over the plain inputs of tandem.reports.tiers.specs (no database),
so each is tested on its own, and tiers_compute, which puts them together for the whole program and per group.

Privacy: only people in the viewer's scope are counted, no figure is given for fewer than the minimum group
size, and in a drill-down a group's figure is also held back when it would let a smaller group's hidden
figure be worked out by subtracting from the total.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from tandem.core.scope import DomainError, PersonScope
from tandem.lrs.learning import LearningRecordRow
from tandem.reports.records import ProgramTiers, TierFigure, TierGroup
from tandem.reports.tiers.specs import (
    GROUP_BYS,
    SKILLS_LATER,
    UNADJUSTED,
    UNKNOWN_GROUP,
    ComparisonFacts,
    LearningFacts,
    ParticipantFacts,
    TierInputs,
    figure_make,
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

APPLIED_THRESHOLD = 50.0  # "applies at least half of what they learned" counts as applying it
Z95 = 1.959963984540054
PROMOTER_MIN, DETRACTOR_MAX = 9.0, 6.0  # NPS bands on the 0-10 scale

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


@dataclass(frozen=True)
class Retention:
    """Participants' retention minus the comparison group's, unadjusted, with its own 95% interval."""

    difference: float | None  # percentage points; positive: participants stayed more
    ci_low: float | None
    ci_high: float | None
    n_treated: int
    n_control: int


def _retained(people: Iterable[tuple[dt.date, dt.date | None]], on: dt.date) -> tuple[int, int]:
    counted = [(start, left) for start, left in people if left is None or left >= start]
    return sum(1 for _, left in counted if left is None or left > on), len(counted)


def _wilson(stayed: int, n: int, z: float = Z95) -> tuple[float, float]:
    p = stayed / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def difference_interval(*, stayed_a: int, n_a: int, stayed_b: int, n_b: int) -> tuple[float, float]:
    """95% interval of p_a − p_b in percentage points (Newcombe's hybrid score method, 1998): unlike the
    Wald interval it stays inside ±100 and does not collapse to a point when everyone stayed."""
    p_a, p_b = stayed_a / n_a, stayed_b / n_b
    low_a, high_a = _wilson(stayed_a, n_a)
    low_b, high_b = _wilson(stayed_b, n_b)
    d = p_a - p_b
    low = d - math.sqrt((p_a - low_a) ** 2 + (high_b - p_b) ** 2)
    high = d + math.sqrt((high_a - p_a) ** 2 + (p_b - low_b) ** 2)
    return 100.0 * low, 100.0 * high


def retention_compare(
    *, participants: Sequence[ParticipantFacts], comparison: Sequence[ComparisonFacts], on: dt.date
) -> Retention:
    """Retention = share still employed on `on` of those employed on their start (participants: their wave's
    start; comparison people: the date their group was drawn for). A raw difference: nothing adjusts for
    who took part, so it is shown apart from the difference-in-differences estimate."""
    stayed_t, n_t = _retained(((p.cohort_start, p.left_on) for p in participants), on)
    stayed_c, n_c = _retained(((c.as_of, c.left_on) for c in comparison), on)
    if not n_t or not n_c:
        return Retention(None, None, None, n_t, n_c)
    low, high = difference_interval(stayed_a=stayed_t, n_a=n_t, stayed_b=stayed_c, n_b=n_c)
    difference = 100.0 * (stayed_t / n_t - stayed_c / n_c)
    return Retention(difference, low, high, n_t, n_c)


def retention_difference(
    *, participants: Sequence[ParticipantFacts], comparison: Sequence[ComparisonFacts], on: dt.date
) -> tuple[float | None, int, int]:
    """(difference in percentage points, participants, comparison people): retention_compare without the CI."""
    r = retention_compare(participants=participants, comparison=comparison, on=on)
    return r.difference, r.n_treated, r.n_control


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
        retention = retention_compare(participants=group.people, comparison=inputs.comparison, on=inputs.on)
        retention_figure = figure_make(
            key="retention_difference",
            value=retention.difference,
            n=min(retention.n_treated, retention.n_control),
            minimum=minimum,
            note=UNADJUSTED,
            ci=(retention.ci_low, retention.ci_high),
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
