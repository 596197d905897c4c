"""The demo LMS, video platform and coaching provider: their activities, and the xAPI statements one learner's
journey on one activity produces. No step here: the learning step decides who takes what, and when.

Courses are cmi5-style: each sitting of an attempt (registration) is launched, initialized, progressed and
terminated; the last one ends with passed or failed and, once passed, completed. A course may be done in one
sitting or spread over days and weeks. Videos follow the xAPI video profile, assessments are attempted then
passed or failed (with retries), micro-learning is experienced then completed, and coaching is a series of
attended sessions, completed after the last one.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from typing import Any

ADL = "http://adlnet.gov/expapi/verbs/"
VIDEO_VERBS = "https://w3id.org/xapi/video/verbs/"
VIDEO_EXT = "https://w3id.org/xapi/video/extensions/"
ACTIVITY_BASE = "https://learning.demo.example/activities/"
CMI5_PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
# Kinds people pick from the catalogue on their own; the others are only taken as part of a program.
SELF_SERVE_KINDS = ("course", "video", "assessment", "micro")
COACHING_SESSIONS = 6  # one a week (the program's cost line counts 6 hours of coaching per agent)


@dataclass(frozen=True)
class Activity:
    slug: str
    name: str
    kind: str  # course | video | assessment | micro | coaching
    minutes: int
    popularity: float

    @property
    def iri(self) -> str:
        return f"{ACTIVITY_BASE}{self.slug}"


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
    # The coaching provider's session log: only agents in "Resolve first time" take it.
    Activity("resolve-first-time-coaching", "Resolve first time: one-to-one coaching", "coaching", 60, 0.0),
)
BY_SLUG = {activity.slug: activity for activity in CATALOG}
SELF_SERVE = tuple(activity for activity in CATALOG if activity.kind in SELF_SERVE_KINDS)
ACTIVITY_TYPES = {
    "course": "http://adlnet.gov/expapi/activities/course",
    "video": "https://w3id.org/xapi/video/activity-type/video",
    "assessment": "http://adlnet.gov/expapi/activities/assessment",
    "micro": "http://adlnet.gov/expapi/activities/module",
    "coaching": "http://adlnet.gov/expapi/activities/meeting",
}


def _verb(name: str, base: str = ADL) -> dict[str, Any]:
    return {"id": f"{base}{name}", "display": {"en-US": name}}


VERBS = {
    name: _verb(name)
    for name in ("launched", "initialized", "progressed", "passed", "failed", "completed", "terminated",
                 "experienced", "attempted", "attended")
} | {name: _verb(name, VIDEO_VERBS) for name in ("played", "paused")}  # fmt: skip


def _object(activity: Activity) -> dict[str, Any]:
    return {
        "objectType": "Activity",
        "id": activity.iri,
        "definition": {"name": {"en-US": activity.name}, "type": ACTIVITY_TYPES[activity.kind]},
    }


OBJECTS = {activity.slug: _object(activity) for activity in CATALOG}


def stamp(at: dt.datetime) -> str:
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


def _duration(seconds: float) -> str:
    return f"PT{max(1, round(seconds))}S"


def at_work(at: dt.datetime, rng: random.Random) -> dt.datetime:
    """The same day, at a time between 08:00 and 17:59."""
    return at.replace(hour=rng.randint(8, 17), minute=rng.randint(0, 59), second=0, microsecond=0)


class Writer:
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
            "timestamp": stamp(at),
            **extra,
        }

    def journey(
        self, actor: dict[str, Any], activity: Activity, start: dt.datetime, skill: float
    ) -> list[dict[str, Any]]:
        """Someone taking an activity from the catalogue on their own, at their own pace."""
        rng = self.rng
        minutes = activity.minutes * rng.uniform(0.7, 1.5)
        if activity.kind == "course":
            # Most finish in one sitting; the others come back over the next days.
            span = 0.0 if rng.random() < 0.7 else rng.uniform(1, 10)
            return self.course(actor, activity, start, skill, minutes=minutes, span_days=span)
        if activity.kind == "video":
            return self.video(actor, activity, start)
        if activity.kind == "assessment":
            return self.assessment(actor, activity, start, skill, minutes=minutes)
        if activity.kind == "micro":
            return self.micro(actor, activity, start, minutes=minutes, finish=rng.random() < 0.85)
        return self.coaching(actor, activity, start, sessions=COACHING_SESSIONS, finish=True)

    def course(
        self,
        actor: dict[str, Any],
        activity: Activity,
        start: dt.datetime,
        skill: float,
        *,
        minutes: float,
        span_days: float,
        attempts: int | None = None,
        give_up: float = 0.15,
        boost: float = 0.0,
    ) -> list[dict[str, Any]]:
        """Attempts until passed: each spread over sittings across span_days (the first) or a few days
        (retries), abandoned with probability give_up, scored higher with skill (and boost)."""
        rng, out, at = self.rng, [], start
        attempts = attempts if attempts is not None else (1 if rng.random() < 0.8 else 2)
        for attempt in range(attempts):
            span = span_days if attempt == 0 else min(span_days, rng.uniform(0, 4))
            sittings = 1 if span < 1 else min(4, 2 + int(span // 8))  # a sitting every week or so
            context = {"registration": self.uuid()}
            sitting_seconds = minutes * 60 / sittings

            def terminated(
                when: dt.datetime, context: dict[str, Any] = context, seconds: float = sitting_seconds
            ) -> dict[str, Any]:
                return self.statement(
                    actor,
                    "terminated",
                    activity,
                    when,
                    context=context,
                    result={"duration": _duration(seconds)},
                )

            end = at
            for sitting in range(sittings):
                begin = at + dt.timedelta(days=span * sitting / max(1, sittings - 1))
                if sitting:
                    begin = at_work(begin, rng)
                end = begin + dt.timedelta(minutes=minutes / sittings)
                out.append(self.statement(actor, "launched", activity, begin, context=context))
                out.append(
                    self.statement(
                        actor, "initialized", activity, begin + dt.timedelta(seconds=20), context=context
                    )
                )
                share = (sitting + rng.uniform(0.5, 1.0)) / sittings
                out.append(
                    self.statement(
                        actor,
                        "progressed",
                        activity,
                        begin + (end - begin) * 0.9,
                        context=context,
                        result={"extensions": {CMI5_PROGRESS: min(99, round(share * 100))}},
                    )
                )
                if sitting < sittings - 1:
                    out.append(terminated(end))
            if rng.random() < give_up:
                out.append(terminated(end))
                at = end + dt.timedelta(days=rng.randint(2, 30))
                continue
            mean = 0.55 + 0.35 * skill + boost + 0.05 * attempt
            scaled = round(min(1.0, max(0.2, rng.gauss(mean, 0.12))), 2)
            passed = scaled >= 0.7
            result = {
                "score": {"scaled": scaled, "raw": round(scaled * 100), "min": 0, "max": 100},
                "success": passed,
                "duration": _duration(minutes * 60 / sittings),
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
            at = at_work(end + dt.timedelta(days=rng.randint(1, 14)), rng)
        return out

    def video(self, actor: dict[str, Any], activity: Activity, start: dt.datetime) -> list[dict[str, Any]]:
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

    def assessment(
        self, actor: dict[str, Any], activity: Activity, start: dt.datetime, skill: float, *, minutes: float
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

    def micro(
        self, actor: dict[str, Any], activity: Activity, start: dt.datetime, *, minutes: float, finish: bool
    ) -> list[dict[str, Any]]:
        out = [self.statement(actor, "experienced", activity, start)]
        if finish:
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

    def coaching(
        self, actor: dict[str, Any], activity: Activity, start: dt.datetime, *, sessions: int, finish: bool
    ) -> list[dict[str, Any]]:
        """Weekly sessions from start (one in six is moved a week), completed after the last of them; someone
        who does not finish stops after one to three sessions."""
        rng = self.rng
        context = {"registration": self.uuid()}
        held = sessions if finish else rng.randint(1, min(3, sessions))
        out, at = [], start
        for _session in range(held):
            minutes = activity.minutes * rng.uniform(0.75, 1.25)
            out.append(
                self.statement(
                    actor,
                    "attended",
                    activity,
                    at,
                    context=context,
                    result={"duration": _duration(minutes * 60)},
                )
            )
            last = at + dt.timedelta(minutes=minutes)
            at = at_work(at + dt.timedelta(days=7 if rng.random() < 5 / 6 else 14), rng)
        if finish:
            out.append(
                self.statement(
                    actor,
                    "completed",
                    activity,
                    last + dt.timedelta(minutes=5),
                    context=context,
                    result={"completion": True},
                )
            )
        return out
