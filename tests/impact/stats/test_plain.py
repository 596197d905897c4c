"""Plain-language sentences: direction, unit, CI, and the three guards."""

from __future__ import annotations

from tandem.impact.stats import Estimate, MetricWording, describe_effect

TICKETS = MetricWording(verb="closed", unit="tickets per month")
HANDLE = MetricWording(verb="spent", unit="minutes per call", higher_is_better=False, decimals=0)
WHO = {"subject": "Agents who took the program", "comparison": "comparable agents who did not"}


def test_positive_effect_sentence() -> None:
    summary = describe_effect(
        effect=Estimate(3.1, 0.97, 1.2, 5.0, 0.002), wording=TICKETS, n_treated=40, n_control=60, **WHO
    )
    assert summary.sentence == (
        "Agents who took the program closed 3.1 more tickets per month than comparable agents "
        "who did not (95% CI 1.2 to 5.0)."
    )
    assert summary.status == "ok"
    assert summary.favourable is True


def test_lower_is_better_metric() -> None:
    summary = describe_effect(
        effect=Estimate(-2.4, 0.5, -3.4, -1.4, 0.001, alpha=0.10),
        wording=HANDLE,
        n_treated=40,
        n_control=60,
        **WHO,
    )
    assert summary.sentence == (
        "Agents who took the program spent 2 fewer minutes per call than comparable agents who did not (90% CI 1 to 3)."
    )
    assert summary.favourable is True


def test_ci_including_zero() -> None:
    summary = describe_effect(
        effect=Estimate(0.8, 1.0, -1.2, 2.8, 0.42), wording=TICKETS, n_treated=40, n_control=60, **WHO
    )
    assert "not distinguishable from zero" in summary.sentence
    assert "(95% CI 1.2 fewer to 2.8 more)" in summary.sentence
    assert summary.status == "not_distinguishable"
    assert summary.favourable is None


def test_pretrend_rejection_warns() -> None:
    summary = describe_effect(
        effect=Estimate(3.1, 0.97, 1.2, 5.0, 0.002),
        wording=TICKETS,
        n_treated=40,
        n_control=60,
        pretrend_p_value=0.01,
        **WHO,
    )
    assert summary.sentence.endswith(
        "the groups were already diverging before the program, so this estimate is unreliable."
    )
    assert summary.status == "unreliable_pretrend"
    ok = describe_effect(
        effect=Estimate(3.1, 0.97, 1.2, 5.0, 0.002),
        wording=TICKETS,
        n_treated=40,
        n_control=60,
        pretrend_p_value=0.3,
        **WHO,
    )
    assert ok.status == "ok"


def test_small_groups_refused() -> None:
    summary = describe_effect(
        effect=Estimate(3.1, 0.97, 1.2, 5.0, 0.002), wording=TICKETS, n_treated=40, n_control=4, **WHO
    )
    assert summary.status == "too_small"
    assert "3.1" not in summary.sentence
    assert (
        summary.sentence
        == "Not reported: each group needs at least 5 people, and the comparison group has 4."
    )
    custom = describe_effect(
        effect=Estimate(3.1, 0.97, 1.2, 5.0, 0.002),
        wording=TICKETS,
        n_treated=8,
        n_control=40,
        min_group_size=10,
        **WHO,
    )
    assert custom.status == "too_small"
