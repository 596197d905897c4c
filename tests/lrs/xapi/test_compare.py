"""Statement equivalence (Data 2.3.1 "Statement Comparision Requirements")."""

from __future__ import annotations

import copy
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.lrs.xapi import statement_differences, statement_equivalent
from tests.lrs.xapi.statements import all_examples, assessment_answer, course_completion, team_attended


def test_identical_statements_equivalent() -> None:
    """A statement is equivalent to an exact copy of itself."""
    for statement in all_examples():
        assert statement_equivalent(a=statement, b=copy.deepcopy(statement))


def test_xapi_data_2_3_1_b1_lrs_assigned_properties_ignored() -> None:
    """Data 2.3.1.b1: assignments during LRS processing ("id", "authority", "stored", "timestamp", "version") are exceptions."""
    sent = course_completion()
    del sent["id"], sent["timestamp"]
    stored = course_completion()
    stored.update(
        stored="2026-03-02T09:15:01.000Z",
        version="1.0.0",
        authority={
            "objectType": "Agent",
            "account": {"homePage": "https://lrs.example.com", "name": "client-7"},
        },
    )
    assert statement_equivalent(a=sent, b=stored)


def test_xapi_data_2_3_1_s9_b2_different_ids_not_equivalent() -> None:
    """Data 2.3.1.s9.b2: differences not caused by the exceptions "MUST not be ignored" -- two different ids."""
    other = course_completion()
    other["id"] = "7ccd3322-e1a5-411a-a67d-6a735c76f119"
    assert not statement_equivalent(a=course_completion(), b=other)


def test_xapi_data_2_3_1_b7_uuid_case_insensitive() -> None:
    """Data 2.3.1.b7: "Some properties are case insensitive and changes in case therefore do not affect immutability"."""
    other = course_completion()
    other["id"] = other["id"].upper()
    other["context"]["registration"] = other["context"]["registration"].upper()
    assert statement_equivalent(a=course_completion(), b=other)


def test_xapi_data_2_3_1_b7_email_domain_case_insensitive() -> None:
    """Data 2.3.1.b7: "For example, the domain portion an e-mail address is case insensitive"."""
    other = course_completion()
    other["actor"]["mbox"] = "mailto:priya.shah@EXAMPLE.com"
    assert statement_equivalent(a=course_completion(), b=other)
    other["actor"]["mbox"] = "mailto:PRIYA.SHAH@example.com"
    assert not statement_equivalent(a=course_completion(), b=other)


def test_xapi_data_2_3_1_b4_timestamps_compared_as_instants() -> None:
    """Data 2.3.1.b4: timestamps "can be returned in a different timezone ... so long as the point in time referenced is not affected"."""
    other = course_completion()
    other["timestamp"] = "2026-03-02T10:15:00.123+01:00"
    assert statement_equivalent(a=course_completion(), b=other)
    other["timestamp"] = "2026-03-02T10:15:00.123+00:00"
    assert not statement_equivalent(a=course_completion(), b=other)


def test_xapi_data_2_3_1_b5_group_members_unordered() -> None:
    """Data 2.3.1.b5: "The list of Agents in a Group is not considered to be an ordered list"."""
    other = team_attended()
    other["actor"]["member"].reverse()
    other["context"]["team"]["member"].reverse()
    assert statement_equivalent(a=team_attended(), b=other)


def test_xapi_data_2_3_1_b2_activity_definition_not_part_of_statement() -> None:
    """Data 2.3.1.b2: "The content of Activity Definitions that are referenced in Statements is not considered part of the Statement itself"."""
    other = course_completion()
    other["object"]["definition"]["name"] = {"en-GB": "Data privacy essentials (2026 edition)"}
    assert statement_equivalent(a=course_completion(), b=other)


def test_xapi_data_2_3_1_b3_verb_display_not_part_of_statement() -> None:
    """Data 2.3.1.b3: "The "display" property of the Verb is not considered part of the Statement itself"."""
    other = course_completion()
    other["verb"]["display"] = {"fr": "a terminé"}
    assert statement_equivalent(a=course_completion(), b=other)
    other["verb"]["id"] = "http://adlnet.gov/expapi/verbs/passed"
    assert not statement_equivalent(a=course_completion(), b=other)


def test_xapi_data_2_3_1_b6_attachments_not_part_of_statement() -> None:
    """Data 2.3.1.b6: "Attachments. These are not part of Statements"."""
    other = course_completion()
    other["attachments"] = [
        {
            "usageType": "http://adlnet.gov/expapi/attachments/signature",
            "display": {"en-US": "Signature"},
            "contentType": "application/octet-stream",
            "length": 4235,
            "sha2": "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634",
        }
    ]
    assert statement_equivalent(a=course_completion(), b=other)


def test_xapi_data_2_3_1_b8_duration_compared_as_string() -> None:
    """Data 2.3.1.b8: "the Result Duration is considered a string for purposes of Statement comparison"."""
    other = course_completion()
    other["result"]["duration"] = "PT2533.5S"  # the same 42m 13.5s, but a different string
    assert not statement_equivalent(a=course_completion(), b=other)


def test_xapi_data_4_6_s1_b5_duration_precision_beyond_centiseconds_ignored() -> None:
    """Data 4.6.s1.b5: "When comparing Durations, any precision beyond 0.01 second precision SHOULD* NOT be included"."""
    a, b = course_completion(), course_completion()
    a["result"]["duration"] = "PT42M13.501S"
    b["result"]["duration"] = "PT42M13.509S"
    assert statement_equivalent(a=a, b=b)


def test_result_differences_matter() -> None:
    """Data 2.3.1.s9.b2: a different score is a different statement; True is not 1."""
    other = course_completion()
    other["result"]["score"]["raw"] = 86
    assert not statement_equivalent(a=course_completion(), b=other)
    a, b = course_completion(), course_completion()
    a["result"]["extensions"] = {"https://example.com/ext/flag": True}
    b["result"]["extensions"] = {"https://example.com/ext/flag": 1}
    assert not statement_equivalent(a=a, b=b)


def test_numbers_compare_by_value() -> None:
    """JSON 85 and 85.0 are the same number."""
    other = course_completion()
    other["result"]["score"]["raw"] = 85.0
    assert statement_equivalent(a=course_completion(), b=other)


def test_xapi_data_2_4_6_2_s4_b3_single_context_activity_equals_array_of_one() -> None:
    """Data 2.4.6.2.s4.b4: "The LRS MUST return single Activity Objects as an array of length one containing the same Activity"."""
    other = assessment_answer()
    other["context"]["contextActivities"]["parent"] = [other["context"]["contextActivities"]["parent"]]
    assert statement_equivalent(a=assessment_answer(), b=other)


def test_default_object_types_equivalent() -> None:
    """Data 2.4.4.s2: a missing objectType is "assumed to be `Activity`" (and an Agent's is "Agent")."""
    other = course_completion()
    del other["object"]["objectType"], other["actor"]["objectType"]
    assert statement_equivalent(a=course_completion(), b=other)


def test_different_actor_not_equivalent() -> None:
    """Data 2.3.1.s9.b2: a different actor is a different statement."""
    other = course_completion()
    other["actor"] = {"mbox": "mailto:someone.else@example.com"}
    assert not statement_equivalent(a=course_completion(), b=other)


def _shuffled(value: Any, rng: random.Random) -> Any:
    """The same JSON with every object's keys in a random order."""
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {key: _shuffled(value[key], rng) for key in keys}
    if isinstance(value, list):
        return [_shuffled(item, rng) for item in value]
    return value


@settings(max_examples=60)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), index=st.integers(min_value=0, max_value=5))
def test_xapi_data_2_2_s2_b4_key_order_irrelevant(seed: int, index: int) -> None:
    """Data 2.2.s2.b4: "A Statement MAY use its properties in any order" -- reordered keys are equivalent."""
    statement = all_examples()[index]
    assert statement_equivalent(a=statement, b=_shuffled(statement, random.Random(seed)))


@settings(max_examples=60)
@given(raw=st.integers(min_value=0, max_value=100), response=st.text(max_size=30))
def test_equivalence_symmetric_and_sensitive(raw: int, response: str) -> None:
    """Equivalence is symmetric, and a changed result value breaks it."""
    a = course_completion()
    b = course_completion()
    b["result"]["score"]["raw"] = raw
    b["result"]["response"] = response
    assert statement_equivalent(a=a, b=b) == statement_equivalent(a=b, b=a)
    assert not statement_equivalent(a=a, b=b)


def test_statement_differences_lists_the_paths_that_differ_under_the_comparison_rules() -> None:
    a = course_completion()
    b = copy.deepcopy(a)
    assert statement_differences(a=a, b=b) == []
    b["verb"]["display"] = {"fr": "terminé"}  # ignored by the comparison
    b["result"]["score"]["raw"] = 1
    b["context"]["platform"] = "Other LMS"
    assert statement_differences(a=a, b=b) == ["context.platform", "result.score.raw"]
    del b["result"]
    assert statement_differences(a=a, b=b) == ["context.platform", "result"]
