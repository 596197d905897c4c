"""Callaway & Sant'Anna: hand-computed ATT(g,t) on a tiny panel and equivalence with the 2x2 DiD."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from tandem.impact.stats import (
    DidData,
    StaggeredData,
    StaggeredResult,
    StatsError,
    aggregate,
    att_gt,
    did_2x2,
    pretrend_test,
)

# Six units, periods 1..3: units 1-2 first treated in 2, units 3-4 in 3, units 5-6 never.
OUTCOMES = {
    1: [1, 4, 6],
    2: [2, 6, 9],
    3: [0, 1, 5],
    4: [2, 4, 8],
    5: [1, 2, 3],
    6: [3, 3, 5],
}
FIRST = {1: 2, 2: 2, 3: 3, 4: 3, 5: np.nan, 6: np.nan}


def _tiny() -> StaggeredData:
    rows = [(u, t + 1, y, FIRST[u]) for u, ys in OUTCOMES.items() for t, y in enumerate(ys)]
    unit, period, outcome, first = zip(*rows, strict=True)
    return StaggeredData(unit=unit, period=period, outcome=outcome, first_treated=first)


def _cells(result: object) -> dict[tuple[int, int], float]:
    return {(c.group, c.period): c.effect.estimate for c in result.cells}  # type: ignore[attr-defined]


def test_hand_computed_never_treated() -> None:
    result = att_gt(data=_tiny())
    # ATT(2,2) = mean(4-1, 6-2) - mean(2-1, 3-3) = 3.5 - 0.5
    # ATT(2,3) = mean(6-1, 9-2) - mean(3-1, 5-3) = 6 - 2      (base g-1 = 1)
    # ATT(3,2) = mean(1-0, 4-2) - mean(2-1, 3-3) = 1.5 - 0.5  (pre: base t-1 = 1)
    # ATT(3,3) = mean(5-1, 8-4) - mean(3-2, 5-3) = 4 - 1.5    (base g-1 = 2)
    assert _cells(result) == pytest.approx({(2, 2): 3.0, (2, 3): 4.0, (3, 2): 1.0, (3, 3): 2.5})
    first = result.cells[0]
    assert (first.group, first.period, first.event_time, first.n_treated, first.n_control) == (2, 2, 0, 2, 2)
    # IF: treated +-0.5/(1/3), controls -+0.5/(1/3) -> sum of squares 9, / n^2 = 0.25
    assert first.effect.se == pytest.approx(0.5)


def test_hand_computed_not_yet_treated() -> None:
    result = att_gt(data=_tiny(), control_group="not_yet_treated")
    # ATT(2,2): controls are never-treated plus cohort 3 (not yet treated in 2):
    # mean(3, 4) - mean(1, 2, 1, 0) = 3.5 - 1.0
    assert _cells(result) == pytest.approx({(2, 2): 2.5, (2, 3): 4.0, (3, 2): 1.0, (3, 3): 2.5})


def test_aggregations_hand_computed() -> None:
    result = att_gt(data=_tiny())
    # Equal cohort sizes, so size weights are equal.
    assert aggregate(result=result, kind="simple").overall.estimate == pytest.approx((3 + 4 + 2.5) / 3)
    group = aggregate(result=result, kind="group")
    assert dict((g, e.estimate) for g, e in group.by) == pytest.approx({2: 3.5, 3: 2.5})
    assert group.overall.estimate == pytest.approx(3.0)
    dynamic = aggregate(result=result, kind="dynamic")
    assert dict((e, est.estimate) for e, est in dynamic.by) == pytest.approx({-1: 1.0, 0: 2.75, 1: 4.0})
    assert dynamic.overall.estimate == pytest.approx((2.75 + 4.0) / 2)
    calendar = aggregate(result=result, kind="calendar")
    assert dict((t, e.estimate) for t, e in calendar.by) == pytest.approx({2: 3.0, 3: 3.25})
    assert calendar.overall.estimate == pytest.approx(3.125)


def test_single_cohort_two_periods_equals_2x2_did() -> None:
    rng = np.random.default_rng(11)
    n = 50
    treated = rng.random(n) < 0.4
    y0 = rng.normal(size=n)
    y1 = y0 + 0.3 + 1.5 * treated + rng.normal(size=n)
    unit = np.repeat(np.arange(n), 2)
    period = np.tile([2020, 2021], n)
    outcome = np.column_stack([y0, y1]).ravel()
    first = np.where(np.repeat(treated, 2), 2021, np.nan)
    cs = att_gt(data=StaggeredData(unit=unit, period=period, outcome=outcome, first_treated=first))
    did = did_2x2(
        data=DidData(
            unit=unit, period=period, treated=np.repeat(treated, 2), post=period == 2021, outcome=outcome
        )
    )
    assert len(cs.cells) == 1
    assert cs.cells[0].effect.estimate == pytest.approx(did.effect.estimate, abs=1e-12)
    simple = aggregate(result=cs, kind="simple").overall
    assert simple.estimate == pytest.approx(did.effect.estimate, abs=1e-12)
    # With one cell the weight influence cancels and the IF SE is the HC0 SE of the
    # first-difference regression dY ~ 1 + D.
    fd = sm.OLS(y1 - y0, sm.add_constant(treated.astype(float))).fit(cov_type="HC0")
    assert cs.cells[0].effect.se == pytest.approx(fd.bse[1], rel=1e-10)
    assert simple.se == pytest.approx(fd.bse[1], rel=1e-10)
    assert pretrend_test(result=cs) is None  # no pre-period cells


def test_cluster_argument_coarsens_variance() -> None:
    rng = np.random.default_rng(3)
    n, periods = 60, 4
    unit = np.repeat(np.arange(n), periods)
    period = np.tile(np.arange(periods), n)
    first = np.repeat(rng.choice([1.0, 2.0, np.nan], size=n), periods)
    team = np.repeat(np.arange(n) % 10, periods)
    shock = rng.normal(size=(10, periods))[team, period]
    y = rng.normal(size=unit.size) + shock
    by_unit = att_gt(data=StaggeredData(unit=unit, period=period, outcome=y, first_treated=first))
    by_team = att_gt(
        data=StaggeredData(unit=unit, period=period, outcome=y, first_treated=first, cluster=team)
    )
    assert [c.effect.estimate for c in by_unit.cells] == [c.effect.estimate for c in by_team.cells]
    assert [c.effect.se for c in by_unit.cells] != [c.effect.se for c in by_team.cells]


def test_pretrend_test_detects_diverging_groups() -> None:
    rng = np.random.default_rng(5)
    n, periods = 400, 5
    unit = np.repeat(np.arange(n), periods)
    period = np.tile(np.arange(periods), n)
    g = rng.choice([3.0, np.nan], size=n)
    treated_ever = np.repeat(np.isfinite(g), periods)
    # Program group already trending up by 0.5 per period before treatment.
    y = rng.normal(size=unit.size) + np.where(treated_ever, 0.5 * period, 0.0)
    result = att_gt(
        data=StaggeredData(unit=unit, period=period, outcome=y, first_treated=np.repeat(g, periods))
    )
    test = pretrend_test(result=result)
    assert test is not None
    assert test.n_cells == 2  # ATT(3,1), ATT(3,2)
    assert test.df == 2
    assert test.rejects()


def test_always_treated_dropped_and_flagged() -> None:
    data = _tiny()
    first = np.where(np.asarray(data.unit) == 6, 1.0, np.asarray(data.first_treated))
    result = att_gt(
        data=StaggeredData(unit=data.unit, period=data.period, outcome=data.outcome, first_treated=first)
    )
    assert "dropped_always_treated" in result.warnings
    assert result.n_units == 5


def test_unbalanced_panel_rejected() -> None:
    data = _tiny()
    with pytest.raises(StatsError) as err:
        att_gt(
            data=StaggeredData(
                unit=data.unit[1:],
                period=data.period[1:],
                outcome=data.outcome[1:],
                first_treated=data.first_treated[1:],
            )
        )
    assert err.value.code == "unbalanced_panel"


def test_no_never_treated_requires_not_yet_treated() -> None:
    data = _tiny()
    first = np.where(np.isinf(data.first_treated), 3.0, data.first_treated)  # stored as +inf
    staggered = StaggeredData(unit=data.unit, period=data.period, outcome=data.outcome, first_treated=first)
    with pytest.raises(StatsError) as err:
        att_gt(data=staggered)
    assert err.value.code == "no_comparison_group"
    result = att_gt(data=staggered, control_group="not_yet_treated")
    # Only cohort 3 can serve as comparison, and only for cohort 2 in period 2; a cohort
    # is never its own comparison, so its pre-period cell is skipped too.
    assert "skipped_empty_cell" in result.warnings
    assert {(c.group, c.period) for c in result.cells} == {(2, 2)}


def test_first_treated_must_be_observed_period() -> None:
    data = _tiny()
    first = np.where(np.asarray(data.unit) == 1, 7.0, np.asarray(data.first_treated, dtype=float))
    with pytest.raises(StatsError) as err:
        att_gt(
            data=StaggeredData(unit=data.unit, period=data.period, outcome=data.outcome, first_treated=first)
        )
    assert err.value.code == "invalid_argument"


def test_non_numeric_first_treated_rejected() -> None:
    with pytest.raises(StatsError) as err:
        StaggeredData(unit=[1, 1], period=[1, 2], outcome=[0.0, 1.0], first_treated=["soon", "soon"])
    assert err.value.code == "invalid_argument"


def test_alpha_and_labels_follow_input() -> None:
    result = att_gt(data=_tiny(), alpha=0.10)
    cell = result.cells[0]
    assert isinstance(cell.group, int) and isinstance(cell.period, int)
    assert cell.effect.alpha == 0.10
    wider = aggregate(result=result, kind="simple", alpha=0.01).overall
    narrower = aggregate(result=result, kind="simple").overall
    assert wider.ci_high - wider.ci_low > narrower.ci_high - narrower.ci_low


def _summary(result: StaggeredResult) -> list[object]:
    kinds = ("simple", "group", "dynamic", "calendar")
    return [
        result.cells,
        result.influence.tobytes(),
        [aggregate(result=result, kind=kind) for kind in kinds],  # type: ignore[arg-type]
        pretrend_test(result=result),
    ]


@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
def test_sorted_blocks_and_any_row_order_give_the_same_bits(control_group: str) -> None:
    """Rows in unit blocks skip pandas' pivot (a reshape); any other order pivots. Same results bit for bit."""
    rng = np.random.default_rng(5)
    n, m = 300, 8
    unit = np.repeat(np.arange(10, 10 + n), m)
    period = np.tile(np.arange(m, dtype=np.float64), n)
    first = np.repeat(rng.choice([2.0, 4.0, 5.0, np.nan], size=n), m)
    outcome = rng.normal(size=n * m) + np.where(period >= first, 1.5, 0.0)
    order = rng.permutation(n * m)
    blocked = StaggeredData(unit=unit, period=period, outcome=outcome, first_treated=first)
    shuffled = StaggeredData(
        unit=unit[order], period=period[order], outcome=outcome[order], first_treated=first[order]
    )
    assert repr(_summary(att_gt(data=blocked, control_group=control_group))) == repr(  # type: ignore[arg-type]
        _summary(att_gt(data=shuffled, control_group=control_group))  # type: ignore[arg-type]
    )


def test_sorted_blocks_still_check_one_cohort_per_unit() -> None:
    data = _tiny()
    first = np.asarray(data.first_treated).copy()
    first[0] = 3.0  # unit 1's first row disagrees with its other rows
    with pytest.raises(StatsError) as err:
        att_gt(
            data=StaggeredData(unit=data.unit, period=data.period, outcome=data.outcome, first_treated=first)
        )
    assert err.value.code == "treatment_varies_within_unit"
