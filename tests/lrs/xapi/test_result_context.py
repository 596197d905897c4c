"""Result (Data 2.4.5) and Context (Data 2.4.6, plus 2.0 contextAgents / contextGroups)."""

from __future__ import annotations

from typing import Any

import pytest

from tandem.lrs.xapi import statement_validate
from tests.lrs.xapi.statements import (
    course_completion,
    planned_substatement,
    rejected,
    video_experienced,
    voiding,
)

# -- result --------------------------------------------------------------------------------------


@pytest.mark.parametrize("scaled", [-1, 0, 0.5, 1])
def test_xapi_data_2_4_5_1_scaled_between_minus_one_and_one(version: str, scaled: float) -> None:
    """Data 2.4.5.1.s2 table: scaled is a "Decimal number between -1 and 1, inclusive"."""
    statement = course_completion()
    statement["result"]["score"] = {"scaled": scaled}
    statement_validate(statement=statement, version=version)


@pytest.mark.parametrize("scaled", [-1.01, 1.5, 85])
def test_xapi_data_2_4_5_1_scaled_out_of_range_rejected(version: str, scaled: float) -> None:
    """Data 2.4.5.1.s2 table: scaled is a "Decimal number between -1 and 1, inclusive"."""
    statement = course_completion()
    statement["result"]["score"] = {"scaled": scaled}
    assert rejected(statement, version).field == "result.score.scaled"


@pytest.mark.parametrize(
    ("score", "field"),
    [
        ({"raw": 101, "min": 0, "max": 100}, "result.score.raw"),
        ({"raw": -1, "min": 0, "max": 100}, "result.score.raw"),
        ({"raw": -1, "min": 0}, "result.score.raw"),
        ({"raw": 101, "max": 100}, "result.score.raw"),
        ({"min": 100, "max": 100}, "result.score.min"),
        ({"min": 100, "max": 0}, "result.score.min"),
    ],
)
def test_xapi_data_2_4_5_1_raw_between_min_and_max(version: str, score: dict[str, float], field: str) -> None:
    """Data 2.4.5.1.s2 table: raw is "between min and max (if present, otherwise unrestricted), inclusive"; min "less than max"."""
    statement = course_completion()
    statement["result"]["score"] = score
    assert rejected(statement, version).field == field


def test_xapi_data_2_4_5_1_raw_unrestricted_without_bounds(version: str) -> None:
    """Data 2.4.5.1.s2 table: raw is "otherwise unrestricted"; min/max are optional."""
    statement = course_completion()
    statement["result"]["score"] = {"raw": -1234.5}
    statement_validate(statement=statement, version=version)
    statement["result"]["score"] = {"raw": 100, "min": 0, "max": 100}
    statement_validate(statement=statement, version=version)


@pytest.mark.parametrize("value", ["0.85", True, None, [0.85]])
def test_xapi_data_2_2_s4_b1_b2_strings_where_numbers_required(version: str, value: object) -> None:
    """Data 2.2.s4.b1.b2: reject Statements "with strings where numbers are required, even if those strings contain numbers"."""
    statement = course_completion()
    statement["result"]["score"]["scaled"] = value
    assert rejected(statement, version).field == "result.score.scaled"


def test_xapi_data_2_4_5_1_score_unknown_property_rejected(version: str) -> None:
    """Data 2.4.5.1.s2 table: scaled, raw, min and max only."""
    statement = course_completion()
    statement["result"]["score"]["percent"] = 85
    assert rejected(statement, version).field == "result.score.percent"


@pytest.mark.parametrize("key", ["success", "completion"])
@pytest.mark.parametrize("value", ["true", 1, 0])
def test_xapi_data_2_2_s4_b1_b3_strings_where_booleans_required(
    version: str, key: str, value: object
) -> None:
    """Data 2.2.s4.b1.b3: reject Statements "with strings where booleans are required, even if those strings contain booleans"."""
    statement = course_completion()
    statement["result"][key] = value
    assert rejected(statement, version).field == f"result.{key}"


def test_xapi_data_2_4_5_response_must_be_string(version: str) -> None:
    """Data 2.4.5.s2 table: response is a String."""
    statement = course_completion()
    statement["result"]["response"] = ["email", "ip-address"]
    assert rejected(statement, version).field == "result.response"


@pytest.mark.parametrize("duration", ["PT7M30S", "PT1H0M0.1S", "P3Y1M29DT4H35M59.14S", "P4W"])
def test_xapi_data_2_4_5_duration_iso_8601(version: str, duration: str) -> None:
    """Data 4.6.s1.b1: result.duration uses ISO 8601:2004 4.4.3.2 durations."""
    statement = video_experienced()
    statement["result"]["duration"] = duration
    statement_validate(statement=statement, version=version)


@pytest.mark.parametrize("duration", ["PA1H0M0S", 12345, {"key": "invalid"}, "P4W1D", "7 minutes"])
def test_xapi_data_4_6_s1_b1_result_duration_invalid(version: str, duration: object) -> None:
    """Data 4.6.s1.b1: "A Duration MUST be expressed using the format for Duration in ISO 8601:2004(E) section 4.4.3.2"."""
    statement = video_experienced()
    statement["result"]["duration"] = duration
    error = rejected(statement, version)
    assert (error.field, error.rule) == ("result.duration", "must be an ISO 8601 duration")


def test_xapi_data_4_1_s3_b1_result_extension_keys_must_be_iris(version: str) -> None:
    """Data 4.1.s3.b1: "The keys of an extensions map MUST be IRIs"."""
    statement = video_experienced()
    statement["result"]["extensions"] = {"progress": 0.62}
    assert rejected(statement, version).field == "result.extensions.progress"


# -- context -------------------------------------------------------------------------------------


def with_context(**context: Any) -> dict[str, Any]:
    statement = course_completion()
    statement["context"] = context
    return statement


def test_xapi_data_2_4_6_registration_must_be_uuid(version: str) -> None:
    """Data 2.4.6.s3 table: registration is a UUID."""
    assert rejected(with_context(registration="attempt-1"), version).field == "context.registration"


def test_xapi_data_2_4_6_instructor_agent_or_group(version: str) -> None:
    """Data 2.4.6.s3 table: instructor is an "Agent (MAY be a Group)"."""
    statement_validate(statement=with_context(instructor={"mbox": "mailto:tom@example.com"}), version=version)
    group = {"objectType": "Group", "member": [{"mbox": "mailto:tom@example.com"}]}
    statement_validate(statement=with_context(instructor=group), version=version)
    assert rejected(with_context(instructor={"name": "Tom"}), version).field == "context.instructor"


def test_xapi_data_2_4_6_team_must_be_group(version: str) -> None:
    """Data 2.4.6.s3 table: team is a Group."""
    error = rejected(with_context(team={"mbox": "mailto:teampb@example.com"}), version)
    assert (error.field, error.rule) == ("context.team", "must be a Group")
    statement_validate(
        statement=with_context(
            team={"objectType": "Group", "name": "Team PB", "mbox": "mailto:teampb@example.com"}
        ),
        version=version,
    )


@pytest.mark.parametrize("key", ["parent", "grouping", "category", "other"])
def test_xapi_data_2_4_6_2_s4_b2_context_activity_single_or_array(version: str, key: str) -> None:
    """Data 2.4.6.2.s4.b2: "Every value in the contextActivities Object MUST be either a single Activity Object or an array of Activity Objects"."""
    activity = {"id": "https://learning.example.com/programmes/compliance-2026"}
    statement_validate(statement=with_context(contextActivities={key: activity}), version=version)
    statement_validate(
        statement=with_context(contextActivities={key: [activity, {"id": "https://example.com/b"}]}),
        version=version,
    )


def test_xapi_data_2_4_6_2_s4_b1_context_activity_keys(version: str) -> None:
    """Data 2.4.6.2.s4.b1: "Every key in the contextActivities Object MUST be one of parent, grouping, category, or other"."""
    error = rejected(with_context(contextActivities={"sibling": [{"id": "https://example.com/a"}]}), version)
    assert error.field == "context.contextActivities.sibling"


def test_xapi_data_2_4_6_2_s4_b2_context_activities_must_be_activities(version: str) -> None:
    """Data 2.4.6.2.s4.b2: the values are Activity Objects (id IRI required)."""
    error = rejected(
        with_context(contextActivities={"parent": [{"id": "https://example.com/a"}, {"id": "quiz"}]}), version
    )
    assert error.field == "context.contextActivities.parent[1].id"
    error = rejected(with_context(contextActivities={"parent": "https://example.com/a"}), version)
    assert error.field == "context.contextActivities.parent"


@pytest.mark.parametrize("key", ["revision", "platform"])
def test_xapi_data_2_4_6_s4_b1_b2_revision_platform_only_for_activity(version: str, key: str) -> None:
    """Data 2.4.6.s4.b1/b2: "The "revision" [/"platform"] property MUST only be used if the Statement's Object is an Activity"."""
    statement = voiding()
    statement["context"] = {key: "v2"}
    error = rejected(statement, version)
    assert error.field == f"context.{key}"
    statement = course_completion()
    statement["context"] = {key: "v2"}
    statement_validate(statement=statement, version=version)


def test_xapi_data_2_4_6_s4_revision_platform_in_substatement_follow_its_object(version: str) -> None:
    """Data 2.4.4.3.s8.b2: a SubStatement is validated as a Statement, so its own Object decides."""
    statement = planned_substatement()
    statement["object"]["context"] = {"platform": "Zoom"}
    statement_validate(statement=statement, version=version)


@pytest.mark.parametrize("value", ["en_GB", "english!", 44, ""])
def test_xapi_data_2_4_6_language_must_be_rfc_5646(version: str, value: object) -> None:
    """Data 2.4.6.s3 table: language is a "String (as defined in RFC 5646)"."""
    assert rejected(with_context(language=value), version).field == "context.language"


def test_xapi_data_2_4_6_statement_must_be_statement_ref(version: str) -> None:
    """Data 2.4.6.s3 table: statement is a Statement Reference."""
    ref = {"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}
    statement_validate(statement=with_context(statement=ref), version=version)
    error = rejected(with_context(statement={"id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}), version)
    assert error.field == "context.statement.objectType"


def test_xapi_data_4_1_s3_b1_context_extension_keys_must_be_iris(version: str) -> None:
    """Data 4.1.s3.b1: "The keys of an extensions map MUST be IRIs"."""
    statement_validate(
        statement=with_context(extensions={"https://example.com/ext/altitude": 3000}), version=version
    )
    assert (
        rejected(with_context(extensions={"altitude": 3000}), version).field == "context.extensions.altitude"
    )


def test_xapi_data_2_4_6_context_unknown_property_rejected(version: str) -> None:
    """Data 2.2.s4.b8: the LRS SHOULD* reject Statements containing additional properties."""
    assert rejected(with_context(location="London"), version).field == "context.location"


# -- xAPI 2.0 contextAgents / contextGroups ------------------------------------------------------

CONTEXT_AGENTS = [
    {
        "objectType": "contextAgent",
        "agent": {"objectType": "Agent", "mbox": "mailto:player-1@example.com"},
        "relevantTypes": ["https://example.com/xapi/activity-types/coach"],
    },
    {"objectType": "contextAgent", "agent": {"mbox": "mailto:player-2@example.com"}},
]
CONTEXT_GROUPS = [
    {
        "objectType": "contextGroup",
        "group": {"objectType": "Group", "mbox": "mailto:team-1@example.com"},
        "relevantTypes": ["https://example.com/xapi/activity-types/squad"],
    }
]


def test_xapi_2_0_context_agents_and_groups_valid() -> None:
    """xAPI 2.0 Context: "A "contextAgents" property is an array of "contextAgent" Objects" (likewise contextGroups)."""
    statement_validate(
        statement=with_context(contextAgents=CONTEXT_AGENTS, contextGroups=CONTEXT_GROUPS), version="2.0.0"
    )


def test_xapi_2_0_context_agents_in_substatement_valid() -> None:
    """xAPI 2.0: SubStatement contexts take contextAgents too (LRS conformance suite)."""
    statement = planned_substatement()
    statement["object"]["context"] = {"contextAgents": CONTEXT_AGENTS}
    statement_validate(statement=statement, version="2.0.0")


def test_xapi_1_0_3_context_agents_not_allowed() -> None:
    """1.0.3 Data 2.4.6.s3 has no contextAgents / contextGroups; Data 2.2.s4.b1.b7 rejects keys not allowed."""
    assert rejected(with_context(contextAgents=CONTEXT_AGENTS), "1.0.3").field == "context.contextAgents"
    assert rejected(with_context(contextGroups=CONTEXT_GROUPS), "1.0.3").field == "context.contextGroups"


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"objectType": "Should fail", "agent": {"mbox": "mailto:p@example.com"}}, "objectType"),
        ({"agent": {"mbox": "mailto:p@example.com"}}, "objectType"),
        ({"objectType": "contextAgent", "agent": {"key": "Should fail"}}, "agent.key"),
        ({"objectType": "contextAgent"}, "agent"),
        (
            {"objectType": "contextAgent", "agent": {"objectType": "Group", "mbox": "mailto:t@example.com"}},
            "agent.objectType",
        ),
        (
            {"objectType": "contextAgent", "agent": {"mbox": "mailto:p@example.com"}, "relevantTypes": []},
            "relevantTypes",
        ),
        (
            {
                "objectType": "contextAgent",
                "agent": {"mbox": "mailto:p@example.com"},
                "relevantTypes": ["abc"],
            },
            "relevantTypes[0]",
        ),
    ],
)
def test_xapi_2_0_context_agent_object_rules(entry: dict[str, Any], field: str) -> None:
    """xAPI 2.0: a contextAgent "must have an "objectType" property of string "contextAgent" and a valid Agent Object "agent"; it may also have a "relevantTypes" property as an array of Activity Type IRIs" (non-empty)."""
    assert rejected(with_context(contextAgents=[entry]), "2.0.0").field == f"context.contextAgents[0].{field}"


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        (
            {"objectType": "Should fail", "group": {"objectType": "Group", "mbox": "mailto:t@example.com"}},
            "objectType",
        ),
        ({"objectType": "contextGroup", "group": {"key": "Should fail"}}, "group.key"),
        ({"objectType": "contextGroup", "group": {"mbox": "mailto:t@example.com"}}, "group.objectType"),
        (
            {
                "objectType": "contextGroup",
                "group": {"objectType": "Group", "mbox": "mailto:t@example.com"},
                "relevantTypes": [],
            },
            "relevantTypes",
        ),
        (
            {
                "objectType": "contextGroup",
                "group": {"objectType": "Group", "mbox": "mailto:t@example.com"},
                "relevantTypes": ["abc"],
            },
            "relevantTypes[0]",
        ),
    ],
)
def test_xapi_2_0_context_group_object_rules(entry: dict[str, Any], field: str) -> None:
    """xAPI 2.0: a contextGroup "must have an "objectType" property of string "contextGroup" and a valid Group Object "group"" (relevantTypes as for contextAgents)."""
    assert rejected(with_context(contextGroups=[entry]), "2.0.0").field == f"context.contextGroups[0].{field}"


def test_xapi_2_0_context_agents_must_be_array() -> None:
    """xAPI 2.0: contextAgents is an array."""
    assert rejected(with_context(contextAgents=CONTEXT_AGENTS[0]), "2.0.0").rule == "must be an array"
