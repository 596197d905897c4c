"""Statement-level requirements: properties, id, version, voiding, attachments, batches."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tandem.lrs.xapi import XapiValidationError, statement_validate, statements_validate, timestamp_parse
from tests.lrs.xapi.statements import all_examples, course_completion, rejected, voiding

SHA256 = "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634"


def attachment(**overrides: object) -> dict[str, object]:
    item: dict[str, object] = {
        "usageType": "http://id.tincanapi.com/attachment/certificate-of-completion",
        "display": {"en-US": "Certificate"},
        "contentType": "application/pdf",
        "length": 20480,
        "sha2": SHA256,
    }
    item.update(overrides)
    return item


@pytest.mark.parametrize("index", range(len(all_examples())))
def test_realistic_statements_are_valid(version: str, index: int) -> None:
    """Completion, assessment, video, SubStatement, voiding and Group statements all validate."""
    statement_validate(statement=all_examples()[index], version=version)


def test_xapi_data_2_2_s2_b3_actor_verb_object_required(version: str) -> None:
    """Data 2.2.s2.b3: "A Statement MUST use "actor", "verb", and "object"."."""
    for key in ("actor", "verb", "object"):
        statement = course_completion()
        del statement[key]
        error = rejected(statement, version)
        assert (error.field, error.rule) == (key, "is required")


def test_xapi_data_2_2_s4_b1_b7_unknown_top_level_property_rejected(version: str) -> None:
    """Data 2.2.s4.b1.b7: the LRS MUST reject Statements "where a key or value is not allowed by this specification"."""
    statement = course_completion()
    statement["comment"] = "nice"
    error = rejected(statement, version)
    assert error.field == "comment"
    assert error.rule == "is not an allowed property"


def test_xapi_data_2_2_s4_b1_b5_key_case_must_match(version: str) -> None:
    """Data 2.2.s4.b1.b5: reject Statements "where the case of a key does not match the case specified"."""
    statement = course_completion()
    statement["Actor"] = statement.pop("actor")
    assert rejected(statement, version).field == "Actor"


def test_xapi_data_2_2_s4_b1_b1_null_values_rejected(version: str) -> None:
    """Data 2.2.s4.b1.b1: the LRS MUST reject Statements "with any null values (except inside extensions)"."""
    statement = course_completion()
    statement["result"]["response"] = None
    error = rejected(statement, version)
    assert (error.field, error.rule) == ("result.response", "must not be null")


def test_xapi_data_2_2_s4_b1_b1_null_inside_extensions_allowed(version: str) -> None:
    """Data 2.2.s4.b1.b1: nulls are rejected "(except inside extensions)"."""
    statement = course_completion()
    statement["result"]["extensions"] = {"https://example.com/ext/notes": None}
    statement_validate(statement=statement, version=version)


def test_statement_must_be_an_object(version: str) -> None:
    """A Statement is a JSON object."""
    error = rejected(["not", "a", "statement"], version)
    assert error.field == "statement"


def test_error_str_is_field_colon_rule() -> None:
    """XapiValidationError renders as "field: rule" and is a ValueError."""
    error = XapiValidationError(field="actor.mbox", rule="must be a mailto: IRI")
    assert str(error) == "actor.mbox: must be a mailto: IRI"
    assert isinstance(error, ValueError)


@pytest.mark.parametrize(
    "statement_id",
    ["6690e6c9-3ef0-4ed3-8b37-7f3964730bee", "6690E6C9-3EF0-4ED3-8B37-7F3964730BEE"],
)
def test_xapi_data_2_4_1_id_uuid_standard_form_accepted(version: str, statement_id: str) -> None:
    """Data 2.4.1.s1: "A UUID ... MUST be in standard string form" (hex digits in either case)."""
    statement = course_completion()
    statement["id"] = statement_id
    statement_validate(statement=statement, version=version)


@pytest.mark.parametrize(
    "statement_id",
    [
        "",
        "6690e6c93ef04ed38b377f3964730bee",
        "{6690e6c9-3ef0-4ed3-8b37-7f3964730bee}",
        "6690e6c9-3ef0-4ed3-8b37-7f3964730beg",
        42,
    ],
)
def test_xapi_data_2_4_1_id_must_be_uuid(version: str, statement_id: object) -> None:
    """Data 2.4.1.s1: "the UUID MUST be in standard string form"."""
    statement = course_completion()
    statement["id"] = statement_id
    error = rejected(statement, version)
    assert (error.field, error.rule) == ("id", "must be a UUID in standard string form")


def test_xapi_data_2_4_10_s3_b1_version_1_0_x_accepted(version: str) -> None:
    """Data 2.4.10.s3.b1: "An LRS MUST accept all Statements where their version starts with `1.0.`"."""
    for value in ("1.0.0", "1.0.3", "1.0.9"):
        statement = course_completion()
        statement["version"] = value
        statement_validate(statement=statement, version=version)


@pytest.mark.parametrize("value", ["1.1.0", "0.95", "1", "1.0.x", "1.0.", "1.0.0.0", 1.0])
def test_xapi_data_2_4_10_s3_b2_other_versions_rejected(version: str, value: object) -> None:
    """Data 2.4.10.s3.b2: "An LRS MUST reject all Statements with a version specified that does not start with `1.0.`"."""
    statement = course_completion()
    statement["version"] = value
    assert rejected(statement, version).field == "version"


def test_xapi_2_0_statement_version_2_0_0_accepted_only_under_2_0() -> None:
    """xAPI 2.0 statements carry version "2.0.0"; a 1.0.3 LRS must reject it (Data 2.4.10.s3.b2)."""
    statement = course_completion()
    statement["version"] = "2.0.0"
    statement_validate(statement=statement, version="2.0.0")
    assert rejected(statement, "1.0.3").rule == "must be 1.0 or 1.0.x"


def test_unsupported_api_version_rejected() -> None:
    """Only the 1.0.x and 2.0.x X-Experience-API-Version values are supported."""
    with pytest.raises(XapiValidationError) as info:
        statement_validate(statement=course_completion(), version="0.9")
    assert info.value.field == "X-Experience-API-Version"


def test_xapi_data_2_3_2_s2_b1_voiding_statement_object_must_be_statement_ref(version: str) -> None:
    """Data 2.3.2.s2.b1: "the Object of that voiding Statement MUST have the "objectType" property set to `StatementRef`"."""
    statement = voiding()
    statement["object"] = {"id": "https://learning.example.com/courses/data-privacy-101"}
    error = rejected(statement, version)
    assert error.field == "object.objectType"
    assert "StatementRef" in error.rule


def test_xapi_data_2_3_2_s2_b2_voiding_statement_must_give_target_id(version: str) -> None:
    """Data 2.3.2.s2.b2: the voiding Statement "MUST specify the id of the Statement-to-be-voided"."""
    statement = voiding()
    del statement["object"]["id"]
    assert rejected(statement, version).field == "object.id"


def test_xapi_data_2_4_8_stored_must_be_timestamp(version: str) -> None:
    """Data 2.4.8.s3.b2: "An LRS SHOULD validate and then MUST overwrite any value currently in the "stored" property"."""
    statement = course_completion()
    statement["stored"] = "yesterday"
    assert rejected(statement, version).field == "stored"


def test_xapi_data_2_4_7_timestamp_must_be_iso_8601(version: str) -> None:
    """Data 4.5.s1.b1: "A Timestamp MUST be formatted according to ISO 8601"."""
    statement = course_completion()
    statement["timestamp"] = "01/011/2015"
    assert rejected(statement, version).field == "timestamp"


def test_xapi_2_0_timestamp_without_offset_rejected_1_0_3_accepts() -> None:
    """1.0.3 Data 4.5.s1.b4: "A Timestamp SHOULD* include the time zone"; xAPI 2.0 requires it."""
    statement = course_completion()
    statement["timestamp"] = "2026-03-02T09:15:00"
    statement_validate(statement=statement, version="1.0.3")
    assert rejected(statement, "2.0.0").rule == "must include a time zone offset"


@pytest.mark.parametrize(
    "value", ["2008-09-15T15:53:00.601-00", "2008-09-15T15:53:00.601-0000", "2008-09-15T15:53:00.601-00:00"]
)
def test_xapi_00123_timestamp_unknown_offset_rejected(version: str, value: str) -> None:
    """XAPI-00123 (1.0.3) and xAPI 2.0 (Data 4.5): a Timestamp must be ISO 8601, so the RFC 3339 "unknown local
    offset" -00 / -0000 / -00:00 is refused under both versions (the conformance suite sends exactly these)."""
    statement = course_completion()
    statement["timestamp"] = value
    error = rejected(statement, version)
    assert error.field == "timestamp"
    assert error.rule.startswith(f"must not use the offset {value[23:]} (unknown local offset)")


def test_xapi_00123_stored_unknown_offset_still_reads_as_utc() -> None:
    """Statements stored before the rule (1.0.x accepted -00:00) still compare and read: as UTC."""
    assert timestamp_parse(value="2008-09-15T15:53:00-00:00", stored=True).utcoffset() == timedelta(0)


def test_xapi_data_2_4_9_authority_agent_accepted(version: str) -> None:
    """Data 2.4.9.s3.b1: "Authority MUST be an Agent, except in 3-legged OAuth"."""
    statement = course_completion()
    statement["authority"] = {
        "objectType": "Agent",
        "account": {"homePage": "http://cloud.scorm.com/", "name": "anonymous"},
    }
    statement_validate(statement=statement, version=version)


def test_xapi_data_2_4_9_authority_group_must_have_two_agents(version: str) -> None:
    """Data 2.4.9.s3.b1: "... where it MUST be a Group with two Agents"."""
    statement = course_completion()
    oauth = {"account": {"homePage": "http://example.com/xAPI/OAuth/Token", "name": "oauth_consumer_x75db"}}
    statement["authority"] = {"objectType": "Group", "member": [oauth, {"mbox": "mailto:bob@example.com"}]}
    statement_validate(statement=statement, version=version)
    statement["authority"]["member"] = [oauth]
    assert rejected(statement, version).field == "authority.member"


def test_xapi_00024_authority_identified_group_rejected(version: str) -> None:
    """XAPI-00024 / Data 2.4.9.s3.b1: a Group authority is the OAuth pair, an anonymous Group; the conformance
    suite's identified Group ("mbox": "mailto:xapigroup@example.com") with two members is refused."""
    statement = course_completion()
    oauth = {"account": {"homePage": "http://example.com/xAPI/OAuth/Token", "name": "oauth_consumer_x75db"}}
    statement["authority"] = {
        "objectType": "Group",
        "mbox": "mailto:xapigroup@example.com",
        "member": [oauth, {"mbox": "mailto:bob@example.com"}],
    }
    error = rejected(statement, version)
    assert (error.field, error.rule) == (
        "authority",
        "a Group authority must be an anonymous Group (an OAuth consumer and a user)",
    )


def test_xapi_00100_authority_group_of_non_oauth_agents_rejected(version: str) -> None:
    """XAPI-00100 (Data 2.4.9.s3.b3): a Group authority "consists of non-O-Auth Agents" -> 400. Two mbox
    agents are no OAuth consumer (identified by an account) and user; more than two Agents are refused too."""
    statement = course_completion()
    members = [{"name": "agentA", "mbox": "mailto:agentA@example.com"}, {"mbox": "mailto:agentB@example.com"}]
    statement["authority"] = {"objectType": "Group", "member": members}
    error = rejected(statement, version)
    assert error.field == "authority.member"
    assert error.rule == "a Group authority must hold the OAuth consumer, an Agent identified by an account"
    oauth = {"account": {"homePage": "http://example.com/xAPI/OAuth/Token", "name": "oauth_consumer_x75db"}}
    statement["authority"]["member"] = [oauth, *members]
    assert rejected(statement, version).rule == "a Group authority must have exactly two Agents"


@pytest.mark.parametrize("value", ["1.0", "1.0.0", "1.0.3"])
def test_xapi_00101_version_1_0_and_1_0_x_accepted(version: str, value: str) -> None:
    """XAPI-00101: the LRS rejects a version "set to anything but "1.0" or "1.0.x"", so "1.0" is accepted."""
    statement = course_completion()
    statement["version"] = value
    statement_validate(statement=statement, version=version)


def test_xapi_2_0_version_2_0_accepted_under_2_0_only() -> None:
    statement = course_completion()
    statement["version"] = "2.0"
    statement_validate(statement=statement, version="2.0.0")
    assert rejected(statement, "1.0.3").field == "version"


@pytest.mark.parametrize("value", [{"type": "choice"}, ["choice"], 7, True])
def test_interaction_type_of_the_wrong_type_is_a_validation_error(version: str, value: object) -> None:
    """Data 2.4.4.1.s13.b1: interactionType must be one of the listed strings; an object or array is
    refused by the validator (it used to raise TypeError: unhashable type, answered by a catch-all)."""
    statement = course_completion()
    statement["object"]["definition"]["interactionType"] = value
    error = rejected(statement, version)
    assert (error.field, error.rule) == (
        "object.definition.interactionType",
        "must be a valid interactionType",
    )


def test_xapi_data_2_4_11_attachment_valid(version: str) -> None:
    """Data 2.4.11.s2: usageType, display, contentType, length and sha2 are required; fileUrl optional."""
    statement = course_completion()
    statement["attachments"] = [
        attachment(fileUrl="https://files.example.com/cert.pdf", description={"en": "PDF"})
    ]
    statement_validate(statement=statement, version=version)


@pytest.mark.parametrize("key", ["usageType", "display", "contentType", "length", "sha2"])
def test_xapi_data_2_4_11_attachment_required_properties(version: str, key: str) -> None:
    """Data 2.4.11.s2 table: usageType, display, contentType, length and sha2 are "Required"."""
    item = attachment()
    del item[key]
    statement = course_completion()
    statement["attachments"] = [item]
    error = rejected(statement, version)
    assert (error.field, error.rule) == (f"attachments[0].{key}", "is required")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("usageType", "certificate"),
        ("display", {"en_US": "Certificate"}),
        ("contentType", "pdf"),
        ("length", "20480"),
        ("length", 1.5),
        ("length", -1),
        ("length", True),
        ("sha2", "not-a-hash"),
        ("sha2", "672fa5fa"),
        ("fileUrl", "cert.pdf"),
    ],
)
def test_xapi_data_2_4_11_attachment_property_formats(version: str, key: str, value: object) -> None:
    """Data 2.4.11.s2: usageType IRI, display Language Map, contentType Internet Media Type, length Integer, sha2 SHA-2, fileUrl IRL."""
    statement = course_completion()
    statement["attachments"] = [attachment(**{key: value})]
    assert rejected(statement, version).field.startswith(f"attachments[0].{key}")


def test_xapi_data_2_6_s4_b1_signature_attachment_content_type(version: str) -> None:
    """Data 2.6.s4.b1: the JWS is an Attachment "with a usageType of .../signature and a contentType of `application/octet-stream`"."""
    statement = course_completion()
    statement["attachments"] = [
        attachment(usageType="http://adlnet.gov/expapi/attachments/signature", contentType="application/jose")
    ]
    assert rejected(statement, version).field == "attachments[0].contentType"


def test_statements_validate_prefixes_index(version: str) -> None:
    """A batch reports the failing statement's index in front of the field path."""
    bad = course_completion()
    bad["actor"]["mbox"] = "priya@example.com"
    with pytest.raises(XapiValidationError) as info:
        statements_validate(statements=[course_completion(), bad], version=version)
    assert info.value.field == "[1].actor.mbox"
    assert str(info.value) == "[1].actor.mbox: must be a mailto: IRI (mailto:name@example.com)"


def test_statements_validate_accepts_valid_batch(version: str) -> None:
    """Every example statement in one POST validates."""
    statements_validate(statements=list(all_examples()), version=version)


def test_statements_validate_requires_list(version: str) -> None:
    """A batch is a JSON array."""
    with pytest.raises(XapiValidationError):
        statements_validate(statements={"actor": {}}, version=version)  # type: ignore[arg-type]


def test_validation_does_not_modify_statement(version: str) -> None:
    """Validation is read-only: contextActivities single objects stay as sent (exact format)."""
    from tests.lrs.xapi.statements import assessment_answer

    statement = assessment_answer()
    before = repr(statement)
    statement_validate(statement=statement, version=version)
    assert repr(statement) == before
