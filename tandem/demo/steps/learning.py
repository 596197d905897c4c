"""Step: xAPI statements from a demo LMS and video platform, stored through the LRS (so learning records,
person links and the data-quality page fill as they would in production).

Courses (cmi5-style: launched, initialized, progressed, passed/failed with a score, completed, terminated),
videos (xAPI video profile: initialized, played, paused, completed or terminated, with durations), assessments
(attempted, then passed or failed) and micro-learning (experienced, completed). Over the 24 months of history
each learner takes part month by month while employed, at their own pace: about 200,000 statements. Most
actors are people's work emails; the LMS sends account actors (employee ids) through a mapping; a few
external actors (a contractor agency, an old LMS without mapping) stay unmatched on purpose.

The statements are built here, so they go through statements_store_generated: the store's write path
(relations, people, activity definitions, learning records) without xAPI validation, which would be most
of the step's time and can only pass.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection

from tandem.demo.context import DemoContext, PersonState, Step, Tick, register_step
from tandem.lrs.matching import actor_account_mapping_create
from tandem.lrs.models import LrsScope
from tandem.lrs.services import lrs_client_create, statements_store_generated

ADL = "http://adlnet.gov/expapi/verbs/"
VIDEO_VERBS = "https://w3id.org/xapi/video/verbs/"
VIDEO_EXT = "https://w3id.org/xapi/video/extensions/"
ACTIVITY_BASE = "https://learning.demo.example/activities/"
LMS_HOME = "https://lms.demo.example"
OLD_LMS_HOME = "https://old-lms.demo.example"
# Learners per batch of statements sent to the LRS (a batch is several thousand statements).
PEOPLE_PER_BATCH = 60
# Share of people who take part in learning at all, and what a learner starts per month of employment at
# an average pace (each learner's pace varies around it): about 200,000 statements over 24 months.
PARTICIPATION = 0.85
# SQLite page cache for the step (see _sqlite_cache).
SQLITE_CACHE_MIB = 512
PER_MONTH = {"course": 0.18, "video": 0.37, "assessment": 0.1, "micro": 1.0}


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
    Activity("project-fundamentals", "Project management fundamentals", "course", 120, 0.9),
    Activity("presenting-with-impact", "Presenting with impact", "course", 75, 0.8),
    Activity("inclusive-leadership", "Inclusive leadership", "course", 90, 0.7),
    Activity("excel-for-analysts", "Excel for analysts", "course", 100, 0.9),
    Activity("agile-ways-of-working", "Agile ways of working", "course", 60, 1.0),
    Activity("town-hall-recording", "Quarterly town hall (recording)", "video", 50, 1.6),
    Activity("customer-stories", "Customer stories: a day with our users", "video", 22, 1.2),
    Activity("wellbeing-at-work", "Wellbeing at work", "video", 15, 1.0),
    Activity("git-in-15-minutes", "Git in 15 minutes", "video", 15, 0.6),
    Activity("privacy-quiz", "Data protection quiz", "assessment", 10, 1.5),
    Activity("excel-skills-check", "Excel skills check", "assessment", 20, 0.7),
    Activity("tip-one-to-ones", "Micro: better one-to-ones", "micro", 4, 1.0),
    Activity("tip-phishing", "Micro: spotting a phishing email", "micro", 3, 1.5),
    Activity("tip-meeting-notes", "Micro: meeting notes that get read", "micro", 3, 0.9),
    Activity("tip-active-listening", "Micro: active listening", "micro", 4, 1.0),
    Activity("tip-giving-praise", "Micro: giving specific praise", "micro", 3, 0.8),
    Activity("tip-shortcuts", "Micro: ten keyboard shortcuts", "micro", 2, 0.9),
    Activity("tip-writing-emails", "Micro: shorter emails", "micro", 3, 1.0),
    Activity("tip-prioritising", "Micro: prioritising with a 2x2", "micro", 4, 0.9),
    Activity("tip-asking-questions", "Micro: open questions", "micro", 3, 0.8),
    Activity("tip-break-habits", "Micro: taking real breaks", "micro", 2, 0.7),
)
CMI5_PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
ACTIVITY_TYPES = {
    "course": "http://adlnet.gov/expapi/activities/course",
    "video": "https://w3id.org/xapi/video/activity-type/video",
    "assessment": "http://adlnet.gov/expapi/activities/assessment",
    "micro": "http://adlnet.gov/expapi/activities/module",
}


def _verb(name: str, base: str = ADL) -> dict[str, Any]:
    return {"id": f"{base}{name}", "display": {"en-US": name}}


VERBS = {
    name: _verb(name)
    for name in ("launched", "initialized", "progressed", "passed", "failed", "completed", "terminated",
                 "experienced", "attempted")
} | {name: _verb(name, VIDEO_VERBS) for name in ("played", "paused")}  # fmt: skip


def _object(activity: Activity) -> dict[str, Any]:
    return {
        "objectType": "Activity",
        "id": f"{ACTIVITY_BASE}{activity.slug}",
        "definition": {"name": {"en-US": activity.name}, "type": ACTIVITY_TYPES[activity.kind]},
    }


OBJECTS = {activity.slug: _object(activity) for activity in CATALOG}


def _stamp(at: dt.datetime) -> str:
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


def _duration(seconds: float) -> str:
    return f"PT{max(1, round(seconds))}S"


class _Writer:
    """Builds statements for one learner and activity (one or more attempts).

    Verb and object dicts are shared between statements: the store never modifies nested values.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def statement(
        self, actor: dict[str, Any], verb: str, activity: Activity, at: dt.datetime, **extra: Any
    ) -> dict[str, Any]:
        return {
            "id": self.uuid(),
            "actor": actor,
            "verb": VERBS[verb],
            "object": OBJECTS[activity.slug],
            "timestamp": _stamp(at),
            **extra,
        }

    def journey(
        self, actor: dict[str, Any], activity: Activity, start: dt.datetime, skill: float
    ) -> list[dict[str, Any]]:
        builder = {
            "course": self._course,
            "video": self._video,
            "assessment": self._assessment,
            "micro": self._micro,
        }[activity.kind]
        return builder(actor, activity, start, skill, activity.minutes * self.rng.uniform(0.7, 1.5))

    def _course(
        self, actor: dict[str, Any], activity: Activity, start: dt.datetime, skill: float, minutes: float
    ) -> list[dict[str, Any]]:
        rng, out, at = self.rng, [], start
        for _attempt in range(1 if rng.random() < 0.8 else 2):
            context = {"registration": self.uuid()}
            out.append(self.statement(actor, "launched", activity, at, context=context))
            out.append(
                self.statement(actor, "initialized", activity, at + dt.timedelta(seconds=20), context=context)
            )
            end = at + dt.timedelta(minutes=minutes)
            for step in range(rng.randint(1, 3)):  # cmi5 progress along the way
                share = (step + 1) / 4
                out.append(
                    self.statement(
                        actor,
                        "progressed",
                        activity,
                        at + (end - at) * share,
                        context=context,
                        result={"extensions": {CMI5_PROGRESS: round(share * 100)}},
                    )
                )
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
        return out

    def _video(
        self, actor: dict[str, Any], activity: Activity, start: dt.datetime, skill: float, minutes: float
    ) -> list[dict[str, Any]]:
        """xAPI video profile: one session (registration) from initialized to completed or terminated."""
        rng = self.rng
        length = activity.minutes * 60
        watched = length * (1.0 if rng.random() < 0.7 else rng.uniform(0.2, 0.8))
        context = {
            "registration": self.uuid(),
            "extensions": {f"{VIDEO_EXT}length": length, f"{VIDEO_EXT}session-id": self.uuid()},
        }
        out = [
            self.statement(actor, "initialized", activity, start, context=context),
            self.statement(
                actor,
                "played",
                activity,
                start + dt.timedelta(seconds=3),
                context=context,
                result={"extensions": {f"{VIDEO_EXT}time": 0}},
            ),
        ]
        at = start + dt.timedelta(seconds=3 + watched)
        if rng.random() < 0.5:  # a pause half way
            pause = start + dt.timedelta(seconds=3 + watched / 2)
            out.append(
                self.statement(
                    actor,
                    "paused",
                    activity,
                    pause,
                    context=context,
                    result={"extensions": {f"{VIDEO_EXT}time": round(watched / 2)}},
                )
            )
            out.append(
                self.statement(
                    actor,
                    "played",
                    activity,
                    pause + dt.timedelta(seconds=40),
                    context=context,
                    result={"extensions": {f"{VIDEO_EXT}time": round(watched / 2)}},
                )
            )
            at += dt.timedelta(seconds=40)
        done = watched >= length * 0.95
        out.append(
            self.statement(
                actor,
                "completed" if done else "terminated",
                activity,
                at,
                context=context,
                result={
                    "duration": _duration(watched),
                    "completion": done,
                    "extensions": {f"{VIDEO_EXT}progress": round(watched / length, 2)},
                },
            )
        )
        return out

    def _assessment(
        self, actor: dict[str, Any], activity: Activity, start: dt.datetime, skill: float, minutes: float
    ) -> list[dict[str, Any]]:
        rng, out, at = self.rng, [], start
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
        return out

    def _micro(
        self, actor: dict[str, Any], activity: Activity, start: dt.datetime, skill: float, minutes: float
    ) -> list[dict[str, Any]]:
        out = [self.statement(actor, "experienced", activity, start)]
        if self.rng.random() < 0.85:
            out.append(
                self.statement(
                    actor,
                    "completed",
                    activity,
                    start + dt.timedelta(minutes=minutes),
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


def _count(rng: random.Random, mean: float) -> int:
    """A whole number with the given mean (the fractional part decides one more)."""
    whole = int(mean)
    return whole + (rng.random() < mean - whole)


def _learner_journeys(
    writer: _Writer, person: PersonState, window: tuple[dt.datetime, dt.datetime], cutoff: str
) -> list[dict[str, Any]]:
    """Everything one learner did while employed in the window, at their own pace."""
    rng = writer.rng
    actor = _actor(person, rng)
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
        options = [a for a in CATALOG if a.kind == kind]
        wanted = _count(rng, rate * pace * months)
        if kind in ("course", "assessment"):  # taken once (with retries inside the journey)
            chosen = {a.slug: a for a in rng.choices(options, [a.popularity for a in options], k=wanted)}
            picked.extend(chosen.values())
        else:  # videos are watched again, tips revisited
            picked.extend(rng.choices(options, [a.popularity for a in options], k=wanted))
    out: list[dict[str, Any]] = []
    for activity in picked:
        at = first + (last - first) * rng.random() ** 0.8
        at = at.replace(hour=rng.randint(8, 17), minute=rng.randint(0, 59), second=0, microsecond=0)
        # A journey still under way is cut at today: no statement from the future.
        out.extend(s for s in writer.journey(actor, activity, at, skill) if s["timestamp"] < cutoff)
    return out


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
    writer = _Writer(rng)
    client, _credentials = lrs_client_create(
        name="Demo LMS and video platform", scopes=[LrsScope.STATEMENTS_WRITE]
    )
    actor_account_mapping_create(home_page=LMS_HOME, source_name="Demo LMS", match_by="employee_id")
    end = dt.datetime.combine(ctx.today, dt.time(), tzinfo=dt.UTC) - dt.timedelta(days=1)
    start = dt.datetime.combine(ctx.start, dt.time(), tzinfo=dt.UTC)
    cutoff = _stamp(end + dt.timedelta(days=1))
    learners = sorted(ctx.people.values(), key=lambda p: p.employee_id)
    statements = 0
    batch: list[dict[str, Any]] = []
    for number, person in enumerate(learners, start=1):
        if rng.random() < PARTICIPATION:
            batch.extend(_learner_journeys(writer, person, (start, end), cutoff))
        if number % PEOPLE_PER_BATCH == 0 or number == len(learners):
            if batch:
                statements_store_generated(statements=batch, version="1.0.3", client=client)
                statements += len(batch)
                batch = []
            tick(1)
    outsiders: list[dict[str, Any]] = []
    for actor in _unmatched_actors(rng):
        for activity in rng.sample(CATALOG, k=rng.randint(1, 4)):
            journey = writer.journey(actor, activity, start + (end - start) * rng.random(), rng.random())
            outsiders.extend(s for s in journey if s["timestamp"] < cutoff)
    if outsiders:
        statements_store_generated(statements=outsiders, version="1.0.3", client=client)
        statements += len(outsiders)
    return {"statements": statements, "activities": len(CATALOG), "client": client.key}


def _batches(ctx: DemoContext) -> int:
    return max(1, -(-len(ctx.people) // PEOPLE_PER_BATCH))


register_step(
    Step("learning", "xAPI statements and learning records", create_learning, _batches),
    after="initiatives",
)
