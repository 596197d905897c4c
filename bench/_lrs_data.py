"""Seeded, realistic xAPI statements for bench/lrs.py: course completions with scores, videos with
durations, assessments; several hundred actors, dozens of verbs and activities."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

ACTORS = 600
ADL = "http://adlnet.gov/expapi/verbs/"
VIDEO = "https://w3id.org/xapi/video/verbs/"
COURSE_VERBS = [
    ADL + v
    for v in (
        "registered",
        "launched",
        "initialized",
        "attempted",
        "progressed",
        "completed",
        "passed",
        "failed",
        "terminated",
        "suspended",
        "resumed",
        "commented",
        "shared",
        "experienced",
        "mastered",
        "satisfied",
        "waived",
        "abandoned",
        "interacted",
        "exited",
        "imported",
        "preferred",
    )
]
VIDEO_VERBS = [
    VIDEO + v for v in ("played", "paused", "seeked", "completed", "interacted", "initialized", "terminated")
]
ASSESSMENT_VERBS = [
    ADL + v
    for v in ("attempted", "answered", "scored", "passed", "failed", "completed", "asked", "responded")
]
COURSES = 40
VIDEOS = 30
ASSESSMENTS = 20
START = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)


def actor(i: int) -> dict[str, Any]:
    return {"objectType": "Agent", "name": f"Learner {i}", "mbox": f"mailto:learner{i}@example.com"}


def activity(kind: str, i: int) -> dict[str, Any]:
    types = {
        "course": "http://adlnet.gov/expapi/activities/course",
        "video": "https://w3id.org/xapi/video/activity-type/video",
        "assessment": "http://adlnet.gov/expapi/activities/assessment",
    }
    return {
        "objectType": "Activity",
        "id": f"https://lms.example.com/{kind}s/{kind}-{i}",
        "definition": {
            "name": {"en-US": f"{kind.title()} {i}"},
            "description": {"en-US": f"The {kind} number {i} of the catalogue"},
            "type": types[kind],
        },
    }


def verbs() -> list[str]:
    return sorted(set(COURSE_VERBS + VIDEO_VERBS + ASSESSMENT_VERBS))


def activity_ids() -> list[str]:
    return (
        [activity("course", i)["id"] for i in range(COURSES)]
        + [activity("video", i)["id"] for i in range(VIDEOS)]
        + [activity("assessment", i)["id"] for i in range(ASSESSMENTS)]
    )


def statements(seed: int, count: int) -> list[dict[str, Any]]:
    """count statements; the same seed gives the same statements (ids included)."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    when = START + dt.timedelta(days=seed % 97)
    for _ in range(count):
        when += dt.timedelta(seconds=rng.randint(1, 90))
        who = rng.randrange(ACTORS)
        kind = rng.choices(["course", "video", "assessment"], weights=[5, 3, 2])[0]
        statement: dict[str, Any] = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "actor": actor(who),
            "timestamp": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        context: dict[str, Any] = {
            "registration": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "platform": "Example LMS",
            "language": "en-US",
        }
        if kind == "course":
            obj = activity("course", rng.randrange(COURSES))
            verb = rng.choice(COURSE_VERBS)
            result: dict[str, Any] = {}
            if verb.endswith(("completed", "passed", "failed", "mastered")):
                raw = rng.randint(0, 100)
                result = {
                    "score": {"scaled": raw / 100, "raw": raw, "min": 0, "max": 100},
                    "success": not verb.endswith("failed") and raw >= 60,
                    "completion": True,
                    "duration": f"PT{rng.randint(5, 240)}M{rng.randint(0, 59)}S",
                }
            elif verb.endswith("progressed"):
                result = {
                    "extensions": {
                        "https://w3id.org/xapi/cmi5/result/extensions/progress": rng.randint(1, 99)
                    }
                }
            if result:
                statement["result"] = result
        elif kind == "video":
            video = rng.randrange(VIDEOS)
            obj = activity("video", video)
            verb = rng.choice(VIDEO_VERBS)
            length = 60 + video * 37
            position = round(rng.uniform(0, length), 3)
            statement["result"] = {
                "duration": f"PT{rng.randint(1, length)}S",
                "extensions": {
                    "https://w3id.org/xapi/video/extensions/time": position,
                    "https://w3id.org/xapi/video/extensions/progress": round(position / length, 3),
                },
            }
            context["extensions"] = {
                "https://w3id.org/xapi/video/extensions/length": length,
                "https://w3id.org/xapi/video/extensions/session-id": str(uuid.UUID(int=rng.getrandbits(128))),
            }
            context["contextActivities"] = {
                "parent": [{"id": f"https://lms.example.com/courses/course-{video % COURSES}"}]
            }
        else:
            obj = activity("assessment", rng.randrange(ASSESSMENTS))
            verb = rng.choice(ASSESSMENT_VERBS)
            if verb.endswith(("scored", "passed", "failed", "completed", "answered")):
                raw = rng.randint(0, 20)
                statement["result"] = {
                    "score": {"scaled": round(raw / 20, 4), "raw": raw, "min": 0, "max": 20},
                    "success": raw >= 12 if not verb.endswith("answered") else rng.random() < 0.7,
                    "completion": True,
                    "duration": f"PT{rng.randint(1, 45)}M",
                }
            context["contextActivities"] = {
                "grouping": [{"id": f"https://lms.example.com/courses/course-{rng.randrange(COURSES)}"}]
            }
        statement["verb"] = {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[1]}}
        statement["object"] = obj
        statement["context"] = context
        out.append(statement)
    return out
