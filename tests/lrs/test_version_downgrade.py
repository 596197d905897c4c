"""Strict versioning: GET /xapi/statements answers a 1.0.x client with 2.0 statements in 1.0.3 form
(TANDEM_XAPI_DOWNGRADE_STATEMENTS, tandem.lrs.xapi.downgrade; docs/xapi-versions.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tandem.lrs.xapi import statement_validate
from tests.lrs.factories import (
    TEXT,
    LrsClientFactory,
    Xapi,
    agent,
    attachment,
    parse_response,
    part,
    post_multipart,
    statement,
    voiding,
)

CONTEXT_AGENTS = [
    {
        "objectType": "contextAgent",
        "agent": {"objectType": "Agent", "mbox": "mailto:coach@example.com", "name": "Coach"},
        "relevantTypes": ["https://example.com/xapi/activity-types/coach"],
    }
]
CONTEXT_GROUPS = [
    {"objectType": "contextGroup", "group": {"objectType": "Group", "mbox": "mailto:team-1@example.com"}}
]
CONTEXT = {"language": "en-GB", "contextAgents": CONTEXT_AGENTS, "contextGroups": CONTEXT_GROUPS}


@pytest.fixture
def key(db: Any) -> str:
    return str(LrsClientFactory(scopes=["statements/write", "statements/read"]).key)


@pytest.fixture
def v1(client: Client, key: str) -> Xapi:
    return Xapi(client, key, "1.0.3")


@pytest.fixture
def v2(client: Client, key: str) -> Xapi:
    return Xapi(client, key, "2.0.0")


@pytest.fixture
def stored(v2: Xapi) -> dict[str, Any]:
    """A 2.0 statement with contextAgents and contextGroups, sent under 2.0.0; returns it as a 2.0 client
    reads it."""
    sent = statement(context=CONTEXT)
    assert v2.post(sent).status_code == 200
    response = v2.get({"statementId": sent["id"]})
    assert response.status_code == 200
    return dict(response.json())


def _as_1_0_3(statement_2_0: dict[str, Any]) -> dict[str, Any]:
    """What the 1.0.3 reader should get: the same statement without the 2.0 properties, version 1.0.0."""
    context = {
        k: v for k, v in statement_2_0["context"].items() if k not in ("contextAgents", "contextGroups")
    }
    return {**statement_2_0, "context": context, "version": "1.0.0"}


def test_a_1_0_3_client_reads_a_2_0_statement_in_1_0_3_form(v1: Xapi, stored: dict[str, Any]):
    assert stored["version"] == "2.0.0" and stored["context"]["contextAgents"] == CONTEXT_AGENTS
    response = v1.get({"statementId": stored["id"]})
    assert response.status_code == 200
    assert response["X-Experience-API-Version"] == "1.0.3"
    read = response.json()
    assert read == _as_1_0_3(stored)  # everything else exactly as stored
    assert "contextAgents" not in read["context"] and "contextGroups" not in read["context"]
    statement_validate(statement=read, version="1.0.3")


def test_a_2_0_client_reads_the_statement_as_stored(v2: Xapi, stored: dict[str, Any]):
    read = v2.get({"statementId": stored["id"], "format": "exact"}).json()
    assert read == stored
    assert read["context"] == {**CONTEXT, "contextAgents": CONTEXT_AGENTS}
    assert read["version"] == "2.0.0"


def test_with_the_setting_off_every_client_reads_the_statement_as_stored(
    v1: Xapi, stored: dict[str, Any], settings: Any
):
    settings.TANDEM_XAPI_DOWNGRADE_STATEMENTS = False
    read = v1.get({"statementId": stored["id"]}).json()
    assert read == stored
    assert read["context"]["contextAgents"] == CONTEXT_AGENTS and read["version"] == "2.0.0"
    listed = v1.get({"agent": json.dumps(agent())}).json()["statements"]
    assert listed == [stored]


@pytest.mark.parametrize("fmt", ["exact", "ids", "canonical"])
def test_queries_in_every_format_are_downgraded(v1: Xapi, v2: Xapi, stored: dict[str, Any], fmt: str):
    """The 2.0 reader's answer in the same format, minus the 2.0 properties: only those differ."""
    older = statement()
    assert v1.post(older).status_code == 200  # a 1.0.3 statement is left as it was stored
    params = {"format": fmt, "agent": json.dumps(agent())}
    by_2_0 = v2.get(params).json()["statements"]
    by_1_0 = v1.get(params).json()["statements"]
    assert [s["id"] for s in by_1_0] == [older["id"], stored["id"]]
    assert by_1_0 == [by_2_0[0], _as_1_0_3(by_2_0[1])]
    assert by_2_0[1]["context"]["contextAgents"]  # the 2.0 reader keeps them in every format


def test_every_page_of_a_query_is_downgraded(v1: Xapi, v2: Xapi):
    sent = [statement(context=CONTEXT) for _ in range(3)]
    assert v2.post(sent).status_code == 200
    page = v1.get({"limit": "2"}).json()
    seen = list(page["statements"])
    while page["more"]:
        page = v1.more(page["more"]).json()
        seen.extend(page["statements"])
    assert len(seen) == 3
    assert all(s["version"] == "1.0.0" and set(s["context"]) == {"language"} for s in seen)


def test_a_voided_statement_read_by_voided_statement_id_is_downgraded(v1: Xapi, v2: Xapi, stored: dict):
    assert v2.post(voiding(stored["id"])).status_code == 200
    read = v1.get({"voidedStatementId": stored["id"]}).json()
    assert read == _as_1_0_3(stored)


def test_substatement_contexts_are_downgraded(v1: Xapi, v2: Xapi):
    sent = statement(
        obj={
            "objectType": "SubStatement",
            "actor": agent(),
            "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
            "object": {"objectType": "Activity", "id": "http://example.com/activities/inner"},
            "context": {"contextAgents": CONTEXT_AGENTS},
        }
    )
    assert v2.post(sent).status_code == 200
    read = v1.get({"statementId": sent["id"]}).json()
    assert read["object"]["context"] == {}
    assert v2.get({"statementId": sent["id"]}).json()["object"]["context"] == {
        "contextAgents": CONTEXT_AGENTS
    }


def test_multipart_responses_are_downgraded_and_keep_their_attachments(v1: Xapi, v2: Xapi):
    sent = statement(context=CONTEXT, attachments=[attachment(TEXT)])
    assert post_multipart(v2, sent, part(TEXT)).status_code == 200
    first, *rest = parse_response(v1.get({"statementId": sent["id"], "attachments": "true"}))
    read = json.loads(first.get_payload(decode=True))
    assert read["version"] == "1.0.0" and "contextAgents" not in read["context"]
    assert read["attachments"] == sent["attachments"]
    assert [p.get_payload(decode=True) for p in rest] == [TEXT]
    first, *rest = parse_response(v1.get({"attachments": "true"}))
    listed = json.loads(first.get_payload(decode=True))["statements"]
    assert [s["version"] for s in listed] == ["1.0.0"] and "contextGroups" not in listed[0]["context"]
    assert [p.get_payload(decode=True) for p in rest] == [TEXT]
