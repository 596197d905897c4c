"""Step: xAPI statements from a demo LMS and video platform, stored through the LRS (so learning records,
person links and the data-quality page fill as they would in production).

Courses (cmi5-style: launched, initialized, passed/failed with a score, completed, terminated), videos
(experienced with a duration), assessments (attempted, then passed or failed) and micro-learning. Most actors
are people's work emails; the LMS sends account actors (employee ids) through a mapping; a few external
actors (a contractor agency, an old LMS without mapping) stay unmatched on purpose.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from typing import Any

from tandem.demo.context import DemoContext, PersonState, Step, Tick, register_step
from tandem.lrs.matching import actor_account_mapping_create
from tandem.lrs.models import LrsScope
from tandem.lrs.services import lrs_client_create, statements_store

ADL = "http://adlnet.gov/expapi/verbs/"
ACTIVITY_BASE = "https://learning.demo.example/activities/"
LMS_HOME = "https://lms.demo.example"
OLD_LMS_HOME = "https://old-lms.demo.example"
# Learners per batch of statements sent to the LRS (a batch is a few thousand statements).
PEOPLE_PER_BATCH = 60
# Share of people who take part in learning at all, and activities per learner: sized to keep `tandem demo`
# well under a minute (about 19,000 statements, ~0.6 ms each through the LRS on SQLite).
PARTICIPATION = 0.75
ACTIVITIES_PER_LEARNER = (1, 6)


@dataclass(frozen=True)
class Activity:
    slug: str
    name: str
    kind: str  # course | video | assessment | micro
    minutes: int
    popularity: float


CATALOG: tuple[Activity, ...] = (
    Activity("onboarding-essentials", "Onboarding essentials", "course", 90, 3.0),
    Activity("security-awareness", "Security awareness 2025", "course", 45, 3.0),
    Activity("data-protection", "Data protection basics", "course", 40, 2.0),
    Activity("coaching-conversations", "Coaching conversations for managers", "course", 120, 1.0),
    Activity("customer-empathy", "Customer empathy in support", "course", 60, 1.2),
    Activity("consultative-selling", "Consultative selling", "course", 150, 0.8),
    Activity("cloud-foundations", "Cloud foundations", "course", 180, 1.0),
    Activity("feedback-that-lands", "Feedback that lands", "video", 12, 1.5),
    Activity("ceo-strategy-2025", "CEO strategy talk", "video", 35, 2.0),
    Activity("product-tour", "Product tour: what's new", "video", 18, 1.5),
    Activity("security-quiz", "Security awareness assessment", "assessment", 15, 2.5),
    Activity("product-certification", "Product certification exam", "assessment", 40, 1.0),
    Activity("sql-basics-check", "SQL skills check", "assessment", 25, 0.6),
    Activity("tip-objections", "Micro: handling objections", "micro", 4, 1.0),
    Activity("tip-deescalation", "Micro: de-escalating a call", "micro", 5, 1.0),
    Activity("tip-focus-time", "Micro: protecting focus time", "micro", 3, 1.2),
)
ACTIVITY_TYPES = {
    "course": "http://adlnet.gov/expapi/activities/course",
    "video": "https://w3id.org/xapi/video/activity-type/video",
    "assessment": "http://adlnet.gov/expapi/activities/assessment",
    "micro": "http://adlnet.gov/expapi/activities/module",
}


def _verb(name: str) -> dict[str, Any]:
    return {"id": f"{ADL}{name}", "display": {"en-US": name}}


def _object(activity: Activity) -> dict[str, Any]:
    return {
        "objectType": "Activity",
        "id": f"{ACTIVITY_BASE}{activity.slug}",
        "definition": {"name": {"en-US": activity.name}, "type": ACTIVITY_TYPES[activity.kind]},
    }


def _stamp(at: dt.datetime) -> str:
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


def _duration(seconds: float) -> str:
    return f"PT{max(1, round(seconds))}S"


class _Writer:
    """Builds statements for one learner and activity (one or more attempts)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def statement(
        self, actor: dict[str, Any], verb: str, activity: Activity, at: dt.datetime, **extra: Any
    ) -> dict[str, Any]:
        return {
            "id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            "actor": actor,
            "verb": _verb(verb),
            "object": _object(activity),
            "timestamp": _stamp(at),
            **extra,
        }

    def journey(
        self, actor: dict[str, Any], activity: Activity, start: dt.datetime, skill: float
    ) -> list[dict[str, Any]]:
        rng = self.rng
        out: list[dict[str, Any]] = []
        minutes = activity.minutes * rng.uniform(0.7, 1.5)
        if activity.kind == "course":
            at = start
            for _attempt in range(1 if rng.random() < 0.8 else 2):
                context = {"registration": str(uuid.UUID(int=rng.getrandbits(128), version=4))}
                out.append(self.statement(actor, "launched", activity, at, context=context))
                out.append(
                    self.statement(
                        actor, "initialized", activity, at + dt.timedelta(seconds=20), context=context
                    )
                )
                end = at + dt.timedelta(minutes=minutes)
                if rng.random() < 0.15:  # gave up
                    out.append(
                        self.statement(
                            actor,
                            "terminated",
                            activity,
                            end,
                            context=context,
                            result={"duration": _duration(minutes * 60)},
                        )
                    )
                    at = end + dt.timedelta(days=rng.randint(2, 30))
                    continue
                scaled = round(min(1.0, max(0.2, rng.gauss(0.55 + 0.35 * skill, 0.12))), 2)
                passed = scaled >= 0.7
                result = {
                    "score": {"scaled": scaled, "raw": round(scaled * 100), "min": 0, "max": 100},
                    "success": passed,
                    "duration": _duration(minutes * 60),
                }
                out.append(
                    self.statement(
                        actor, "passed" if passed else "failed", activity, end, context=context, result=result
                    )
                )
                if passed:
                    out.append(
                        self.statement(
                            actor,
                            "completed",
                            activity,
                            end + dt.timedelta(seconds=5),
                            context=context,
                            result={"completion": True},
                        )
                    )
                    break
                at = end + dt.timedelta(days=rng.randint(1, 14))
        elif activity.kind == "video":
            watched = minutes * (1.0 if rng.random() < 0.7 else rng.uniform(0.2, 0.8))
            out.append(
                self.statement(
                    actor,
                    "experienced",
                    activity,
                    start,
                    result={
                        "duration": _duration(watched * 60),
                        "completion": watched >= activity.minutes * 0.95,
                    },
                )
            )
        elif activity.kind == "assessment":
            at = start
            for _attempt in range(rng.choice([1, 1, 1, 2, 3])):
                scaled = round(min(1.0, max(0.0, rng.gauss(0.5 + 0.4 * skill, 0.15))), 2)
                out.append(self.statement(actor, "attempted", activity, at))
                verdict = "passed" if scaled >= 0.75 else "failed"
                out.append(
                    self.statement(
                        actor,
                        verdict,
                        activity,
                        at + dt.timedelta(minutes=minutes),
                        result={
                            "score": {"scaled": scaled, "raw": round(scaled * 40), "min": 0, "max": 40},
                            "success": verdict == "passed",
                            "duration": _duration(minutes * 60),
                        },
                    )
                )
                if verdict == "passed":
                    break
                at += dt.timedelta(days=rng.randint(1, 10))
        else:
            out.append(
                self.statement(
                    actor,
                    "completed",
                    activity,
                    start,
                    result={"completion": True, "duration": _duration(minutes * 60)},
                )
            )
        return out


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


def create_learning(ctx: DemoContext, tick: Tick) -> dict[str, Any]:
    rng = ctx.rng("learning")
    writer = _Writer(rng)
    client, _credentials = lrs_client_create(
        name="Demo LMS and video platform", scopes=[LrsScope.STATEMENTS_WRITE]
    )
    actor_account_mapping_create(home_page=LMS_HOME, source_name="Demo LMS", match_by="employee_id")
    weights = [a.popularity for a in CATALOG]
    end = dt.datetime.combine(ctx.today, dt.time(), tzinfo=dt.UTC) - dt.timedelta(days=1)
    start = dt.datetime.combine(ctx.start, dt.time(), tzinfo=dt.UTC)
    cutoff = _stamp(end + dt.timedelta(days=1))
    learners = sorted(ctx.people.values(), key=lambda p: p.employee_id)
    statements = 0
    batch: list[dict[str, Any]] = []
    for number, person in enumerate(learners, start=1):
        if rng.random() < PARTICIPATION:
            actor = _actor(person, rng)
            skill = rng.random()
            first = max(start, dt.datetime.combine(person.hire_date, dt.time(9), tzinfo=dt.UTC))
            last = (
                min(end, dt.datetime.combine(person.termination_date, dt.time(17), tzinfo=dt.UTC))
                if person.termination_date
                else end
            )
            if first < last:
                picks = {
                    a.slug: a
                    for a in rng.choices(CATALOG, weights=weights, k=rng.randint(*ACTIVITIES_PER_LEARNER))
                }
                for activity in picks.values():
                    at = first + (last - first) * rng.random() ** 0.7
                    at = at.replace(
                        hour=rng.randint(8, 17), minute=rng.randint(0, 59), second=0, microsecond=0
                    )
                    # A journey still under way is cut at today: no statement from the future.
                    journey = writer.journey(actor, activity, at, skill)
                    batch.extend(s for s in journey if s["timestamp"] < cutoff)
        if number % PEOPLE_PER_BATCH == 0 or number == len(learners):
            if batch:
                statements_store(statements=batch, version="1.0.3", client=client)
                statements += len(batch)
                batch = []
            tick(1)
    outsiders: list[dict[str, Any]] = []
    for actor in _unmatched_actors(rng):
        for activity in rng.sample(CATALOG, k=rng.randint(1, 4)):
            journey = writer.journey(actor, activity, start + (end - start) * rng.random(), rng.random())
            outsiders.extend(s for s in journey if s["timestamp"] < cutoff)
    if outsiders:
        statements_store(statements=outsiders, version="1.0.3", client=client)
        statements += len(outsiders)
    return {"statements": statements, "activities": len(CATALOG), "client": client.key}


def _batches(ctx: DemoContext) -> int:
    return max(1, -(-len(ctx.people) // PEOPLE_PER_BATCH))


register_step(
    Step("learning", "xAPI statements and learning records", create_learning, _batches),
    after="initiatives",
)
