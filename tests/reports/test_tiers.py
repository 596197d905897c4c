"""Three-tier program figures: known answers for every formula, small-group suppression, scoping, drill-down."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from tandem.core.scope import DomainError, PersonScope
from tandem.impact.assembly import program_impact_get
from tandem.impact.estimates import CohortEffect, ImpactEstimate
from tandem.impact.services import (
    cohort_create,
    comparison_group_explicit,
    cost_item_add,
    participants_add_list,
    program_activity_add,
)
from tandem.impact.stats import Estimate
from tandem.lrs.learning import LearningRecordRow
from tandem.lrs.models import LearningRecord
from tandem.org.models import Person
from tandem.reports.records import TIER_BUSINESS, TIER_LEARNER, TIER_OPERATIONAL, TierFigure, TierGroup
from tandem.reports.tiers import (
    ORDER,
    SPECS,
    CohortInfo,
    ComparisonFacts,
    ParticipantFacts,
    TierInputs,
    applied_rate,
    figure_make,
    funnel,
    knowledge_gain,
    learning_facts,
    median,
    net_promoter_score,
    program_tiers,
    protect_groups,
    rate,
    retention_difference,
    scrap_learning,
    tiers_compute,
)
from tandem.surveys.models import Survey, SurveyAnswer, SurveyInvitation, SurveyResponse
from tandem.surveys.records import (
    KIND_BEHAVIOUR_LEARNER,
    KIND_BEHAVIOUR_MANAGER,
    KIND_KNOWLEDGE_POST,
    KIND_KNOWLEDGE_PRE,
    KIND_REACTION,
    SurveyAnswerRow,
    SurveyRateRow,
)
from tests.factories import OrgUnitFactory, PersonFactory
from tests.impact.factories import ProgramFactory

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
ACT1, ACT2 = "https://lms.example.com/act/one", "https://lms.example.com/act/two"


def by_key(figures: tuple[TierFigure, ...]) -> dict[str, TierFigure]:
    return {f.key: f for f in figures}


# --- pure formulas ------------------------------------------------------------------------------------


def test_rate_mean_median_and_nps_known_answers():
    assert rate(5, 10) == 50.0 and rate(1, 0) is None
    assert median([1, 2, 3, 4, 10]) == 3 and median([]) is None
    # 3 promoters (9, 10, 10), 1 passive (8), 1 detractor (6) of 5: 60% - 20% = 40.
    assert net_promoter_score([10, 9, 8, 6, 10]) == pytest.approx(40.0)
    assert net_promoter_score([0, 0]) == -100.0 and net_promoter_score([]) is None
    # Applied: at least 50% counts; scrap = 100 - mean applied share.
    assert applied_rate([80, 50, 20, 100, 0]) == pytest.approx(60.0)
    assert scrap_learning([80, 50, 20, 100, 0]) == pytest.approx(50.0)
    assert scrap_learning([]) is None


def record(
    person_id: int,
    activity: str,
    *,
    completed_days: float | None = None,
    passed: bool | None = None,
    seconds: float = 3600.0,
) -> LearningRecordRow:
    done = T0 + dt.timedelta(days=completed_days) if completed_days is not None else None
    return LearningRecordRow(
        actor_ifi=f"mbox:mailto:p{person_id}@example.com",
        activity_id=activity,
        person_id=person_id,
        first_attempt=T0,
        last_attempt=done or T0,
        attempts=1,
        statements=2,
        completed=done is not None,
        completed_at=done,
        passed=passed,
        best_score_scaled=None,
        best_score_raw=None,
        total_seconds=seconds,
    )


def funnel_records() -> list[LearningRecordRow]:
    """10 people, 2 activities: 5 complete both (3 passed, 1 failed, 1 without a verdict), 2 start one."""
    rows = []
    verdicts = [True, True, True, False, None]
    for person in range(1, 6):
        rows.append(record(person, ACT1, completed_days=person, passed=verdicts[person - 1]))
        rows.append(record(person, ACT2, completed_days=person / 2))
    rows += [record(6, ACT1), record(7, ACT2, completed_days=1)]
    rows.append(record(8, "https://lms.example.com/not-in-the-program", completed_days=1))
    return rows


def test_funnel_known_answer_ten_seven_five():
    facts = learning_facts(records=funnel_records(), activity_ids=[ACT1, ACT2])
    assert 8 not in facts  # records of other activities do not count
    result = funnel(person_ids=list(range(1, 11)), facts=facts, activities=2)
    assert (result.enrolled, result.started, result.completed, result.passed) == (10, 7, 5, 3)
    assert rate(result.completed, result.enrolled) == 50.0
    # First attempt to the last activity completed: 1..5 days (ACT1 finishes after ACT2).
    assert sorted(result.days_to_complete) == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert median(result.days_to_complete) == 3.0
    # Activities taken part in: five people 2/2, two people 1/2, three nothing -> (5 + 1) / 10.
    assert result.attendance == pytest.approx(60.0)
    assert facts[1].seconds == 7200 and facts[4].passed is False and facts[5].passed is None


def test_knowledge_gain_paired_unpaired_and_missing():
    def rows(kind: str, scores: list[float], *, named: bool = True) -> list[SurveyAnswerRow]:
        return [
            SurveyAnswerRow(1, i, kind, None, None, i if named else None, "score", s, "", T0)
            for i, s in enumerate(scores, start=1)
        ]

    pre, post = (
        rows(KIND_KNOWLEDGE_PRE, [40, 50, 60, 50, 50]),
        rows(KIND_KNOWLEDGE_POST, [70, 80, 60, 70, 70]),
    )
    assert knowledge_gain(pre=pre, post=post, minimum=5) == (pytest.approx(20.0), 5, "")
    # Fewer pairs than the minimum: group means (mean 70 - mean 50), n of the smaller side.
    gain, n, note = knowledge_gain(pre=pre, post=post[:4], minimum=5)
    assert gain == pytest.approx(70.0 - 50.0) and n == 4 and "not paired" in note
    anonymous = knowledge_gain(
        pre=rows(KIND_KNOWLEDGE_PRE, [40, 60], named=False),
        post=rows(KIND_KNOWLEDGE_POST, [80], named=False),
        minimum=1,
    )
    assert anonymous[0] == pytest.approx(30.0)
    assert knowledge_gain(pre=[], post=post, minimum=5) == (None, 0, "No pre-test answers yet.")
    assert knowledge_gain(pre=pre, post=[], minimum=5)[2] == "No post-test answers yet."


def participant(
    person_id: int, *, cohort: int = 1, unit: int = 10, left: dt.date | None = None, visible: bool = True
):
    return ParticipantFacts(
        person_id=person_id,
        cohort_id=cohort,
        cohort_start=dt.date(2025, 3, 1),
        org_unit_id=unit,
        visible=visible,
        left_on=left,
    )


def test_retention_difference_known_answer():
    on = dt.date(2026, 1, 1)
    left = dt.date(2025, 9, 1)
    people = [participant(i, left=left if i <= 2 else None) for i in range(1, 11)]  # 8 of 10 stayed
    comparison = [
        ComparisonFacts(person_id=100 + i, as_of=dt.date(2025, 3, 1), left_on=left if i == 0 else None)
        for i in range(10)
    ]  # 9 of 10 stayed
    comparison.append(ComparisonFacts(person_id=200, as_of=dt.date(2025, 3, 1), left_on=dt.date(2025, 1, 1)))
    difference, n_treated, n_control = retention_difference(participants=people, comparison=comparison, on=on)
    # Someone who left before the group was drawn is not counted at all.
    assert (n_treated, n_control) == (10, 10)
    assert difference == pytest.approx(80.0 - 90.0)
    # Leaving after `on` still counts as staying.
    later = [participant(i, left=dt.date(2027, 1, 1)) for i in range(1, 4)]
    assert retention_difference(participants=later, comparison=comparison[:10], on=on)[0] == pytest.approx(
        10.0
    )


def test_suppression_at_n_minus_one_and_n():
    below = figure_make(key="satisfaction", value=4.2, n=4, minimum=5)
    at = figure_make(key="satisfaction", value=4.2, n=5, minimum=5)
    assert below.suppressed and below.value is None and "fewer than 5" in below.note
    assert not at.suppressed and at.value == 4.2
    missing = figure_make(key="satisfaction", value=None, n=0, minimum=5, note="No answers yet.")
    assert not missing.suppressed and missing.value is None and missing.note == "No answers yet."


def test_every_key_has_a_tier_unit_and_formula_and_is_documented():
    docs = (Path(__file__).parents[2] / "docs" / "impact-metrics.md").read_text(encoding="utf-8")
    for key, spec in SPECS.items():
        assert spec.tier in {TIER_OPERATIONAL, TIER_LEARNER, TIER_BUSINESS} and spec.unit and spec.formula
        assert f"`{key}`" in docs, key


def test_protect_groups_hides_the_next_smallest_so_no_hidden_figure_follows_from_the_total():
    def group(key: str, n: int, value: float) -> TierGroup:
        return TierGroup(
            key=key, label=key, figures=(figure_make(key="enrolled", value=value, n=n, minimum=5),)
        )

    overall = (figure_make(key="enrolled", value=30.0, n=30, minimum=5),)
    groups = [group("a", 3, 3.0), group("b", 7, 7.0), group("c", 20, 20.0)]
    protected = protect_groups(overall=overall, groups=groups, minimum=5)
    a, b, c = (g.figures[0] for g in protected)
    assert a.suppressed and b.suppressed and "worked out" in b.note
    assert not c.suppressed and c.value == 20.0
    # Two small groups together reach the minimum: nothing else needs hiding.
    groups = [group("a", 3, 3.0), group("b", 2, 2.0), group("c", 25, 25.0)]
    assert not protect_groups(overall=overall, groups=groups, minimum=5)[2].figures[0].suppressed


# --- tiers from plain inputs --------------------------------------------------------------------------


def estimate(*, effect: float | None = 2.5, status: str = "ok", higher: bool = True) -> ImpactEstimate:
    overall = Estimate(effect, 0.5, effect - 1.0, effect + 1.0, 0.001) if effect is not None else None
    return ImpactEstimate(
        program_id=1,
        metric_code="tickets",
        metric_name="Tickets closed",
        unit="tickets",
        decimals=1,
        higher_is_better=higher,
        method="staggered",
        comparison="never",
        status=status,
        sentence="People who took the program had 2.5 more tickets per month.",
        favourable=True,
        overall=overall,
        event_study=(),
        pretrend_p_value=None,
        trends=(),
        cohorts=(
            CohortEffect(start=dt.date(2025, 3, 1), people=10, effect=overall),
            CohortEffect(start=dt.date(2025, 6, 1), people=3, effect=None),
        ),
        n_treated=13,
        n_comparison=20,
        n_dropped=0,
        months=(),
        warnings=(),
        roi=None,
    )


def answer(
    response: int, kind: str, key: str, value: float, *, person: int | None, unit: int, cohort: int = 1
):
    return SurveyAnswerRow(1, response, kind, cohort, unit, person, key, value, "", T0)


def inputs(**changes: object) -> TierInputs:
    """Unit 10 (people 1-10, wave 1) and unit 20 (people 11-16, wave 2), as in the funnel test for unit 10."""
    people = [participant(i, cohort=1, unit=10) for i in range(1, 11)]
    people += [participant(i, cohort=2, unit=20) for i in range(11, 17)]
    records = funnel_records()[:-1] + [
        record(p, a, completed_days=10) for p in range(11, 17) for a in (ACT1, ACT2)
    ]
    answers = []
    for i, (sat, nps) in enumerate(zip([5, 4, 4, 3, 4], [10, 9, 8, 6, 10], strict=True), start=1):
        answers += [
            answer(i, KIND_REACTION, "satisfaction", sat, person=i, unit=10),
            answer(i, KIND_REACTION, "nps", nps, person=i, unit=10),
            answer(i, KIND_REACTION, "confidence", 4, person=i, unit=10),
            answer(i, KIND_REACTION, "commitment", 5, person=i, unit=10),
        ]
    for i in range(5):  # anonymous answers from unit 20
        answers += [
            answer(100 + i, KIND_REACTION, "satisfaction", 2, person=None, unit=20, cohort=2),
            answer(100 + i, KIND_REACTION, "nps", 0, person=None, unit=20, cohort=2),
        ]
    for i, (pre, post) in enumerate(zip([40, 50, 60, 50, 50], [70, 80, 60, 70, 70], strict=True), start=1):
        answers += [
            answer(200 + i, KIND_KNOWLEDGE_PRE, "score", pre, person=i, unit=10),
            answer(300 + i, KIND_KNOWLEDGE_POST, "score", post, person=i, unit=10),
        ]
    for i, applied in enumerate([80, 50, 20, 100, 0], start=1):
        answers.append(answer(400 + i, KIND_BEHAVIOUR_LEARNER, "applied_pct", applied, person=i, unit=10))
    for i, observed in enumerate([4, 4, 5, 3, 4], start=1):
        answers.append(
            answer(500 + i, KIND_BEHAVIOUR_MANAGER, "observed_change", observed, person=i, unit=10)
        )
    base = TierInputs(
        program_id=1,
        participants=tuple(people),
        activities=2,
        learning=learning_facts(records=records, activity_ids=[ACT1, ACT2]),
        answers=tuple(answers),
        rates=(
            SurveyRateRow(1, KIND_REACTION, 1, 10, invited=8, responded=5),
            SurveyRateRow(1, KIND_REACTION, 2, 20, invited=6, responded=5),
        ),
        comparison=tuple(ComparisonFacts(100 + i, dt.date(2025, 3, 1), None) for i in range(10)),
        total_cost=4800.0,
        kpi=estimate(),
        value_per_unit=10.0,
        cohorts=(CohortInfo(1, "Wave 1", dt.date(2025, 3, 1)), CohortInfo(2, "Wave 2", dt.date(2025, 6, 1))),
        unit_names={10: "Sales", 20: "Support"},
        on=dt.date(2026, 11, 29),
        minimum=5,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_every_figure_of_the_three_tiers_from_hand_built_rows():
    tiers = tiers_compute(inputs=inputs(), scope=PersonScope.all())
    assert tuple(f.key for f in tiers.overall) == ORDER and tiers.groups == ()
    f = by_key(tiers.overall)
    values = {key: figure.value for key, figure in f.items()}
    assert values["enrolled"] == 16 and values["started"] == 13 and values["completed"] == 11
    assert values["passed"] == 3
    assert values["completion_rate"] == pytest.approx(100 * 11 / 16)
    assert values["time_to_complete"] == 10.0  # median of 1, 2, 3, 4, 5 and six 10s
    assert values["attendance"] == pytest.approx(100 * (5 + 1 + 6) / 16)
    assert values["satisfaction"] == pytest.approx((20 + 10) / 10)  # unit 10 mean 4, unit 20 mean 2
    assert values["nps"] == pytest.approx(100 * (3 - 6) / 10)
    assert values["response_rate"] == pytest.approx(100 * 10 / 14)
    assert values["cost_per_learner"] == pytest.approx(4800 / 16)
    assert values["cost_per_learning_hour"] == pytest.approx(4800 / 24)  # 12 + 12 records of an hour
    assert values["knowledge_gain"] == pytest.approx(20.0)
    assert values["confidence"] == 4.0 and values["commitment"] == 5.0
    assert values["applied_rate"] == pytest.approx(60.0) and values["scrap_learning"] == pytest.approx(50.0)
    assert values["manager_observed_change"] == pytest.approx(4.0)
    assert values["kpi_effect"] == 2.5 and f["kpi_effect"].label == "Change in tickets closed"
    assert f["kpi_effect"].unit == "tickets per person and month" and f["kpi_effect"].n == 13
    assert values["productivity"] == pytest.approx(25.0)
    assert values["retention_difference"] == 0.0
    for key in ("skill_proficiency_change", "skill_gap_closure"):
        assert values[key] is None and "later release" in f[key].note and not f[key].suppressed
    assert f["relevance"].value is None and f["relevance"].note == "No reaction survey answers yet."
    assert f["satisfaction"].n == 10 and f["response_rate"].n == 14


def test_department_head_counts_only_their_people_and_their_units_answers():
    # Unit 20 is someone else's: its people are not visible, its anonymous answers are not counted.
    people = tuple(replace(p, visible=p.org_unit_id == 10) for p in inputs().participants)
    scope = PersonScope(org_unit_ids=frozenset({10}))
    f = by_key(tiers_compute(inputs=inputs(participants=people), scope=scope).overall)
    assert f["enrolled"].value == 10 and f["completed"].value == 5 and f["completion_rate"].value == 50.0
    assert f["satisfaction"].value == pytest.approx(4.0) and f["nps"].value == pytest.approx(40.0)
    assert f["response_rate"].value == pytest.approx(62.5)
    # Costs are program-wide (not split by department) and the KPI change is the whole program's.
    assert f["cost_per_learner"].value == pytest.approx(300.0)
    assert "whole program" in f["kpi_effect"].note


def test_drill_down_groups_sum_to_the_whole():
    for group_by, labels in (("org_unit", ["Sales", "Support"]), ("cohort", ["Wave 1", "Wave 2"])):
        tiers = tiers_compute(inputs=inputs(), scope=PersonScope.all(), group_by=group_by)
        assert [g.label for g in tiers.groups] == labels and tiers.group_by == group_by
        overall = by_key(tiers.overall)
        for key in ("enrolled", "started", "completed", "passed"):
            parts = [by_key(g.figures)[key].value for g in tiers.groups]
            assert sum(p or 0 for p in parts) == overall[key].value, (group_by, key)
        satisfaction = [by_key(g.figures)["satisfaction"] for g in tiers.groups]
        weighted = sum((s.value or 0) * s.n for s in satisfaction) / sum(s.n for s in satisfaction)
        assert weighted == pytest.approx(overall["satisfaction"].value)
    sales, support = tiers_compute(inputs=inputs(), scope=PersonScope.all(), group_by="org_unit").groups
    assert by_key(sales.figures)["completion_rate"].value == 50.0
    assert by_key(support.figures)["completion_rate"].value == 100.0
    assert by_key(sales.figures)["kpi_effect"].value is None  # the estimate is not split by unit
    both = replace(
        estimate(),
        cohorts=(
            CohortEffect(start=dt.date(2025, 3, 1), people=10, effect=Estimate(2.5, 0.5, 1.5, 3.5, 0.001)),
            CohortEffect(start=dt.date(2025, 6, 1), people=6, effect=Estimate(1.0, 0.5, 0.0, 2.0, 0.05)),
        ),
    )
    waves = tiers_compute(inputs=inputs(kpi=both), scope=PersonScope.all(), group_by="cohort").groups
    assert [by_key(w.figures)["kpi_effect"].value for w in waves] == [2.5, 1.0]
    assert [by_key(w.figures)["productivity"].value for w in waves] == [25.0, 10.0]
    # The second wave's estimate has 3 people: withheld, and the first one with it (the total would tell).
    waves = tiers_compute(inputs=inputs(), scope=PersonScope.all(), group_by="cohort").groups
    assert all(by_key(w.figures)["kpi_effect"].suppressed for w in waves)


def test_small_groups_are_suppressed_at_n_minus_one_but_not_at_n():
    shown = tiers_compute(inputs=inputs(minimum=6), scope=PersonScope.all(), group_by="org_unit")
    support = by_key(shown.groups[1].figures)
    assert support["enrolled"].value == 6 and not support["enrolled"].suppressed
    hidden = tiers_compute(inputs=inputs(minimum=7), scope=PersonScope.all(), group_by="org_unit")
    sales, support = (by_key(g.figures) for g in hidden.groups)
    assert support["enrolled"].suppressed and support["enrolled"].value is None
    assert support["completion_rate"].value is None
    # 16 - 10 = 6 would give Support away: Sales is hidden with it.
    assert sales["enrolled"].suppressed and "worked out" in sales["enrolled"].note
    assert by_key(hidden.overall)["enrolled"].value == 16
    # Five people took both knowledge tests: a gain at a minimum of 5, none at 6.
    gain = {
        m: by_key(tiers_compute(inputs=inputs(minimum=m), scope=PersonScope.all()).overall)["knowledge_gain"]
        for m in (5, 6)
    }
    assert gain[5].value == pytest.approx(20.0) and gain[6].suppressed and gain[6].value is None
    # A department of 10 under a minimum of 11 sees no figure about its people.
    sales_only = tuple(replace(p, visible=p.org_unit_id == 10) for p in inputs().participants)
    scoped = by_key(
        tiers_compute(
            inputs=inputs(participants=sales_only, minimum=11),
            scope=PersonScope(org_unit_ids=frozenset({10})),
        ).overall
    )
    for key in ("enrolled", "completion_rate", "attendance", "retention_difference"):
        assert scoped[key].suppressed and scoped[key].value is None, key


def test_not_measurable_figures_say_why():
    f = by_key(
        tiers_compute(
            inputs=inputs(
                activities=0,
                learning={},
                answers=(),
                rates=(),
                comparison=(),
                total_cost=0.0,
                kpi="No primary metric is set for this program yet.",
            ),
            scope=PersonScope.all(),
        ).overall
    )
    assert f["enrolled"].value == 16
    assert f["started"].value is None and "No xAPI activity" in f["started"].note
    assert f["knowledge_gain"].note == "No pre-test answers yet."
    assert f["response_rate"].note == "No survey invitations sent yet."
    assert f["cost_per_learner"].note == "No costs recorded yet."
    assert f["retention_difference"].note == "No comparison group yet."
    assert f["kpi_effect"].note == "No primary metric is set for this program yet."
    assert all(not figure.suppressed for figure in f.values())


def test_kpi_effect_withheld_flipped_and_without_money_value():
    too_small = by_key(
        tiers_compute(
            inputs=inputs(kpi=estimate(effect=None, status="too_small")), scope=PersonScope.all()
        ).overall
    )
    assert too_small["kpi_effect"].suppressed and too_small["kpi_effect"].value is None
    assert too_small["productivity"].suppressed
    lower = by_key(
        tiers_compute(inputs=inputs(kpi=estimate(effect=-2.0, higher=False)), scope=PersonScope.all()).overall
    )
    assert lower["kpi_effect"].value == -2.0 and lower["productivity"].value == pytest.approx(20.0)
    no_value = by_key(tiers_compute(inputs=inputs(value_per_unit=None), scope=PersonScope.all()).overall)
    assert no_value["productivity"].value is None and "money value" in no_value["productivity"].note


def test_unknown_grouping_is_refused():
    with pytest.raises(DomainError):
        tiers_compute(inputs=inputs(), scope=PersonScope.all(), group_by="role")


# --- from the database --------------------------------------------------------------------------------


def survey_rows(*, program, cohort, people, unit, kind, values, anonymous=False, invited=None) -> None:
    """Real survey rows: one response per person with the given answers, and invitations (all sent)."""
    survey = Survey.objects.create(program=program, cohort=cohort, kind=kind, title=kind, anonymous=anonymous)
    due = dt.datetime(2025, 4, 1, 9, tzinfo=dt.UTC)
    invitations = SurveyInvitation.objects.bulk_create(
        [
            SurveyInvitation(
                survey=survey,
                person=person,
                subject=person,
                cohort=cohort,
                org_unit=unit,
                token_salt=f"s{survey.pk}-{person.pk}",
                token_hash=f"h{survey.pk}-{person.pk}",
                due_at=due,
                closes_at=due + dt.timedelta(days=14),
                sent_at=due,
                responded_at=due if index < len(values) else None,
            )
            for index, person in enumerate(invited or people)
        ]
    )
    for index, answers in enumerate(values):
        response = SurveyResponse.objects.create(
            survey=survey,
            cohort=cohort,
            org_unit=unit,
            invitation=None if anonymous else invitations[index],
            person=None if anonymous else people[index],
            responded_at=due + dt.timedelta(hours=index),
        )
        SurveyAnswer.objects.bulk_create(
            [
                SurveyAnswer(response=response, survey=survey, question_key=k, value=v)
                for k, v in answers.items()
            ]
        )


@pytest.fixture
def company(db, settings):
    """Sales (10 participants, wave 1) and Support (6 participants, wave 2), with learning, surveys, leavers."""
    settings.TANDEM_MIN_GROUP_SIZE = 5
    sales, support = OrgUnitFactory(name="Sales"), OrgUnitFactory(name="Support")
    program = ProgramFactory(code="coach")
    wave1 = cohort_create(actor_id=None, program_id=program.pk, name="Wave 1", start_date=dt.date(2025, 3, 1))
    wave2 = cohort_create(actor_id=None, program_id=program.pk, name="Wave 2", start_date=dt.date(2025, 6, 1))
    in_sales = [PersonFactory(org_unit=sales) for _ in range(10)]
    in_support = [PersonFactory(org_unit=support) for _ in range(6)]
    others = [PersonFactory(org_unit=support) for _ in range(10)]
    participants_add_list(actor_id=None, cohort_id=wave1.pk, employee_ids=[p.employee_id for p in in_sales])
    participants_add_list(actor_id=None, cohort_id=wave2.pk, employee_ids=[p.employee_id for p in in_support])
    comparison_group_explicit(
        actor_id=None, program_id=program.pk, employee_ids=[p.employee_id for p in others]
    )
    for iri in (ACT1, ACT2):
        program_activity_add(actor_id=None, program_id=program.pk, activity_iri=iri)
    cost_item_add(actor_id=None, program_id=program.pk, kind="vendor_fee", amount=Decimal("4800"))
    ids = {i: p.pk for i, p in enumerate(in_sales + in_support, start=1)}
    rows = funnel_records()[:-1] + [
        record(i, a, completed_days=10) for i in range(11, 17) for a in (ACT1, ACT2)
    ]
    LearningRecord.objects.bulk_create(
        [
            LearningRecord(
                actor_ifi=f"mbox:mailto:{ids[r.person_id]}-{r.activity_id}",
                activity_id=r.activity_id,
                person_id=ids[r.person_id],
                first_attempt=r.first_attempt,
                last_attempt=r.last_attempt,
                attempts=1,
                statements=2,
                completed=r.completed,
                completed_at=r.completed_at,
                passed=r.passed,
                total_seconds=r.total_seconds,
            )
            for r in rows
        ]
    )
    # Two Sales participants and one comparison person left after the start; one comparison person
    # left before it (not counted).
    Person.objects.filter(pk__in=[in_sales[0].pk, in_sales[1].pk, others[0].pk]).update(
        termination_date=dt.date(2025, 9, 1)
    )
    Person.objects.filter(pk=others[1].pk).update(termination_date=dt.date(2024, 12, 1))
    survey_rows(
        program=program,
        cohort=wave1,
        people=in_sales,
        unit=sales,
        kind=KIND_REACTION,
        values=[
            {"satisfaction": s, "nps": n} for s, n in zip([5, 4, 4, 3, 4], [10, 9, 8, 6, 10], strict=True)
        ],
        invited=in_sales[:8],
    )
    survey_rows(
        program=program,
        cohort=wave2,
        people=in_support,
        unit=support,
        kind=KIND_REACTION,
        values=[{"satisfaction": 2, "nps": 0}] * 5,
        anonymous=True,
    )
    return {"program": program, "sales": sales, "support": support, "wave1": wave1, "wave2": wave2}


def test_program_tiers_reads_learning_surveys_costs_and_leavers(company):
    program = company["program"]
    tiers = program_tiers(program_id=program.pk, scope=PersonScope.all())
    f = by_key(tiers.overall)
    assert (f["enrolled"].value, f["started"].value, f["completed"].value, f["passed"].value) == (
        16,
        13,
        11,
        3,
    )
    assert f["completion_rate"].value == pytest.approx(100 * 11 / 16)
    assert f["satisfaction"].value == pytest.approx(3.0) and f["nps"].value == pytest.approx(-30.0)
    assert f["response_rate"].value == pytest.approx(100 * 10 / 14)
    assert f["cost_per_learner"].value == pytest.approx(300.0)
    assert f["cost_per_learning_hour"].value == pytest.approx(200.0)
    # Participants 14 of 16 stayed (87.5%), comparison 8 of 9 (88.9%).
    assert f["retention_difference"].value == pytest.approx(87.5 - 800 / 9)
    # The same words as the program's headline, not a message of the tiers' own.
    assert f["kpi_effect"].note.startswith("Business impact is not measurable yet: no business metric (KPI)")
    assert tiers.minimum_group == 5


def test_program_tiers_for_a_department_head_and_by_group(company, django_assert_max_num_queries):
    from tandem.impact.selectors import program_get

    program, sales = company["program"], company["sales"]
    head = PersonScope(org_unit_ids=frozenset({sales.pk}))
    f = by_key(program_tiers(program_id=program.pk, scope=head).overall)
    assert f["enrolled"].value == 10 and f["completion_rate"].value == 50.0 and f["passed"].value == 3
    assert f["satisfaction"].value == pytest.approx(4.0) and f["nps"].value == pytest.approx(40.0)
    assert f["response_rate"].value == pytest.approx(62.5)
    assert f["retention_difference"].value == pytest.approx(80.0 - 800 / 9)
    grouped = program_tiers(program_id=program.pk, scope=head, group_by="org_unit")
    assert [g.label for g in grouped.groups] == ["Sales"]  # nothing from Support
    detail = program_get(scope=PersonScope.all(), program_id=program.pk)
    impact = program_impact_get(scope=PersonScope.all(), detail=detail)
    with django_assert_max_num_queries(6):
        tiers = program_tiers(
            program_id=program.pk, scope=PersonScope.all(), group_by="org_unit", detail=detail, impact=impact
        )
    assert [g.label for g in tiers.groups] == ["Sales", "Support"]
    for key in ("enrolled", "completed"):
        assert (
            sum(by_key(g.figures)[key].value or 0 for g in tiers.groups) == by_key(tiers.overall)[key].value
        )
    waves = program_tiers(program_id=program.pk, scope=PersonScope.all(), group_by="cohort")
    assert [(g.key, g.label) for g in waves.groups] == [
        (str(company["wave1"].pk), "Wave 1"),
        (str(company["wave2"].pk), "Wave 2"),
    ]
    assert by_key(waves.groups[1].figures)["satisfaction"].value == pytest.approx(2.0)
