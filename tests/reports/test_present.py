"""The one presenter: the same figure reads the same on the page and in every export."""

from __future__ import annotations

import pytest

from tandem.reports import present
from tandem.reports.tiers import figure_make


def test_tier_values():
    assert present.tier_value(figure_make(key="completion_rate", value=66.6, n=9, minimum=5)) == "67%"
    assert present.tier_value(figure_make(key="enrolled", value=1234, n=1234, minimum=5)) == "1,234"
    assert present.tier_value(figure_make(key="nps", value=40, n=9, minimum=5)) == "+40"
    assert (
        present.tier_value(figure_make(key="retention_difference", value=-1.25, n=9, minimum=5)) == "-1.2 pp"
    )
    assert present.tier_value(figure_make(key="cost_per_learner", value=345.2, n=9, minimum=5)) == "€345.20"
    assert present.tier_value(figure_make(key="enrolled", value=3, n=3, minimum=5)) == "—"


def test_tier_text_says_units_once_and_whole_people():
    enrolled = figure_make(key="enrolled", value=425.0, n=425, minimum=5)
    assert present.tier_text(enrolled, 5) == "425"
    cost = figure_make(key="cost_per_learner", value=345.2, n=425, minimum=5)
    assert present.tier_text(cost, 5) == "€345.20"
    small = figure_make(key="enrolled", value=3.0, n=3, minimum=5)
    assert present.tier_text(small, 5) == "not reported (fewer than 5 people)"
    nps = figure_make(key="nps", value=12.0, n=40, minimum=5)
    assert present.tier_text(nps, 5) == "+12 points (−100 to 100)"


def test_tier_interval_of_a_raw_difference():
    figure = figure_make(key="retention_difference", value=4.8, n=40, minimum=5, ci=(-1.5, 11.0))
    assert present.tier_interval(figure) == "95% CI -1.5 to +11.0 pp"
    assert present.tier_interval(figure_make(key="enrolled", value=40.0, n=40, minimum=5)) == ""


@pytest.mark.parametrize(
    ("currency", "expected"),
    [("EUR", "€345.20"), ("USD", "$345.20"), ("GBP", "£345.20"), ("SEK", "SEK 345.20")],
)
def test_money_follows_the_currency_setting(settings, currency, expected):
    settings.TANDEM_CURRENCY = currency
    assert present.money(345.2) == expected
    assert present.money(-1200, 0).startswith("-")


def test_counts_and_signs():
    assert present.count(425.0) == "425 people"
    assert present.count(1) == "1 person"
    assert present.count(2, "participants", "participant") == "2 participants"
    assert present.signed(3.21, 1) == "+3.2"
    assert present.effect(-1.5, "%", 1) == "-1.5 pp"
    assert present.effect(2.0, "tickets", 1) == "+2.0 tickets"
    assert present.interval(1.0, 2.5, 1) == "95% CI 1.0 to 2.5"
    assert present.share(0.553) == "55%"
    assert present.number(None) == "—"
