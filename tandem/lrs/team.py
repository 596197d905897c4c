"""A team's learning for its manager and a learning-data check for L&D's home page.

Team figures follow the department page's rules (tandem.lrs.selectors.learning_aggregates): no figure for a
group of fewer than the minimum number of people, and a group hidden alone takes the smallest shown one with
it. Individual records only for the people the caller passes (tandem.accounts.selectors
.learning_shared_person_ids decides who they are).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Count, Q

from tandem.lrs.learning import (
    NamedLearningRecord,
    activity_names,
    learning_records_for,
    survey_activity_ids,
)
from tandem.lrs.matching import unmatched_actor_summary
from tandem.lrs.models import LearningRecord

# Same rules as the department page: one definition of a group figure and of complementary suppression.
from tandem.lrs.selectors import GroupFigures, _figures, _with_complement


@dataclass(frozen=True)
class TeamLearning:
    minimum: int
    team_size: int
    since: dt.date
    learners: int | None  # people with learning since `since`; None: the team or the figure is too small
    completions: int | None  # people who completed something since `since`
    by_activity: list[GroupFigures]

    @property
    def too_small(self) -> bool:
        return self.team_size < self.minimum


def team_learning(*, person_ids: Collection[int], since: dt.date, minimum: int, top: int = 8) -> TeamLearning:
    """Learning of these people (a manager's reporting line) active since `since`: three queries."""
    people = list(person_ids)
    empty = TeamLearning(
        minimum=minimum, team_size=len(people), since=since, learners=None, completions=None, by_activity=[]
    )
    if len(people) < minimum:
        return empty
    start = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
    records = LearningRecord.objects.filter(person_id__in=people, last_attempt__gte=start)
    done = Q(completed=True, completed_at__gte=start)
    totals = records.aggregate(
        learners=Count("person", distinct=True), completions=Count("person", distinct=True, filter=done)
    )
    overall = _figures("all", "All", totals["learners"], 0, 0, minimum)
    rows = list(
        records.values("activity_id")
        .annotate(
            learners=Count("person", distinct=True), completions=Count("person", distinct=True, filter=done)
        )
        .order_by("-learners", "activity_id")[:top]
    )
    names = activity_names(activity_ids={row["activity_id"] for row in rows})
    by_activity = [
        _figures(
            row["activity_id"],
            names.get(row["activity_id"], row["activity_id"]),
            row["learners"],
            0,
            row["completions"],
            minimum,
        )
        for row in rows
    ]
    learners = overall.people
    return TeamLearning(
        minimum=minimum,
        team_size=len(people),
        since=since,
        learners=learners,
        # Completers are a subgroup: shown only when they are a group large enough themselves.
        completions=totals["completions"]
        if learners is not None and totals["completions"] >= minimum
        else None,
        by_activity=_with_complement(by_activity),
    )


@dataclass(frozen=True)
class PersonLearning:
    person_id: int
    record: NamedLearningRecord


def team_recent_records(
    *, person_ids: Collection[int], since: dt.date, limit: int = 15
) -> list[PersonLearning]:
    """The most recent learning records of these people (already allowed to be seen one by one): two queries."""
    if not person_ids:
        return []
    start = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
    rows = sorted(
        learning_records_for(person_ids=person_ids, active_since=start),
        key=lambda row: row.last_attempt,
        reverse=True,
    )[:limit]
    ids = {row.activity_id for row in rows}
    names, surveys = activity_names(activity_ids=ids), survey_activity_ids(activity_ids=ids)
    return [
        PersonLearning(
            person_id=row.person_id or 0,
            record=NamedLearningRecord(
                record=row, name=names.get(row.activity_id, ""), survey=row.activity_id in surveys
            ),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class LearningDataProblems:
    """What the data-quality page would show, counted: statements nobody could be matched to."""

    unmatched_actors: int
    unmatched_statements: int

    @property
    def any(self) -> bool:
        return self.unmatched_actors > 0


def learning_data_problems() -> LearningDataProblems:
    """Actors with statements that could be people but match nobody, and their statements, counted exactly as
    the data-quality page counts them (unmatched_actor_summary: anonymous survey respondents apart)."""
    summary = unmatched_actor_summary()
    return LearningDataProblems(unmatched_actors=summary.actors, unmatched_statements=summary.statements)
