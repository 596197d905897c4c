"""Verb and Object requirements: Activities, interactions, Agents as objects, StatementRef, SubStatement."""

from __future__ import annotations

from typing import Any

import pytest

from tandem.lrs.xapi import statement_validate
from tests.lrs.xapi.statements import (
    assessment_answer,
    course_completion,
    planned_substatement,
    rejected,
    video_experienced,
)


def definition_of(statement: dict[str, Any]) -> dict[str, Any]:
    return statement["object"]["definition"]  # type: ignore[no-any-return]


# -- verb ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("verb_id", ["completed", "", "/verbs/completed", None])
def test_xapi_data_2_4_3_verb_id_must_be_iri(version: str, verb_id: object) -> None:
    """Data 2.4.3.s3 table: the Verb id is an IRI and "Required"."""
    statement = course_completion()
    statement["verb"]["id"] = verb_id
    assert rejected(statement, version).field == "verb.id"


def test_xapi_data_2_4_3_verb_id_required(version: str) -> None:
    """Data 2.4.3.s3 table: id is "Required"."""
    statement = course_completion()
    del statement["verb"]["id"]
    assert rejected(statement, version).field == "verb.id"


def test_xapi_data_2_4_3_verb_display_must_be_language_map(version: str) -> None:
    """Data 2.4.3.s3 table: display is a Language Map."""
    statement = course_completion()
    statement["verb"]["display"] = "completed"
    assert rejected(statement, version).field == "verb.display"
    statement["verb"]["display"] = {"en_US": "completed"}
    assert rejected(statement, version).field == "verb.display.en_US"
    statement["verb"]["display"] = {"en-US": ["completed"]}
    assert rejected(statement, version).rule == "must be a string"


def test_xapi_data_2_4_3_verb_display_optional(version: str) -> None:
    """Data 2.4.3.s3 table: display is "Recommended", not required."""
    statement = course_completion()
    del statement["verb"]["display"]
    statement_validate(statement=statement, version=version)


def test_xapi_data_2_4_3_verb_unknown_property_rejected(version: str) -> None:
    """Data 2.2.s4.b1.b7: a key not allowed by the specification is rejected."""
    statement = course_completion()
    statement["verb"]["name"] = {"en": "completed"}
    assert rejected(statement, version).field == "verb.name"


# -- activity ------------------------------------------------------------------------------------


def test_xapi_data_2_4_4_s2_object_type_defaults_to_activity(version: str) -> None:
    """Data 2.4.4.s2: "If not specified, the objectType is assumed to be `Activity`"."""
    statement = course_completion()
    del statement["object"]["objectType"]
    statement_validate(statement=statement, version=version)


def test_xapi_data_2_4_4_s2_object_type_must_be_known(version: str) -> None:
    """Data 2.4.4.s2: valid objectTypes are Activity, Agent, Group, SubStatement, StatementRef."""
    statement = course_completion()
    statement["object"]["objectType"] = "activity"
    assert rejected(statement, version).field == "object.objectType"


@pytest.mark.parametrize("activity_id", ["data-privacy-101", "", 101])
def test_xapi_data_2_4_4_1_activity_id_must_be_iri(version: str, activity_id: object) -> None:
    """Data 2.4.4.1.s1 table: Activity id is an IRI, "Required"."""
    statement = course_completion()
    statement["object"]["id"] = activity_id
    assert rejected(statement, version).field == "object.id"


def test_xapi_data_2_4_4_1_activity_id_required(version: str) -> None:
    """Data 2.4.4.1.s1 table: id is "Required"."""
    statement = course_completion()
    del statement["object"]["id"]
    assert rejected(statement, version).field == "object.id"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("name", "Data privacy essentials"),
        ("description", {"english!": "x"}),
        ("type", "course"),
        ("moreInfo", "/courses/data-privacy-101/about"),
        ("moreInfo", "urn:isbn:0451450523"),
        ("extensions", {"room": "Kilby"}),
        ("extensions", ["https://example.com/ext"]),
        ("title", {"en": "x"}),
    ],
)
def test_xapi_data_2_4_4_1_activity_definition_property_formats(
    version: str, key: str, value: object
) -> None:
    """Data 2.4.4.1.s2 table: name/description Language Maps, type IRI, moreInfo IRL, extensions keyed by IRIs."""
    statement = course_completion()
    definition_of(statement)[key] = value
    assert rejected(statement, version).field.startswith(f"object.definition.{key}")


def test_xapi_data_4_1_s3_b2_extension_values_never_rejected(version: str) -> None:
    """Data 4.1.s3.b2: "An LRS MUST NOT reject a Statement based on the values of the extensions map"."""
    statement = course_completion()
    definition_of(statement)["extensions"] = {
        "http://example.com/profiles/meetings/activitydefinitionextensions/room": {
            "name": "Kilby",
            "id": None,
        },
        "https://example.com/ext/list": [1, "two", None, {"three": 3}],
    }
    statement_validate(statement=statement, version=version)


@pytest.mark.parametrize(
    ("interaction_type", "extra"),
    [
        ("true-false", {"correctResponsesPattern": ["true"]}),
        ("fill-in", {"correctResponsesPattern": ["Bob's your uncle"]}),
        (
            "long-fill-in",
            {"correctResponsesPattern": ["{case_matters=false}{lang=en}To store learning experiences."]},
        ),
        (
            "likert",
            {"correctResponsesPattern": ["likert_3"], "scale": [{"id": "likert_0"}, {"id": "likert_3"}]},
        ),
        (
            "matching",
            {
                "correctResponsesPattern": ["ben[.]3[,]chris[.]2"],
                "source": [{"id": "ben"}, {"id": "chris"}],
                "target": [{"id": "2"}, {"id": "3"}],
            },
        ),
        (
            "performance",
            {"correctResponsesPattern": ["pong[.]1:[,]dg[.]:10"], "steps": [{"id": "pong"}, {"id": "dg"}]},
        ),
        (
            "sequencing",
            {"correctResponsesPattern": ["tim[,]mike"], "choices": [{"id": "tim"}, {"id": "mike"}]},
        ),
        ("numeric", {"correctResponsesPattern": ["4[:]"]}),
        ("other", {"correctResponsesPattern": ["(35.937432,-86.868896)"]}),
        ("choice", {"correctResponsesPattern": []}),
    ],
)
def test_xapi_data_2_4_4_1_interaction_types_appendix_c(
    version: str, interaction_type: str, extra: dict[str, Any]
) -> None:
    """Data Appendix C: example definitions for every cmi.interaction type validate."""
    statement = assessment_answer()
    statement["object"]["definition"] = {
        "description": {"en-US": "Question"},
        "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
        "interactionType": interaction_type,
        **extra,
    }
    statement_validate(statement=statement, version=version)


def test_xapi_data_2_4_4_1_s13_b1_interaction_type_must_be_valid(version: str) -> None:
    """Data 2.4.4.1.s13.b1: "Interaction Activities MUST have a valid interactionType"."""
    statement = assessment_answer()
    definition_of(statement)["interactionType"] = "multiple-choice"
    assert rejected(statement, version).field == "object.definition.interactionType"
    definition_of(statement)["interactionType"] = "Choice"
    assert rejected(statement, version).field == "object.definition.interactionType"


def test_xapi_data_2_4_4_1_s13_b1_component_list_needs_interaction_type(version: str) -> None:
    """Data 2.4.4.1.s13.b1: a definition with "choices" is an Interaction Activity, so it needs an interactionType."""
    statement = assessment_answer()
    del definition_of(statement)["interactionType"]
    error = rejected(statement, version)
    assert error.field == "object.definition.interactionType"


def test_xapi_data_2_4_4_1_s15_component_list_must_match_interaction_type(version: str) -> None:
    """Data 2.4.4.1.s15 table 2: "choice" supports "choices" only; s13.b3: the LRS MAY reject invalid remaining properties."""
    statement = assessment_answer()
    definition_of(statement)["scale"] = [{"id": "likert_0"}]
    error = rejected(statement, version)
    assert error.field == "object.definition.scale"
    assert "not supported" in error.rule


def test_xapi_data_2_4_4_1_s15_true_false_supports_no_component_lists(version: str) -> None:
    """Data 2.4.4.1.s15 table 2: true-false, fill-in, long-fill-in, numeric, other: "[No component lists supported]"."""
    statement = assessment_answer()
    definition_of(statement)["interactionType"] = "true-false"
    assert rejected(statement, version).field == "object.definition.choices"


def test_xapi_data_2_4_4_1_s16_b1_component_ids_distinct(version: str) -> None:
    """Data 2.4.4.1.s16.b1: "Within an array of interaction components, all id values MUST be distinct"."""
    statement = assessment_answer()
    definition_of(statement)["choices"].append({"id": "email"})
    error = rejected(statement, version)
    assert error.field == "object.definition.choices[3].id"


def test_xapi_data_2_4_4_1_s15_component_id_required_and_string(version: str) -> None:
    """Data 2.4.4.1.s15 table 1: a component's id is a String, "Required"; description a Language Map."""
    statement = assessment_answer()
    definition_of(statement)["choices"][0] = {"description": {"en-US": "No id"}}
    assert rejected(statement, version).field == "object.definition.choices[0].id"
    statement = assessment_answer()
    definition_of(statement)["choices"][0]["id"] = 1
    assert rejected(statement, version).field == "object.definition.choices[0].id"
    statement = assessment_answer()
    definition_of(statement)["choices"][0]["description"] = "An email address"
    assert rejected(statement, version).field == "object.definition.choices[0].description"


def test_xapi_data_2_4_4_1_s8_correct_responses_pattern_array_of_strings(version: str) -> None:
    """Data 2.4.4.1.s8 table: correctResponsesPattern is an "Array of Strings"."""
    statement = assessment_answer()
    definition_of(statement)["correctResponsesPattern"] = "email[,]ip-address"
    assert rejected(statement, version).field == "object.definition.correctResponsesPattern"
    definition_of(statement)["correctResponsesPattern"] = [True]
    assert rejected(statement, version).field == "object.definition.correctResponsesPattern[0]"


# -- agent / group as object ---------------------------------------------------------------------


def test_xapi_data_2_4_4_2_agent_object_valid(version: str) -> None:
    """Data 2.4.4.1.s1.b2: "The Object is an Agent: Nellie interviewed Jeff."."""
    statement = course_completion()
    statement["object"] = {"objectType": "Agent", "name": "Jeff", "mbox": "mailto:jeff@example.com"}
    del statement["context"]["platform"]
    statement_validate(statement=statement, version=version)


def test_xapi_data_2_4_4_2_s1_b1_agent_object_must_specify_object_type(version: str) -> None:
    """Data 2.4.4.2.s1.b1: "Statements that specify an Agent or Group as an Object MUST specify an 'objectType' property"."""
    statement = course_completion()
    statement["object"] = {"name": "Jeff", "mbox": "mailto:jeff@example.com"}
    del statement["context"]["platform"]
    assert rejected(statement, version).field == "object.objectType"


def test_xapi_data_2_4_4_2_group_object_validated_as_group(version: str) -> None:
    """Data 2.4.4.2: see Actor for Groups -- an Anonymous Group object needs members."""
    statement = video_experienced()
    statement["object"] = {"objectType": "Group", "name": "Cohort"}
    assert rejected(statement, version).field == "object.member"


# -- StatementRef --------------------------------------------------------------------------------


def test_xapi_data_2_4_4_3_s4_b2_statement_ref_id_must_be_uuid(version: str) -> None:
    """Data 2.4.4.3.s4.b2: "A Statement Reference MUST set the "id" property to the UUID of a Statement"."""
    statement = video_experienced()
    statement["object"] = {"objectType": "StatementRef", "id": "https://example.com/statement/1"}
    error = rejected(statement, version)
    assert (error.field, error.rule) == ("object.id", "must be a UUID in standard string form")


def test_xapi_data_2_4_4_3_s4_statement_ref_only_object_type_and_id(version: str) -> None:
    """Data 2.4.4.3.s4 table: a Statement Reference has objectType and id only."""
    statement = video_experienced()
    statement["object"] = {
        "objectType": "StatementRef",
        "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0",
        "definition": {},
    }
    assert rejected(statement, version).field == "object.definition"


def test_xapi_data_2_4_4_3_statement_ref_comment_valid(version: str) -> None:
    """Data 2.4.4.3.s5: commenting on a stored statement with a StatementRef object and a response."""
    statement = {
        "actor": {"objectType": "Agent", "mbox": "mailto:test@example.com"},
        "verb": {"id": "http://example.com/commented", "display": {"en-US": "commented"}},
        "object": {"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"},
        "result": {"response": "Wow, nice work!"},
    }
    statement_validate(statement=statement, version=version)


# -- SubStatement --------------------------------------------------------------------------------


def test_xapi_data_2_4_4_3_s8_b2_substatement_validated_as_statement(version: str) -> None:
    """Data 2.4.4.3.s8.b2: "A SubStatement MUST be validated as a Statement in addition to other SubStatement requirements"."""
    statement = planned_substatement()
    statement["object"]["actor"]["mbox"] = "priya@example.com"
    assert rejected(statement, version).field == "object.actor.mbox"
    statement = planned_substatement()
    del statement["object"]["verb"]
    assert rejected(statement, version).field == "object.verb"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("id", "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"),
        ("stored", "2026-03-02T09:15:00Z"),
        ("version", "1.0.0"),
        ("authority", {"mbox": "mailto:admin@example.com"}),
    ],
)
def test_xapi_data_2_4_4_3_s8_b3_substatement_forbidden_properties(
    version: str, key: str, value: object
) -> None:
    """Data 2.4.4.3.s8.b3: "A SubStatement MUST NOT have the "id", "stored", "version" or "authority" properties"."""
    statement = planned_substatement()
    statement["object"][key] = value
    error = rejected(statement, version)
    assert (error.field, error.rule) == (f"object.{key}", "is not an allowed property")


def test_xapi_data_2_4_4_3_s8_b4_substatement_not_nested(version: str) -> None:
    """Data 2.4.4.3.s8.b4: "A SubStatement MUST NOT contain a SubStatement of its own, i.e., cannot be nested"."""
    statement = planned_substatement()
    statement["object"]["object"] = planned_substatement()["object"]
    error = rejected(statement, version)
    assert error.field == "object.object.objectType"


def test_xapi_data_2_4_7_s3_b5_substatement_timestamp_may_be_future(version: str) -> None:
    """Data 2.4.7.s3.b5: "A SubStatement MAY have a "timestamp" property that is in the future"."""
    statement = planned_substatement()
    statement["object"]["timestamp"] = "2099-01-01T00:00:00Z"
    statement_validate(statement=statement, version=version)


def test_xapi_data_2_4_4_3_substatement_with_statement_ref_object(version: str) -> None:
    """Data Appendix B: a SubStatement Object whose Object is a Statement Reference."""
    statement = planned_substatement()
    statement["object"]["object"] = {
        "objectType": "StatementRef",
        "id": "9e13cefd-53d3-4eac-b5ed-2cf6693903bb",
    }
    statement_validate(statement=statement, version=version)
