"""Actor requirements: Agents, Groups and Inverse Functional Identifiers (Data 2.4.2)."""

from __future__ import annotations

import pytest

from tandem.lrs.xapi import XapiValidationError, agent_ifi, statement_validate
from tests.lrs.xapi.statements import course_completion, rejected, team_attended


def with_actor(actor: object) -> dict[str, object]:
    statement = course_completion()
    statement["actor"] = actor
    return statement


@pytest.mark.parametrize(
    "actor",
    [
        {"mbox": "mailto:priya@example.com"},
        {"objectType": "Agent", "mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"},
        {"openid": "http://toby.openid.example.org/"},
        {"account": {"homePage": "http://www.example.com", "name": "1625378"}},
    ],
)
def test_xapi_data_2_4_2_1_agent_identified_by_one_ifi(version: str, actor: dict[str, object]) -> None:
    """Data 2.4.2.1.s2.b1: "An Agent MUST be identified by one (1) of the four types of Inverse Functional Identifiers"."""
    statement_validate(statement=with_actor(actor), version=version)


def test_xapi_data_2_4_2_1_agent_without_ifi_rejected(version: str) -> None:
    """Data 2.4.2.1.s2.b1: an Agent with only a name has no Inverse Functional Identifier."""
    error = rejected(with_actor({"objectType": "Agent", "name": "Priya"}), version)
    assert error.field == "actor"
    assert "exactly one inverse functional identifier" in error.rule


def test_xapi_data_2_4_2_1_agent_with_two_ifis_rejected(version: str) -> None:
    """Data 2.4.2.1.s2.b2: "An Agent MUST NOT include more than one (1) Inverse Functional Identifier"."""
    actor = {"mbox": "mailto:priya@example.com", "openid": "http://priya.openid.example.org/"}
    assert "more than one" in rejected(with_actor(actor), version).rule


def test_xapi_data_2_4_2_1_agent_object_type_must_be_agent(version: str) -> None:
    """Data 2.4.2.1 table: objectType is "Agent"; Data 2.2.s4.b1.b6: enumerated values must match exactly."""
    error = rejected(with_actor({"objectType": "agent", "mbox": "mailto:priya@example.com"}), version)
    assert error.field == "actor.objectType"


def test_xapi_data_2_4_2_1_agent_name_must_be_string(version: str) -> None:
    """Data 2.4.2.1 table: name is a String."""
    assert (
        rejected(with_actor({"name": 7, "mbox": "mailto:priya@example.com"}), version).field == "actor.name"
    )


def test_xapi_data_2_4_2_1_agent_unknown_property_rejected(version: str) -> None:
    """Data 2.2.s4.b8: the LRS SHOULD* reject Statements containing additional properties."""
    actor = {"mbox": "mailto:priya@example.com", "email": "priya@example.com"}
    assert rejected(with_actor(actor), version).field == "actor.email"


@pytest.mark.parametrize("mbox", ["priya@example.com", "mailto:", "http://example.com", "", "mailto:priya"])
def test_xapi_data_2_4_2_3_mbox_must_be_mailto_iri(version: str, mbox: str) -> None:
    """Data 2.4.2.3.s3: mbox is a mailto IRI: "The required format is "mailto:email address"."."""
    error = rejected(with_actor({"mbox": mbox}), version)
    assert error.field == "actor.mbox"
    assert error.rule.startswith(("must be a mailto: IRI", 'must be "mailto:" followed by', "has no e-mail"))


@pytest.mark.parametrize("mbox", ["mailto:null", "mailto:", "mailto:NULL", "mailto: "])
def test_mbox_without_an_address_says_the_address_is_missing(version: str, mbox: str) -> None:
    """An exporter's missing e-mail ("mailto:null") is named as such, not as a malformed IRI (issue 13 §2)."""
    error = rejected(with_actor({"mbox": mbox}), version)
    assert error.field == "actor.mbox"
    assert error.rule.startswith('has no e-mail address after "mailto:"')
    assert "give the address or another identifier" in error.rule


def test_mbox_without_at_sign_says_so(version: str) -> None:
    error = rejected(with_actor({"mbox": "mailto:priya"}), version)
    assert error.rule == 'must be "mailto:" followed by an e-mail address; \'priya\' has no "@"'


@pytest.mark.parametrize("value", ["ebd31e95", "xyz31e95054c018b10727ccffd2ef2ec3a016ee9", 12345])
def test_xapi_data_2_4_2_3_mbox_sha1sum_must_be_40_hex(version: str, value: object) -> None:
    """Data 2.4.2.3.s3: mbox_sha1sum is "The hex-encoded SHA1 hash of a mailto IRI"."""
    assert rejected(with_actor({"mbox_sha1sum": value}), version).field == "actor.mbox_sha1sum"


def test_xapi_data_2_4_2_3_openid_must_be_uri(version: str) -> None:
    """Data 2.4.2.3.s3: openid is a URI: "An openID that uniquely identifies the Agent"."""
    assert rejected(with_actor({"openid": "toby.openid.example.org"}), version).field == "actor.openid"


@pytest.mark.parametrize(
    ("account", "field"),
    [
        ({"name": "1625378"}, "actor.account.homePage"),
        ({"homePage": "http://www.example.com"}, "actor.account.name"),
        ({"homePage": "www.example.com", "name": "1625378"}, "actor.account.homePage"),
        ({"homePage": "http://www.example.com", "name": 1625378}, "actor.account.name"),
        ({"homePage": "http://www.example.com", "name": "x", "id": "y"}, "actor.account.id"),
        ("1625378", "actor.account"),
    ],
)
def test_xapi_data_2_4_2_4_account_home_page_irl_and_name_required(
    version: str, account: object, field: str
) -> None:
    """Data 2.4.2.4.s2 table: homePage (IRL) and name (String) are both "Required"."""
    assert rejected(with_actor({"account": account}), version).field == field


def test_xapi_data_2_4_2_2_identified_group_with_members_valid(version: str) -> None:
    """Data 2.4.2.2.s5.b4: "An Identified Group MAY include a "member" property listing constituent Agents"."""
    statement_validate(statement=team_attended(), version=version)


def test_xapi_data_2_4_2_2_identified_group_without_members_valid(version: str) -> None:
    """Data 2.4.2.2.s2 table 2: member is "Optional" for an Identified Group."""
    group = {
        "objectType": "Group",
        "name": "Example Group",
        "account": {"homePage": "http://example.com/homePage", "name": "GroupAccount"},
    }
    statement_validate(statement=with_actor(group), version=version)


def test_xapi_data_2_4_2_2_s5_b1_identified_group_exactly_one_ifi(version: str) -> None:
    """Data 2.4.2.2.s5.b1: "An Identified Group MUST include exactly one (1) Inverse Functional Identifier"."""
    group = {"objectType": "Group", "mbox": "mailto:team@example.com", "openid": "http://team.example.org/"}
    assert "exactly one" in rejected(with_actor(group), version).rule


def test_xapi_data_2_4_2_2_s4_b1_anonymous_group_must_list_members(version: str) -> None:
    """Data 2.4.2.2.s4.b1: "An Anonymous Group MUST include a "member" property listing constituent Agents"."""
    error = rejected(with_actor({"objectType": "Group", "name": "Ad hoc"}), version)
    assert error.field == "actor.member"
    error = rejected(with_actor({"objectType": "Group", "member": []}), version)
    assert error.field == "actor.member"


def test_xapi_data_2_4_2_2_s4_b2_anonymous_group_members_must_not_be_groups(version: str) -> None:
    """Data 2.4.2.2.s4.b2: "An Anonymous Group MUST NOT contain Group Objects in the "member" identifiers"."""
    inner = {"objectType": "Group", "mbox": "mailto:inner@example.com"}
    error = rejected(with_actor({"objectType": "Group", "member": [inner]}), version)
    assert error.field == "actor.member[0].objectType"


def test_xapi_data_2_4_2_2_s5_b2_identified_group_members_must_not_be_groups(version: str) -> None:
    """Data 2.4.2.2.s5.b2: "An Identified Group MUST NOT contain Group Objects in the "member" property"."""
    inner = {"objectType": "Group", "mbox": "mailto:inner@example.com"}
    group = {"objectType": "Group", "mbox": "mailto:team@example.com", "member": [inner]}
    assert rejected(with_actor(group), version).field == "actor.member[0].objectType"


def test_xapi_data_2_4_2_2_group_members_must_be_valid_agents(version: str) -> None:
    """Data 2.4.2.2 table: member is an "Array of Agent Objects" -- each needs exactly one IFI."""
    group = {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}, {"name": "No IFI"}]}
    assert rejected(with_actor(group), version).field == "actor.member[1]"


def test_xapi_data_2_4_2_2_group_member_must_be_array(version: str) -> None:
    """Data 2.4.2.2 table: member is an Array."""
    group = {"objectType": "Group", "member": {"mbox": "mailto:a@example.com"}}
    assert rejected(with_actor(group), version).rule == "must be an array"


def test_xapi_data_2_4_2_group_object_type_required(version: str) -> None:
    """Data 2.4.2.2 tables: objectType "Group" is "Required"; without it the actor is read as an Agent."""
    group = {"member": [{"mbox": "mailto:a@example.com"}]}
    assert rejected(with_actor(group), version).field == "actor.member"


def test_actor_must_be_object(version: str) -> None:
    """The Actor is an Agent or Group Object."""
    assert rejected(with_actor("mailto:priya@example.com"), version).field == "actor"


# -- agent_ifi -----------------------------------------------------------------------------------


def test_agent_ifi_mbox_lowercases_domain_only() -> None:
    """Data 2.4.2.3.s4.b1: "The domain portions of email addresses are case insensitive"."""
    assert agent_ifi(agent={"mbox": "mailto:Priya.Shah@Example.COM"}) == (
        "mbox",
        "mailto:Priya.Shah@example.com",
    )


def test_agent_ifi_kinds() -> None:
    """Each of the four IFI kinds has one normalised value."""
    assert agent_ifi(agent={"mbox_sha1sum": "EBD31E95054C018B10727CCFFD2EF2EC3A016EE9"}) == (
        "mbox_sha1sum",
        "ebd31e95054c018b10727ccffd2ef2ec3a016ee9",
    )
    assert agent_ifi(agent={"openid": "http://toby.openid.example.org/"}) == (
        "openid",
        "http://toby.openid.example.org/",
    )
    account = {"account": {"homePage": "https://lms.example.com", "name": "tom.reyes"}, "name": "Tom"}
    assert agent_ifi(agent=account) == ("account", "https://lms.example.com|tom.reyes")


def test_agent_ifi_identified_group() -> None:
    """Data 2.4.2.3.s1: an IFI identifies "that Agent or Identified Group"."""
    assert agent_ifi(agent=team_attended()["actor"]) == ("mbox", "mailto:teampb@example.com")


@pytest.mark.parametrize(
    "agent",
    [
        {"name": "No IFI"},
        {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]},
        {"mbox": "mailto:a@example.com", "openid": "http://a.example.org/"},
        {"mbox": "a@example.com"},
    ],
)
def test_agent_ifi_requires_exactly_one_valid_ifi(agent: dict[str, object]) -> None:
    """Anonymous Groups and malformed Agents have no IFI."""
    with pytest.raises(XapiValidationError):
        agent_ifi(agent=agent)
