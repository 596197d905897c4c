"""2.0 statements in 1.0.3 form for 1.0.x clients (tandem.lrs.xapi.downgrade, "strict versioning")."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tandem.lrs.xapi import statement_format, statement_validate
from tandem.lrs.xapi.downgrade import statement_downgrade, statements_downgrade
from tests.lrs.xapi.statements import all_examples, course_completion, planned_substatement

CONTEXT_AGENTS = [
    {
        "objectType": "contextAgent",
        "agent": {"objectType": "Agent", "mbox": "mailto:coach@example.com"},
        "relevantTypes": ["https://example.com/xapi/activity-types/coach"],
    }
]
CONTEXT_GROUPS = [
    {"objectType": "contextGroup", "group": {"objectType": "Group", "mbox": "mailto:team-1@example.com"}}
]


def _stored_2_0(statement: dict[str, Any]) -> dict[str, Any]:
    """As the LRS stores a statement received under 2.0.0: with stored, authority and version."""
    return {
        **statement,
        "stored": "2026-03-02T09:15:01.000Z",
        "authority": {
            "objectType": "Agent",
            "account": {"homePage": "https://lrs.example.com", "name": "lms"},
        },
        "version": "2.0.0",
    }


def test_context_agents_and_groups_are_dropped_and_the_version_is_1_0_0() -> None:
    """1.0.3 Data 2.4.6 has no contextAgents/contextGroups; Data 2.4.10.s3.b1: a 1.0.x version."""
    statement = course_completion()
    statement["context"].update(contextAgents=CONTEXT_AGENTS, contextGroups=CONTEXT_GROUPS)
    stored = _stored_2_0(statement)
    before = copy.deepcopy(stored)
    out = statement_downgrade(statement=stored)
    assert out["version"] == "1.0.0"
    assert "contextAgents" not in out["context"] and "contextGroups" not in out["context"]
    expected = _stored_2_0(course_completion())
    expected["version"] = "1.0.0"
    assert out == expected
    assert list(out) == list(expected)  # keys keep their order
    assert stored == before  # input untouched
    statement_validate(statement=out, version="1.0.3")


def test_substatement_context_is_downgraded_too() -> None:
    """2.0 lets a SubStatement's context carry contextAgents; 1.0.3 Data 2.4.4.3 does not."""
    statement = planned_substatement()
    statement["object"]["context"] = {"contextAgents": CONTEXT_AGENTS, "language": "en-GB"}
    stored = _stored_2_0(statement)
    out = statement_downgrade(statement=stored)
    assert out["object"]["context"] == {"language": "en-GB"}
    assert stored["object"]["context"]["contextAgents"] == CONTEXT_AGENTS  # input untouched
    assert out["object"]["actor"] is stored["object"]["actor"]  # what did not change is shared, not copied
    statement_validate(statement=out, version="1.0.3")


def test_a_context_holding_only_2_0_properties_stays_an_empty_context() -> None:
    """Everything but the 2.0 properties is kept as it was: an empty Context is valid 1.0.3 (Data 2.4.6)."""
    statement = planned_substatement()
    statement["context"] = {"contextGroups": CONTEXT_GROUPS}
    out = statement_downgrade(statement=_stored_2_0(statement))
    assert out["context"] == {}
    statement_validate(statement=out, version="1.0.3")


@pytest.mark.parametrize("example", all_examples(), ids=lambda s: str(s.get("id", "no-id"))[:8])
def test_a_2_0_statement_without_2_0_properties_changes_only_its_version(example: dict[str, Any]) -> None:
    stored = _stored_2_0(example)
    out = statement_downgrade(statement=stored)
    assert {**out, "version": "2.0.0"} == stored
    assert out["version"] == "1.0.0"


@pytest.mark.parametrize("version", ["1.0.0", "1.0.3", None])
def test_a_1_0_statement_is_returned_as_it_is(version: str | None) -> None:
    """Nothing to change: the very same object comes back (no copy per statement of a 1.0.3 page)."""
    statement = course_completion()
    if version is not None:
        statement["version"] = version
    assert statement_downgrade(statement=statement) is statement


def test_statements_downgrade_keeps_the_order_and_works_on_every_format() -> None:
    """The views downgrade after formatting: ids and canonical keep contextAgents with reduced agents."""
    with_agents = course_completion()
    with_agents["context"]["contextAgents"] = CONTEXT_AGENTS
    statements = [_stored_2_0(with_agents), {**course_completion(), "version": "1.0.0"}]
    for fmt in ("exact", "ids", "canonical"):
        formatted = [statement_format(statement=s, fmt=fmt, languages=["en-GB"]) for s in statements]
        out = statements_downgrade(statements=formatted)
        assert [s["id"] for s in out] == [s["id"] for s in formatted]
        assert all("contextAgents" not in s["context"] for s in out)
        assert [s["version"] for s in out] == ["1.0.0", "1.0.0"]
        assert out[1] is formatted[1]
