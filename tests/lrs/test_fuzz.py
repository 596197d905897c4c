"""Fuzzing the xAPI statements and document resources with input the JSON module accepts but no read can use:
non-finite numbers, integers beyond a double, lone UTF-16 surrogates, deep nesting, and junk headers.

Every example must be refused with a 4xx that says why (never the catch-all "could not be processed" answer,
never a 500) and must store nothing. tandem.lrs.xapi.jsontext holds the limits."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.accounts.models import Role
from tandem.lrs.models import Document, Statement
from tandem.lrs.xapi import MAX_JSON_DEPTH
from tests.factories import UserFactory
from tests.lrs.factories import COURSE, LrsClientFactory, Xapi, agent, basic_auth, statement

pytestmark = pytest.mark.django_db

FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CATCH_ALL = "could not be processed"
BAD = "__BAD__"
EXTENSION = "http://example.com/ext"

# Raw JSON text for each class of poison; each is valid for json.loads and wrong for storage.
non_finite = st.sampled_from(["NaN", "Infinity", "-Infinity"])
big_integer = st.integers(min_value=309, max_value=6000).map(lambda digits: "9" * digits)
surrogate = st.integers(min_value=0xD800, max_value=0xDFFF).map(lambda code: f'"x\\u{code:04x}y"')
deep = st.integers(min_value=MAX_JSON_DEPTH, max_value=5000).map(
    lambda depth: "[" * depth + "1" + "]" * depth
)
poison = st.one_of(non_finite, big_integer, surrogate, deep)


def _statement_with(where: str) -> dict[str, Any]:
    """A valid statement with BAD where the poison goes."""
    data = statement()
    if where == "score.raw":
        data["result"] = {"score": {"raw": BAD}}
    elif where == "actor.name":
        data["actor"]["name"] = BAD
    elif where == "activity.name":
        data["object"] = {"id": COURSE, "definition": {"name": {"en-US": BAD}}}
    else:
        data["context"] = {"extensions": {EXTENSION: {"nested": [BAD]}}}
    return data


def _raw(data: Any, token: str) -> bytes:
    return json.dumps(data).replace(f'"{BAD}"', token).encode()


def _refused_with_reason(response, *, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert body["error"] and CATCH_ALL not in body["error"], body
    return body


@pytest.fixture
def xapi(client: Client, version: str) -> Xapi:
    return Xapi(client, LrsClientFactory(scopes=["all"]).key, version)


@FUZZ
@given(token=poison, where=st.sampled_from(["score.raw", "actor.name", "activity.name", "extension"]))
def test_fuzz_statement_post_refuses_poisoned_values_and_stores_nothing(xapi: Xapi, token: str, where: str):
    if where == "actor.name" and not token.startswith('"'):
        token = json.dumps(token)[:-1] + '\\ud800"'  # a name must be a string: keep the poison a surrogate
    body = _refused_with_reason(xapi.post(None, raw=_raw(_statement_with(where), token)))
    assert body.get("rule") or body.get("field") is not None
    assert not Statement.objects.exists()


@FUZZ
@given(token=poison)
def test_fuzz_statement_put_and_batch_refuse_poison_and_store_nothing(xapi: Xapi, token: str):
    good, bad = statement(), _statement_with("extension")
    statement_id = bad.pop("id")
    put = xapi.http.put(
        f"/xapi/statements?{urlencode({'statementId': statement_id})}",
        data=_raw(bad, token),
        content_type="application/json",
        **xapi.headers(),
    )
    _refused_with_reason(put)
    batch = _refused_with_reason(xapi.post(None, raw=_raw([good, bad], token)))
    assert batch["field"].startswith("[1].") or batch["field"] in ("", "body", "[1]")
    assert not Statement.objects.exists()


@pytest.mark.parametrize(
    ("token", "rule"),
    [
        ("NaN", "holds NaN, which JSON does not allow: numbers must be finite"),
        ("9" * 400, "is a number too large for a double (IEEE 754)"),
        ("9" * 5000, "holds a number too large for a double (IEEE 754)"),
        ('"\\udc80"', "holds a lone UTF-16 surrogate (not a Unicode character); send valid UTF-8 text"),
    ],
)
def test_poisoned_score_raw_names_the_field_and_the_rule(xapi: Xapi, token: str, rule: str):
    body = _refused_with_reason(xapi.post(None, raw=_raw(_statement_with("score.raw"), token)))
    assert body["rule"] == rule
    assert body["field"] in ("result.score.raw", "body")


def test_nesting_at_the_limit_is_stored_and_read_back_one_deeper_is_refused(xapi: Xapi):
    """One depth limit (MAX_JSON_DEPTH levels, the statement itself counting as one) at write; everything
    accepted reads back in every format."""
    inner_levels = MAX_JSON_DEPTH - 3  # statement > context > extensions > value
    nested: Any = 1
    for _level in range(inner_levels):
        nested = [nested]
    ok = statement(context={"extensions": {EXTENSION: nested}})
    assert xapi.post(ok).status_code == 200
    for fmt in ("exact", "ids", "canonical"):
        got = xapi.get({"statementId": ok["id"], "format": fmt})
        assert got.status_code == 200 and got.json()["context"]["extensions"][EXTENSION] == nested
    assert xapi.get({"format": "canonical"}).status_code == 200
    xapi.http.force_login(UserFactory(roles=[Role.LD_TEAM]))
    assert xapi.http.get("/learning/statements/").status_code == 200
    too_deep = statement(context={"extensions": {EXTENSION: [nested]}})
    body = _refused_with_reason(xapi.post(too_deep))
    assert body["rule"] == f"nests objects and arrays deeper than {MAX_JSON_DEPTH} levels"
    assert Statement.objects.count() == 1


header_junk = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=400)


@FUZZ
@given(language=header_junk, limit=st.one_of(header_junk, st.integers(min_value=0).map(str)))
def test_fuzz_junk_accept_language_and_limit_never_fail(xapi: Xapi, language: str, limit: str):
    xapi.post(statement()) if not Statement.objects.exists() else None
    for fmt in ("exact", "canonical"):
        response = xapi.get({"format": fmt, "limit": limit}, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code in (200, 400), response.content[:300]
        if response.status_code == 400:
            _refused_with_reason(response)


@FUZZ
@given(
    header=st.sampled_from(
        ["HTTP_X_EXPERIENCE_API_VERSION", "CONTENT_TYPE", "HTTP_AUTHORIZATION", "HTTP_ACCEPT_LANGUAGE"]
    ),
    value=header_junk,
)
def test_fuzz_junk_headers_on_a_statement_post_are_4xx_with_a_reason_or_stored(
    xapi: Xapi, header: str, value: str
):
    before = Statement.objects.count()
    response = xapi.post(statement(), **{header: value})
    if response.status_code == 200:  # a junk value that is still acceptable (Accept-Language)
        assert Statement.objects.count() == before + 1
        return
    assert 400 <= response.status_code < 500, response.content[:300]
    _refused_with_reason(response, status=response.status_code)
    assert Statement.objects.count() == before


def test_large_limit_is_the_server_maximum_and_non_ascii_digits_are_refused(xapi: Xapi):
    xapi.post(statement())
    assert len(xapi.get({"limit": "9" * 5000}).json()["statements"]) == 1
    for limit in ("١٢٣", "²", "1e3", " 5"):
        body = _refused_with_reason(xapi.get({"limit": limit}))
        assert body["field"] == "limit"


# --- document resources --------------------------------------------------------------------------


def _document_call(http: Client, key: str, version: str, method: str, path: str, params: dict, raw: bytes):
    return http.generic(
        method,
        f"{path}?{urlencode(params)}",
        data=raw,
        content_type="application/json",
        HTTP_AUTHORIZATION=basic_auth(key),
        HTTP_X_EXPERIENCE_API_VERSION=version,
    )


@FUZZ
@given(
    token=poison,
    method=st.sampled_from(["PUT", "POST"]),
    path=st.sampled_from(["/xapi/activities/state", "/xapi/activities/profile", "/xapi/agents/profile"]),
)
def test_fuzz_json_documents_refuse_poison_and_store_nothing(
    client: Client, version: str, token: str, method: str, path: str
):
    key = LrsClientFactory(scopes=["all"]).key
    params: dict[str, str] = {"stateId": "s"} if path.endswith("state") else {"profileId": "p"}
    if "activities" in path:
        params["activityId"] = COURSE
    if path != "/xapi/activities/profile":
        params["agent"] = json.dumps(agent())
    raw = _raw({"a": {"b": BAD}}, token)
    response = _document_call(client, key, version, method, path, params, raw)
    body = _refused_with_reason(response)
    assert body["error"].startswith("The application/json document ")
    assert not Document.objects.exists()


@FUZZ
@given(token=poison)
def test_fuzz_agent_parameter_poison_is_refused(client: Client, version: str, token: str):
    key = LrsClientFactory(scopes=["all"]).key
    agent_text = _raw({"mbox": "mailto:ann@example.com", "name": BAD}, token).decode()
    params = {"activityId": COURSE, "agent": agent_text, "stateId": str(uuid.uuid4())}
    response = _document_call(client, key, version, "PUT", "/xapi/activities/state", params, b'{"a": 1}')
    _refused_with_reason(response)
    assert not Document.objects.exists()
    query = Xapi(client, key, version).get({"agent": agent_text})
    _refused_with_reason(query)
