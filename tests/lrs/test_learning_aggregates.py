"""learning_aggregates (/learning/department/): statements count for the unit the person was assigned to on
the statement's timestamp date, completions for the unit on the completed_at date (UTC dates)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tandem.lrs.models import LearningRecord, Statement
from tandem.lrs.selectors import GroupFigures, LearningAggregates, _with_complement, learning_aggregates
from tandem.lrs.services import statements_store
from tandem.org.models import Assignment
from tests.factories import OrgUnitFactory, PersonFactory
from tests.lrs.factories import ATTEMPTED, COMPLETED, LrsClientFactory, agent, statement

pytestmark = pytest.mark.django_db

COURSE_1 = "http://example.com/a/course-1"
COURSE_2 = "http://example.com/a/course-2"
SINCE = dt.date(2025, 1, 1)
MOVE = dt.date(2025, 3, 1)


def _person(email: str, unit: Any, *periods: tuple[Any, dt.date, dt.date | None]) -> Any:
    """A person whose current unit is `unit`, with these (unit, valid_from, valid_to) assignments."""
    person = PersonFactory(work_email=email, org_unit=unit, with_assignment=False)
    for org_unit, valid_from, valid_to in periods:
        Assignment.objects.create(person=person, org_unit=org_unit, valid_from=valid_from, valid_to=valid_to)
    return person


def _did(email: str, verb: str, activity: str, timestamp: str) -> dict[str, Any]:
    return statement(actor=agent(email), verb=verb, activity=activity, timestamp=timestamp)


@pytest.fixture
def moved() -> dict[str, Any]:
    """Mo sat in Alpha until 1 March 2025 and in Beta from then on (Person.org_unit says Beta today).

    Al has always been in Alpha, Bo in Beta; Nia joined Beta on 1 April but sent a statement in March.
    """
    alpha = OrgUnitFactory(code="ALPHA", name="Alpha")
    beta = OrgUnitFactory(code="BETA", name="Beta")
    long_ago = dt.date(2024, 1, 1)
    _person("mo@example.com", beta, (alpha, long_ago, MOVE), (beta, MOVE, None))
    _person("al@example.com", alpha, (alpha, long_ago, None))
    _person("bo@example.com", beta, (beta, long_ago, None))
    _person("nia@example.com", beta, (beta, dt.date(2025, 4, 1), None))
    batch = [
        _did("mo@example.com", ATTEMPTED, COURSE_1, "2025-02-10T09:00:00Z"),
        _did("mo@example.com", COMPLETED, COURSE_1, "2025-02-11T09:00:00Z"),
        # 28 Feb 22:30 UTC (1 March in Athens): still Alpha.
        _did("mo@example.com", ATTEMPTED, COURSE_1, "2025-03-01T00:30:00+02:00"),
        # 1 March 01:30 UTC (28 Feb in Rio): already Beta.
        _did("mo@example.com", ATTEMPTED, COURSE_2, "2025-02-28T22:30:00-03:00"),
        _did("mo@example.com", ATTEMPTED, COURSE_2, "2025-03-10T09:00:00Z"),
        _did("mo@example.com", COMPLETED, COURSE_2, "2025-03-12T09:00:00Z"),
        _did("al@example.com", ATTEMPTED, COURSE_1, "2025-02-15T09:00:00Z"),
        _did("bo@example.com", COMPLETED, COURSE_2, "2025-03-20T09:00:00Z"),
        _did("nia@example.com", ATTEMPTED, COURSE_2, "2025-03-15T09:00:00Z"),  # before she joined: no team
        _did("nia@example.com", ATTEMPTED, COURSE_2, "2025-04-10T09:00:00Z"),
    ]
    statements_store(statements=batch, version="1.0.3", client=LrsClientFactory())
    assert not Statement.objects.filter(person__isnull=True).exists()
    return {"alpha": alpha, "beta": beta}


def _teams(figures: LearningAggregates) -> dict[str, tuple[int | None, int | None, int | None]]:
    return {group.label: (group.people, group.statements, group.completions) for group in figures.by_team}


def _activities(figures: LearningAggregates) -> dict[str, GroupFigures]:
    return {group.key: group for group in figures.by_activity}


def _months(figures: LearningAggregates) -> dict[str, tuple[int | None, int | None, int | None]]:
    return {
        month.isoformat()[:7]: (group.people, group.statements, group.completions)
        for month, group in figures.by_month
        if dt.date(2025, 1, 1) <= month <= dt.date(2025, 4, 1)
    }


def test_learning_aggregates_group_by_the_unit_on_the_statement_date(moved):
    figures = learning_aggregates(org_unit_ids=None, since=SINCE, minimum=1)
    assert (figures.people, figures.statements) == (4, 10)
    # (people, statements, completions): Mo's February learning stays with Alpha although he is in Beta now.
    assert _teams(figures) == {"Alpha": (2, 4, 1), "Beta": (3, 5, 2), "No team": (1, 1, 0)}
    assert {group.label: group.key for group in figures.by_team} == {
        "Alpha": "ALPHA",
        "Beta": "BETA",
        "No team": "",
    }


def test_learning_aggregates_scope_excludes_statements_from_before_or_after_the_unit(moved):
    alpha = learning_aggregates(org_unit_ids=[moved["alpha"].pk], since=SINCE, minimum=1)
    assert (alpha.people, alpha.statements) == (2, 4)
    assert _teams(alpha) == {"Alpha": (2, 4, 1)}
    activities = _activities(alpha)
    assert set(activities) == {COURSE_1}  # Mo's course-2 learning happened in Beta
    assert (
        activities[COURSE_1].people,
        activities[COURSE_1].statements,
        activities[COURSE_1].completions,
    ) == (
        2,
        4,
        1,
    )
    none = (None, None, None)  # no one: under any minimum
    assert _months(alpha) == {"2025-01": none, "2025-02": (2, 4, 1), "2025-03": none, "2025-04": none}

    beta = learning_aggregates(org_unit_ids=[moved["beta"].pk], since=SINCE, minimum=1)
    # Nia's March statement predates her assignment: outside Beta, and outside every department.
    assert (beta.people, beta.statements) == (3, 5)
    assert _teams(beta) == {"Beta": (3, 5, 2)}
    course_2 = _activities(beta)[COURSE_2]
    assert (course_2.people, course_2.statements, course_2.completions) == (3, 5, 2)
    assert _months(beta) == {"2025-01": none, "2025-02": none, "2025-03": (2, 4, 2), "2025-04": (1, 1, 0)}

    both = learning_aggregates(org_unit_ids=[moved["alpha"].pk, moved["beta"].pk], since=SINCE, minimum=1)
    assert (both.people, both.statements) == (4, 9)


def test_learning_aggregates_completions_follow_the_completed_at_date(moved):
    # Mo completed course 1 in February (Alpha) and attempts it again in April (Beta): the completion stays.
    statements_store(
        statements=[_did("mo@example.com", ATTEMPTED, COURSE_1, "2025-04-02T09:00:00Z")],
        version="1.0.3",
        client=LrsClientFactory(),
    )
    record = LearningRecord.objects.get(actor_ifi="mbox:mailto:mo@example.com", activity_id=COURSE_1)
    assert record.completed_at == dt.datetime(2025, 2, 11, 9, tzinfo=dt.UTC)
    alpha = learning_aggregates(org_unit_ids=[moved["alpha"].pk], since=SINCE, minimum=1)
    beta = learning_aggregates(org_unit_ids=[moved["beta"].pk], since=SINCE, minimum=1)
    assert _activities(alpha)[COURSE_1].completions == 1
    assert _activities(beta)[COURSE_1].completions == 0 and _activities(beta)[COURSE_1].statements == 1
    assert _teams(beta)["Beta"] == (3, 6, 2)  # Mo's and Bo's course-2 completions only
    # Had Mo joined Alpha only on 12 February, the completion of the 11th would belong to no team.
    Assignment.objects.filter(person__work_email="mo@example.com", org_unit=moved["alpha"]).update(
        valid_from=dt.date(2025, 2, 12)
    )
    alpha = learning_aggregates(org_unit_ids=[moved["alpha"].pk], since=SINCE, minimum=1)
    assert _activities(alpha)[COURSE_1].completions == 0
    everyone = learning_aggregates(org_unit_ids=None, since=SINCE, minimum=1)
    assert _teams(everyone)["No team"] == (2, 3, 1)  # Mo on 10-11 Feb, Nia in March; Mo's completion


def test_learning_aggregates_person_without_assignment_on_the_date_is_in_no_team(moved):
    figures = learning_aggregates(org_unit_ids=None, since=SINCE, minimum=1)
    assert _teams(figures)["No team"] == (1, 1, 0)
    # The current unit (Person.org_unit) plays no part: Nia is in Beta today.
    Assignment.objects.filter(person__work_email="nia@example.com").delete()
    figures = learning_aggregates(org_unit_ids=None, since=SINCE, minimum=1)
    assert _teams(figures)["No team"] == (1, 2, 0)
    assert _teams(figures)["Beta"] == (2, 4, 2)


def test_learning_aggregates_minimum_suppresses_groups_by_unit_on_the_date(moved):
    figures = learning_aggregates(org_unit_ids=None, since=SINCE, minimum=3)
    teams = {group.label: group for group in figures.by_team}
    assert (
        teams["Alpha"].suppressed and teams["Alpha"].statements is None and teams["Alpha"].completions is None
    )
    assert not teams["Beta"].suppressed and teams["Beta"].people == 3
    assert teams["No team"].suppressed
    assert figures.people == 4  # overall: 4 people >= 3
    alpha = learning_aggregates(org_unit_ids=[moved["alpha"].pk], since=SINCE, minimum=3)
    assert alpha.people is None and alpha.statements is None
    assert all(group.suppressed for group in alpha.by_team + alpha.by_activity)
    assert all(group.suppressed for _month, group in alpha.by_month)
    exactly = learning_aggregates(org_unit_ids=[moved["alpha"].pk], since=SINCE, minimum=2)
    assert exactly.people == 2 and not exactly.by_team[0].suppressed  # fewer than `minimum`, not at most


def test_learning_aggregates_hide_a_second_group_when_one_is_hidden_alone(moved):
    """Complementary suppression: with one team hidden, total minus the others would give its figures."""
    figures = learning_aggregates(org_unit_ids=None, since=SINCE, minimum=2)
    assert figures.statements == 10  # the total is shown
    teams = _teams(figures)
    # "No team" (1 person) is under the minimum; Alpha (2 people, 4 statements) is the smallest shown team.
    assert teams == {"Alpha": (None, None, None), "Beta": (3, 5, 2), "No team": (None, None, None)}
    # Two or more hidden already: nothing more is hidden (minimum 3 hides Alpha and "No team" by size).
    teams = _teams(learning_aggregates(org_unit_ids=None, since=SINCE, minimum=3))
    assert teams == {"Alpha": (None, None, None), "Beta": (3, 5, 2), "No team": (None, None, None)}


def test_complement_hides_the_smallest_shown_group_only_when_one_is_hidden():
    def group(key: str, people: int | None, statements: int | None) -> GroupFigures:
        return GroupFigures(key=key, label=key, people=people, statements=statements, completions=people)

    one_hidden = [group("a", 9, 90), group("b", None, None), group("c", 5, 70), group("d", 5, 60)]
    complemented = _with_complement(one_hidden)
    assert [g.suppressed for g in complemented] == [False, True, False, True]
    assert [g.complement for g in complemented] == [False, False, False, True]  # d: fewer statements than c
    none_hidden = [group("a", 9, 90), group("c", 5, 70)]
    assert _with_complement(none_hidden) == none_hidden
    two_hidden = [group("a", 9, 90), group("b", None, None), group("c", None, None)]
    assert _with_complement(two_hidden) == two_hidden
    assert _with_complement([group("b", None, None)]) == [group("b", None, None)]


@pytest.mark.parametrize("scoped", [False, True])
def test_learning_aggregates_query_count_does_not_grow_with_data(moved, scoped):
    units = [moved["alpha"].pk, moved["beta"].pk] if scoped else None
    with CaptureQueriesContext(connection) as few:
        learning_aggregates(org_unit_ids=units, since=SINCE, minimum=1)
    # Twenty more people, each moving from Alpha to Beta in a different month, with statements either side.
    batch = []
    for i in range(20):
        move = dt.date(2025, 2 + i % 3, 1 + i)
        _person(
            f"x{i}@example.com",
            moved["beta"],
            (moved["alpha"], dt.date(2024, 1, 1), move),
            (moved["beta"], move, None),
        )
        for day in (move - dt.timedelta(days=1), move):
            batch.append(
                _did(f"x{i}@example.com", COMPLETED, f"http://example.com/a/x{i}", f"{day}T12:00:00Z")
            )
    statements_store(statements=batch, version="1.0.3", client=LrsClientFactory())
    with CaptureQueriesContext(connection) as many:
        figures = learning_aggregates(org_unit_ids=units, since=SINCE, minimum=1)
    # Seven aggregates (totals; per activity and its completions; per team and its completions; per month and
    # its completions) and the activities' names.
    assert len(many.captured_queries) == len(few.captured_queries) == 8
    teams = _teams(figures)
    # Each newcomer's day before the move counts for Alpha, the day of the move for Beta; the completion (the
    # earlier statement) for Alpha.
    assert teams["Alpha"] == (22, 24, 21)
    assert teams["Beta"] == (23, 25, 2)
    # One query per aggregate: the dated join and the EXISTS are in the SQL, not a loop in Python.
    team_sql = [query["sql"] for query in many.captured_queries if "org_orgunit" in query["sql"]]
    assert len(team_sql) == 1 and "org_assignment" in team_sql[0]
