"""Realistic xAPI statements for the validation tests (fresh dicts on every call)."""

from __future__ import annotations

from typing import Any

import pytest

from tandem.lrs.xapi import XapiValidationError, statement_validate

VERSIONS = ("1.0.3", "2.0.0")

LEARNER = {"objectType": "Agent", "name": "Priya Shah", "mbox": "mailto:priya.shah@example.com"}
INSTRUCTOR = {
    "objectType": "Agent",
    "name": "Tom Reyes",
    "account": {"homePage": "https://lms.example.com", "name": "tom.reyes"},
}
COURSE = "https://learning.example.com/courses/data-privacy-101"


def course_completion() -> dict[str, Any]:
    """A learner completed a course with a score (the bread-and-butter LMS statement)."""
    return {
        "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
        "actor": dict(LEARNER),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {
            "objectType": "Activity",
            "id": COURSE,
            "definition": {
                "name": {"en-GB": "Data privacy essentials", "fr": "Les bases de la confidentialité"},
                "description": {"en-GB": "Annual GDPR refresher"},
                "type": "http://adlnet.gov/expapi/activities/course",
                "moreInfo": "https://learning.example.com/courses/data-privacy-101/about",
            },
        },
        "result": {
            "score": {"scaled": 0.85, "raw": 85, "min": 0, "max": 100},
            "success": True,
            "completion": True,
            "duration": "PT42M13.5S",
        },
        "context": {
            "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
            "instructor": dict(INSTRUCTOR),
            "contextActivities": {
                "parent": [{"id": "https://learning.example.com/programmes/compliance-2026"}],
                "category": [{"id": "https://w3id.org/xapi/cmi5/v1.0"}],
            },
            "platform": "Tandem LMS",
            "language": "en-GB",
        },
        "timestamp": "2026-03-02T09:15:00.123+00:00",
    }


def assessment_answer() -> dict[str, Any]:
    """A learner answered a multiple-choice question (cmi.interaction definition)."""
    return {
        "actor": {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
        "object": {
            "id": "https://learning.example.com/assessments/privacy-quiz/q3",
            "definition": {
                "description": {"en-US": "Which of these are personal data?"},
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "interactionType": "choice",
                "correctResponsesPattern": ["email[,]ip-address"],
                "choices": [
                    {"id": "email", "description": {"en-US": "An email address"}},
                    {"id": "ip-address", "description": {"en-US": "An IP address"}},
                    {"id": "weather", "description": {"en-US": "Today's weather"}},
                ],
            },
        },
        "result": {"success": True, "response": "email[,]ip-address"},
        "context": {
            "contextActivities": {
                "parent": {"id": "https://learning.example.com/assessments/privacy-quiz"},
            }
        },
    }


def video_experienced() -> dict[str, Any]:
    """A learner watched a video; duration and an extension in the result."""
    return {
        "actor": {"objectType": "Agent", "openid": "https://id.example.org/users/sam"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-US": "experienced"}},
        "object": {
            "id": "https://video.example.com/watch/onboarding-01",
            "definition": {
                "name": {"en": "Welcome to Tandem"},
                "type": "https://w3id.org/xapi/video/activity-type/video",
            },
        },
        "result": {
            "duration": "PT7M30S",
            "completion": False,
            "extensions": {"https://w3id.org/xapi/video/extensions/progress": 0.62},
        },
        "timestamp": "2026-03-02T10:00:00Z",
    }


def planned_substatement() -> dict[str, Any]:
    """A manager planned that a learner will attend a workshop (SubStatement object)."""
    return {
        "actor": dict(INSTRUCTOR),
        "verb": {"id": "http://example.com/verbs/planned", "display": {"en-US": "planned"}},
        "object": {
            "objectType": "SubStatement",
            "actor": dict(LEARNER),
            "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-US": "will attend"}},
            "object": {"id": "https://learning.example.com/workshops/feedback-skills"},
            "timestamp": "2026-06-01T09:00:00+01:00",
        },
    }


def voiding() -> dict[str, Any]:
    """An admin voids a previous statement."""
    return {
        "actor": {"objectType": "Agent", "name": "LRS admin", "mbox": "mailto:admin@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": "e05aa883-acaf-40ad-bf54-02c8ce485fb0"},
    }


def team_attended() -> dict[str, Any]:
    """An Identified Group attended a meeting, with an Anonymous Group as context team."""
    return {
        "actor": {
            "objectType": "Group",
            "name": "Team PB",
            "mbox": "mailto:teampb@example.com",
            "member": [
                {"name": "Andrew", "account": {"homePage": "http://www.example.com", "name": "13936749"}},
                {"name": "Toby", "openid": "http://toby.openid.example.org/", "objectType": "Agent"},
            ],
        },
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-GB": "attended"}},
        "object": {"id": "http://www.example.com/meetings/occurances/34534"},
        "context": {
            "team": {
                "objectType": "Group",
                "member": [{"mbox": "mailto:a@example.com"}, {"mbox": "mailto:b@example.com"}],
            }
        },
    }


def all_examples() -> list[dict[str, Any]]:
    return [
        course_completion(),
        assessment_answer(),
        video_experienced(),
        planned_substatement(),
        voiding(),
        team_attended(),
    ]


def rejected(statement: object, version: str) -> XapiValidationError:
    """The XapiValidationError statement_validate raises (fails the test if it raises none)."""
    with pytest.raises(XapiValidationError) as info:
        statement_validate(statement=statement, version=version)
    return info.value
