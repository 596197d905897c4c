"""Step: xAPI statements from a demo LMS, video platform and coaching provider, stored through the LRS (so
learning records, person links and the data-quality page fill as they would in production).

Two kinds of learning (statements built in tandem.demo.steps.lms):

* On their own: over the 24 months of history each learner takes courses, videos, assessments and
  micro-learning from the catalogue month by month while employed, at their own pace: about 200,000
  statements.
* In a program: the step runs after the programs steps and reads who is enrolled in which wave. Most of the
  enrolled start in the first weeks after their wave's start, most starters go through every program
  activity — a course over days to weeks (sometimes failed and retaken), weekly coaching sessions over six to
  eight weeks, a micro-lesson — and the rest drop out part-way. Program activities are left out of the
  enrolled people's own picks, so a program's figures (started, completed, time to complete) come from the
  program alone.

Nothing is dated after today or after the person left. Most actors are people's work emails; the LMS sends
account actors (employee ids) through a mapping; a few external actors (a contractor agency, an old LMS
without mapping) stay unmatched on purpose.

The statements are built here, so they go through statements_store_generated: the store's write path
(relations, people, activity definitions, learning records) without xAPI validation, which would be most
of the step's time and can only pass.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection

from tandem.core.scope import PersonScope
from tandem.demo.context import DemoContext, PersonState, Step, Tick, register_step
from tandem.demo.steps.lms import (
    ACTIVITY_BASE,
    BY_SLUG,
    COACHING_SESSIONS,
    SELF_SERVE,
    Activity,
    Writer,
    at_work,
    stamp,
)
from tandem.impact.selectors import program_get, program_list, program_participants_as_of
from tandem.lrs.matching import actor_account_mapping_create
from tandem.lrs.models import LrsScope
from tandem.lrs.services import lrs_client_create, statements_analyze, statements_store_generated

LMS_HOME = "https://lms.demo.example"
OLD_LMS_HOME = "https://old-lms.demo.example"
# Learners per batch of statements sent to the LRS (a batch is several thousand statements).
PEOPLE_PER_BATCH = 60
# Share of people who take part in learning on their own at all, and what a learner starts per month of
# employment at an average pace (each learner's pace varies around it): about 200,000 statements over 24 months.
PARTICIPATION = 0.85
PER_MONTH = {"course": 0.18, "video": 0.37, "assessment": 0.1, "micro": 0.85}
# Of the people enrolled in a program, the share who start it; of the starters, the share who go through
# every program activity (the others drop out part-way).
PROGRAM_START = 0.9
PROGRAM_FINISH = 0.8
# SQLite page cache for the step (see _sqlite_cache).
SQLITE_CACHE_MIB = 512


@dataclass(frozen=True)
class Enrolment:
    program: str
    wave_start: dt.date
    activities: tuple[Activity, ...]


def _actor(person: PersonState, rng: random.Random) -> dict[str, Any]:
    # Most platforms send the work email; the LMS sends account ids (mapped below by employee id).
    if rng.random() < 0.25:
        return {"objectType": "Agent", "account": {"homePage": LMS_HOME, "name": person.employee_id}}
    return {
        "objectType": "Agent",
        "name": f"{person.first_name} {person.last_name}",
        "mbox": f"mailto:{person.work_email}",
    }


def _unmatched_actors(rng: random.Random) -> list[dict[str, Any]]:
    agency = [{"objectType": "Agent", "mbox": f"mailto:contractor{n}@agency.example"} for n in range(1, 9)]
    old_lms = [
        {"objectType": "Agent", "account": {"homePage": OLD_LMS_HOME, "name": f"u{rng.randint(1000, 9999)}"}}
        for _ in range(6)
    ]
    return agency + old_lms


def _count(rng: random.Random, mean: float) -> int:
    """A whole number with the given mean (the fractional part decides one more)."""
    whole = int(mean)
    return whole + (rng.random() < mean - whole)


def _learner_journeys(
    writer: Writer,
    person: PersonState,
    actor: dict[str, Any],
    window: tuple[dt.datetime, dt.datetime],
    skip: frozenset[str],
) -> list[dict[str, Any]]:
    """Everything one learner did on their own while employed in the window, at their own pace (leaving out
    the activities of programs they are enrolled in)."""
    rng = writer.rng
    skill, pace = rng.random(), rng.gammavariate(2.0, 0.5)
    first = max(window[0], dt.datetime.combine(person.hire_date, dt.time(9), tzinfo=dt.UTC))
    last = (
        min(window[1], dt.datetime.combine(person.termination_date, dt.time(17), tzinfo=dt.UTC))
        if person.termination_date
        else window[1]
    )
    if first >= last:
        return []
    months = (last - first).days / 30.44
    picked: list[Activity] = []
    for kind, rate in PER_MONTH.items():
        options = [a for a in SELF_SERVE if a.kind == kind]
        wanted = _count(rng, rate * pace * months)
        if kind in ("course", "assessment"):  # taken once (with retries inside the journey)
            chosen = {a.slug: a for a in rng.choices(options, [a.popularity for a in options], k=wanted)}
            picked.extend(chosen.values())
        else:  # videos are watched again, tips revisited
            picked.extend(rng.choices(options, [a.popularity for a in options], k=wanted))
    out: list[dict[str, Any]] = []
    for activity in picked:
        at = at_work(first + (last - first) * rng.random() ** 0.8, rng)
        journey = writer.journey(actor, activity, at, skill)
        if activity.slug not in skip:  # drawn all the same, so enrolment does not reshuffle the rest
            out.extend(journey)
    return out


def _program_activity(
    writer: Writer, actor: dict[str, Any], activity: Activity, at: dt.datetime, skill: float, finish: bool
) -> list[dict[str, Any]]:
    """One program activity, gone through to the end (finish) or left part-way."""
    rng = writer.rng
    minutes = activity.minutes * rng.uniform(0.8, 1.3)
    if activity.kind == "course":
        # Self-paced over days to weeks (a median of 5 to 18 days, longer courses longer), then the final
        # test: a finisher retakes a failed test up to twice; someone dropping out stops before it.
        typical = min(18.0, max(5.0, activity.minutes / 10))
        span = min(30.0, max(3.0, rng.lognormvariate(math.log(typical), 0.5)))
        return writer.course(
            actor,
            activity,
            at,
            skill,
            minutes=minutes,
            span_days=span if finish else span * rng.uniform(0.2, 0.7),
            attempts=3 if finish else 1,
            give_up=0.0 if finish else 1.0,
            boost=0.1,
        )
    if activity.kind == "coaching":
        return writer.coaching(actor, activity, at, sessions=COACHING_SESSIONS, finish=finish)
    if activity.kind == "micro":
        later = at_work(at + dt.timedelta(days=rng.uniform(0, 14)), rng)
        return writer.micro(actor, activity, later, minutes=minutes, finish=finish)
    if activity.kind == "assessment":
        return writer.assessment(actor, activity, at, skill, minutes=minutes)
    return writer.video(actor, activity, at)


def _program_journeys(writer: Writer, actor: dict[str, Any], enrolment: Enrolment) -> list[dict[str, Any]]:
    """What one enrolled person did on a program's activities: nothing, all of them, or part of them."""
    rng = writer.rng
    skill = rng.random()
    if rng.random() >= PROGRAM_START:
        return []
    finish = rng.random() < PROGRAM_FINISH
    # Most begin within days of their wave's start (a reminder brings in the late ones).
    begin = dt.datetime.combine(enrolment.wave_start, dt.time(9), tzinfo=dt.UTC)
    begin += dt.timedelta(days=min(28.0, rng.expovariate(1 / 4)))
    activities = enrolment.activities
    left_open = rng.randrange(len(activities))  # a drop-out leaves this one unfinished at least
    out: list[dict[str, Any]] = []
    for number, activity in enumerate(activities):
        if finish or number == left_open:
            done = finish
        else:
            choice = rng.random()
            if choice < 0.3:
                continue  # never opened it
            done = choice < 0.65
        at = at_work(begin + dt.timedelta(days=rng.uniform(0, 5)), rng)
        out.extend(_program_activity(writer, actor, activity, at, skill, done))
    return out


def _enrolments(ctx: DemoContext) -> dict[str, list[Enrolment]]:
    """Who is in which program's wave (as the programs steps left it), with the program's demo activities."""
    found: dict[str, list[Enrolment]] = defaultdict(list)
    for summary in sorted(program_list(scope=PersonScope.all()), key=lambda s: s.code):
        detail = program_get(scope=PersonScope.all(), program_id=summary.id)
        slugs = [a.activity_iri.removeprefix(ACTIVITY_BASE) for a in detail.activities]
        activities = tuple(BY_SLUG[slug] for slug in slugs if slug in BY_SLUG)
        if not activities:
            continue
        for participant in program_participants_as_of(
            scope=PersonScope.all(), program_id=summary.id, on=ctx.today
        ):
            found[participant.employee_id].append(
                Enrolment(program=summary.code, wave_start=participant.cohort_start, activities=activities)
            )
    return found


@contextmanager
def _sqlite_cache(mebibytes: int) -> Iterator[None]:
    """A larger SQLite page cache while the step writes ~0.5 GB in the build's one transaction.

    With the default 2 MiB, dirty index pages spill to the WAL and are read back over and over (most of the
    step's system time). PostgreSQL has its own buffers: nothing to do there.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {-1024 * mebibytes}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def create_learning(ctx: DemoContext, tick: Tick) -> dict[str, Any]:
    with _sqlite_cache(SQLITE_CACHE_MIB):
        return _create_learning(ctx, tick)


def _create_learning(ctx: DemoContext, tick: Tick) -> dict[str, Any]:
    rng = ctx.rng("learning")
    writer = Writer(rng)
    # Programs draw from their own generator: enrolment changes nothing in the rest of the learning.
    program_writer = Writer(ctx.rng("learning-programs"))
    client, _credentials = lrs_client_create(
        name="Demo LMS and video platform", scopes=[LrsScope.STATEMENTS_WRITE]
    )
    actor_account_mapping_create(home_page=LMS_HOME, source_name="Demo LMS", match_by="employee_id")
    end = dt.datetime.combine(ctx.today, dt.time(), tzinfo=dt.UTC) - dt.timedelta(days=1)
    start = dt.datetime.combine(ctx.start, dt.time(), tzinfo=dt.UTC)
    cutoff = stamp(end + dt.timedelta(days=1))
    enrolments = _enrolments(ctx)
    learners = sorted(ctx.people.values(), key=lambda p: p.employee_id)
    statements = program_statements = 0
    batch: list[dict[str, Any]] = []
    for number, person in enumerate(learners, start=1):
        actor = _actor(person, rng)
        enrolled = enrolments.get(person.employee_id, [])
        journeys = []
        if rng.random() < PARTICIPATION:
            skip = frozenset(a.slug for e in enrolled for a in e.activities)
            journeys = _learner_journeys(writer, person, actor, (start, end), skip)
        in_programs = [s for e in enrolled for s in _program_journeys(program_writer, actor, e)]
        # A journey still under way is cut at today, and at the person's last day: no statement after either.
        limit = cutoff
        if person.termination_date is not None:
            limit = min(
                cutoff, stamp(dt.datetime.combine(person.termination_date, dt.time(18), tzinfo=dt.UTC))
            )
        batch.extend(s for s in journeys if s["timestamp"] < limit)
        kept = [s for s in in_programs if s["timestamp"] < limit]
        batch.extend(kept)
        program_statements += len(kept)
        if number % PEOPLE_PER_BATCH == 0 or number == len(learners):
            if batch:
                statements_store_generated(statements=batch, version="1.0.3", client=client)
                statements += len(batch)
                batch = []
            tick(1)
    outsiders: list[dict[str, Any]] = []
    for actor in _unmatched_actors(rng):
        for activity in rng.sample(SELF_SERVE, k=rng.randint(1, 4)):
            journey = writer.journey(actor, activity, start + (end - start) * rng.random(), rng.random())
            outsiders.extend(s for s in journey if s["timestamp"] < cutoff)
    if outsiders:
        statements_store_generated(statements=outsiders, version="1.0.3", client=client)
        statements += len(outsiders)
    statements_analyze()  # the tables grew from nothing to 200,000 statements
    return {
        "statements": statements,
        "program_statements": program_statements,
        "program_learners": len(enrolments),
        "activities": len(BY_SLUG),
        "client": client.key,
    }


def _batches(ctx: DemoContext) -> int:
    return max(1, -(-len(ctx.people) // PEOPLE_PER_BATCH))


register_step(
    Step("learning", "xAPI statements and learning records", create_learning, _batches),
    after="programs-more",
)
