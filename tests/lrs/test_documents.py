"""State, Activity Profile and Agent Profile resources (xAPI 1.0.3 Communication 2.2-2.7 and 3.1; xAPI 2.0
= IEEE 9274.1.1 4.1.4 and 4.1.6.2-4.1.6.6). Every test runs under both versions unless it says otherwise."""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.lrs.documents import DocumentScope, Preconditions, document_save, preconditions_parse
from tandem.lrs.models import Document
from tests.lrs.factories import COURSE, LrsClientFactory, agent, basic_auth

STATE = "/xapi/activities/state"
ACTIVITY_PROFILE = "/xapi/activities/profile"
AGENT_PROFILE = "/xapi/agents/profile"
ANN = json.dumps(agent())


class Docs:
    """The test client speaking to the document resources with one credential and one version."""

    def __init__(self, http: Client, key: str, version: str) -> None:
        self.http = http
        self.key = key
        self.version = version

    def call(
        self,
        method: str,
        path: str,
        params: dict[str, Any],
        body: Any = None,
        *,
        raw: bytes | None = None,
        content_type: str = "application/json",
        **headers: str,
    ):
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        extra = {
            "HTTP_AUTHORIZATION": basic_auth(self.key),
            "HTTP_X_EXPERIENCE_API_VERSION": self.version,
            **{f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()},
        }
        return self.http.generic(
            method, f"{path}?{urlencode(params)}", data=data, content_type=content_type, **extra
        )


def state_params(**extra: Any) -> dict[str, Any]:
    return {"activityId": COURSE, "agent": ANN, "stateId": "bookmark", **extra}


def profile_params(path: str, **extra: Any) -> dict[str, Any]:
    base = {"activityId": COURSE} if path == ACTIVITY_PROFILE else {"agent": ANN}
    return {**base, "profileId": "prefs", **extra}


@pytest.fixture
def docs(client: Client, db: Any, version: str) -> Docs:
    return Docs(client, LrsClientFactory(scopes=["state", "profile"]).key, version)


@pytest.fixture
def docs_for(client: Client, db: Any, version: str):
    def _make(scopes: list[str]) -> Docs:
        return Docs(client, LrsClientFactory(scopes=scopes).key, version)

    return _make


def etag_of(content: bytes) -> str:
    return f'"{hashlib.sha1(content, usedforsecurity=False).hexdigest()}"'


# --- single documents --------------------------------------------------------------------------


def test_state_put_then_get_returns_the_document_with_its_content_type_etag_and_last_modified(docs: Docs):
    """Communication 2.3.s3: PUT 204, GET 200 with the document; 3.1.s4.b1/b2/b4: quoted SHA-1 ETag;
    2.2.s6.b1: Last-Modified."""
    put = docs.call("PUT", STATE, state_params(), raw=b"page 7", content_type="text/plain")
    assert put.status_code == 204
    got = docs.call("GET", STATE, state_params())
    assert got.status_code == 200
    assert got.content == b"page 7"
    assert got["Content-Type"] == "text/plain"
    assert got["ETag"] == etag_of(b"page 7")
    assert got["Last-Modified"]
    assert got["X-Experience-API-Version"] == docs.version


def test_state_head_returns_headers_without_body(docs: Docs):
    """Communication 1.1.s3.b1: HEAD answers as GET without the message body."""
    docs.call("PUT", STATE, state_params(), {"a": 1})
    head = docs.call("HEAD", STATE, state_params())
    assert head.status_code == 200
    assert head.content == b""
    assert head["ETag"] == etag_of(json.dumps({"a": 1}).encode())


def test_state_get_unknown_document_is_404(docs: Docs):
    assert docs.call("GET", STATE, state_params(stateId="missing")).status_code == 404


def test_state_registration_separates_documents(docs: Docs):
    """Communication 2.3.s3: the document lives in the context of Activity, Agent and registration."""
    registration = str(uuid.uuid4())
    docs.call("PUT", STATE, state_params(registration=registration), {"r": 1})
    assert docs.call("GET", STATE, state_params()).status_code == 404
    assert docs.call("GET", STATE, state_params(registration=registration)).json() == {"r": 1}


def test_state_agent_is_matched_by_ifi_not_by_the_json_as_sent(docs: Docs):
    """Agents are the same when their IFIs are (mbox domain is case-insensitive, Data 2.4.2.3)."""
    docs.call("PUT", STATE, state_params(), {"a": 1})
    other_form = json.dumps({"mbox": "mailto:ann@EXAMPLE.com"})
    assert docs.call("GET", STATE, state_params(agent=other_form)).json() == {"a": 1}


# --- POST merge --------------------------------------------------------------------------------


def test_state_post_merges_top_level_properties_of_json_documents(docs: Docs):
    """Communication 2.2.s7: only top-level properties merge; 2.2.s8.b2: 204 on success."""
    docs.call("POST", STATE, state_params(), {"x": "foo", "y": "bar", "o": {"a": 1}})
    merged = docs.call("POST", STATE, state_params(), {"x": "bash", "z": "faz", "o": {"b": 2}})
    assert merged.status_code == 204
    assert docs.call("GET", STATE, state_params()).json() == {
        "x": "bash",
        "y": "bar",
        "z": "faz",
        "o": {"b": 2},
    }


def test_state_post_non_json_onto_json_document_is_400_and_changes_nothing(docs: Docs):
    """Communication 2.2.s8.b1: either side not application/json or not a JSON object: 400, no update."""
    docs.call("PUT", STATE, state_params(), {"x": 1})
    refused = docs.call("POST", STATE, state_params(), raw=b"plain", content_type="text/plain")
    assert refused.status_code == 400
    assert docs.call("GET", STATE, state_params()).json() == {"x": 1}


def test_state_post_json_onto_non_json_document_is_400(docs: Docs):
    """Communication 2.2.s8.b1 (the existing document is not application/json)."""
    docs.call("PUT", STATE, state_params(), raw=b"plain", content_type="text/plain")
    assert docs.call("POST", STATE, state_params(), {"x": 1}).status_code == 400
    assert docs.call("GET", STATE, state_params()).content == b"plain"


@pytest.mark.parametrize("body", [[1, 2], "text", 3])
def test_state_post_json_that_is_not_an_object_is_400(docs: Docs, body: Any):
    """Communication 2.2.s8.b1: a posted document that is not a JSON Object is refused."""
    docs.call("PUT", STATE, state_params(), {"x": 1})
    assert docs.call("POST", STATE, state_params(), body).status_code == 400


def test_state_post_of_a_new_non_json_document_is_stored_as_sent(docs: Docs):
    posted = docs.call(
        "POST", STATE, state_params(), raw=b"\x00\x01binary", content_type="application/octet-stream"
    )
    assert posted.status_code == 204
    got = docs.call("GET", STATE, state_params())
    assert got.content == b"\x00\x01binary"
    assert got["Content-Type"] == "application/octet-stream"


# --- multiple documents ------------------------------------------------------------------------


def test_state_get_without_state_id_returns_the_ids_filtered_by_since(docs: Docs):
    """Communication 2.3.s4: the array of ids; `since` is exclusive; 2.2.s6.b2: Last-Modified."""
    docs.call("PUT", STATE, state_params(stateId="a"), {"a": 1})
    docs.call("PUT", STATE, state_params(stateId="b"), {"b": 1})
    params = {"activityId": COURSE, "agent": ANN}
    listed = docs.call("GET", STATE, params)
    assert listed.status_code == 200
    assert sorted(listed.json()) == ["a", "b"]
    assert listed["Last-Modified"] and listed["ETag"]
    updated = Document.objects.get(document_id="a").updated
    Document.objects.filter(document_id="b").update(updated=updated.replace(year=updated.year + 1))
    since = updated.isoformat()
    assert docs.call("GET", STATE, {**params, "since": since}).json() == ["b"]


def test_state_delete_without_state_id_deletes_all_state_for_agent_and_activity(docs: Docs):
    """Communication 2.3.s5: DELETE without stateId deletes the whole context (registration if given)."""
    registration = str(uuid.uuid4())
    docs.call("PUT", STATE, state_params(stateId="a"), {"a": 1})
    docs.call("PUT", STATE, state_params(stateId="b", registration=registration), {"b": 1})
    docs.call("PUT", STATE, state_params(stateId="c", activityId="http://example.com/other"), {"c": 1})
    deleted = docs.call("DELETE", STATE, {"activityId": COURSE, "agent": ANN, "registration": registration})
    assert deleted.status_code == 204
    assert set(Document.objects.values_list("document_id", flat=True)) == {"a", "c"}
    docs.call("DELETE", STATE, {"activityId": COURSE, "agent": ANN})
    assert set(Document.objects.values_list("document_id", flat=True)) == {"c"}


def test_state_delete_single_document(docs: Docs):
    docs.call("PUT", STATE, state_params(), {"a": 1})
    assert docs.call("DELETE", STATE, state_params()).status_code == 204
    assert docs.call("GET", STATE, state_params()).status_code == 404


# --- profiles ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [ACTIVITY_PROFILE, AGENT_PROFILE])
def test_profile_put_get_list_post_merge_and_delete(docs: Docs, path: str):
    """Communication 2.6/2.7 (1.0.3), 4.1.6.5/4.1.6.6 (2.0): same semantics as State, keyed by profileId."""
    assert docs.call("PUT", path, profile_params(path), {"a": 1}, If_None_Match="*").status_code == 204
    got = docs.call("GET", path, profile_params(path))
    assert got.json() == {"a": 1}
    merged = docs.call("POST", path, profile_params(path), {"b": 2}, If_Match=got["ETag"])
    assert merged.status_code == 204
    assert docs.call("GET", path, profile_params(path)).json() == {"a": 1, "b": 2}
    listing = {k: v for k, v in profile_params(path).items() if k != "profileId"}
    assert docs.call("GET", path, listing).json() == ["prefs"]
    current = docs.call("GET", path, profile_params(path))["ETag"]
    assert docs.call("DELETE", path, profile_params(path), If_Match=current).status_code == 204
    assert docs.call("GET", path, listing).json() == []


@pytest.mark.parametrize("path", [ACTIVITY_PROFILE, AGENT_PROFILE])
def test_profile_delete_without_profile_id_is_400(docs: Docs, path: str):
    """Only the State Resource deletes a set of documents (Communication 2.3.s5 has no profile twin)."""
    listing = {k: v for k, v in profile_params(path).items() if k != "profileId"}
    response = docs.call("DELETE", path, listing)
    assert response.status_code == 400
    assert response.json()["field"] == "profileId"


# --- concurrency (Communication 3.1 / 2.0 4.1.4) -----------------------------------------------


@pytest.mark.parametrize("path", [ACTIVITY_PROFILE, AGENT_PROFILE, STATE])
def test_put_with_stale_if_match_is_412_and_changes_nothing(docs: Docs, path: str):
    """1.0.3 3.1.s4.b5/b9/b10 and 2.0 4.1.4: If-Match not matching → 412 Precondition Failed, no change."""
    params = state_params() if path == STATE else profile_params(path)
    docs.call("PUT", path, params, {"v": 1}, If_None_Match="*")
    stale = docs.call("PUT", path, params, {"v": 2}, If_Match='"1234"')
    assert stale.status_code == 412
    assert docs.call("GET", path, params).json() == {"v": 1}


@pytest.mark.parametrize("path", [ACTIVITY_PROFILE, AGENT_PROFILE, STATE])
@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_post_and_delete_with_stale_if_match_are_412(docs: Docs, path: str, method: str):
    """1.0.3 3.1.s4.b7/b11/b12 (SHOULD*) and 2.0 4.1.4 (shall, PUT, POST or DELETE): 412, no change."""
    params = state_params() if path == STATE else profile_params(path)
    docs.call("PUT", path, params, {"v": 1}, If_None_Match="*")
    assert docs.call(method, path, params, {"w": 2}, If_Match='"1234"').status_code == 412
    assert docs.call("GET", path, params).json() == {"v": 1}


@pytest.mark.parametrize("path", [ACTIVITY_PROFILE, AGENT_PROFILE, STATE])
def test_put_with_if_none_match_star_on_existing_document_is_412(docs: Docs, path: str):
    """1.0.3 3.1.s4.b6/b9: If-None-Match "*" detects a document the client does not know about."""
    params = state_params() if path == STATE else profile_params(path)
    docs.call("PUT", path, params, {"v": 1}, If_None_Match="*")
    assert docs.call("PUT", path, params, {"v": 2}, If_None_Match="*").status_code == 412


@pytest.mark.parametrize("path", [ACTIVITY_PROFILE, AGENT_PROFILE, STATE])
def test_if_match_on_missing_document_is_412(docs: Docs, path: str):
    """RFC 2616 14.24: If-Match fails when there is no current entity."""
    params = state_params() if path == STATE else profile_params(path)
    assert docs.call("PUT", path, params, {"v": 1}, If_Match=etag_of(b"x")).status_code == 412
    assert docs.call("GET", path, params).status_code == 404


@pytest.mark.parametrize("path", [ACTIVITY_PROFILE, AGENT_PROFILE])
def test_profile_put_without_precondition_on_existing_document_is_409(docs: Docs, path: str):
    """1.0.3 3.1.s4.b13-b15 and 2.0 4.1.4: "If a PUT request is received without either header for a
    resource that already exists, the LRS shall return HTTP status 409 Conflict", explain, and not modify.

    Neither version has a 428 Precondition Required rule (checked against the 1.0.3 text and the IEEE
    9274.1.1 4.1.4 text), so a PUT to a new profile document without headers is accepted.
    """
    params = profile_params(path)
    assert docs.call("PUT", path, params, {"v": 1}).status_code == 204
    conflict = docs.call("PUT", path, params, {"v": 2})
    assert conflict.status_code == 409
    assert "If-Match" in conflict.json()["error"]
    assert docs.call("GET", path, params).json() == {"v": 1}


@pytest.mark.parametrize("path", [ACTIVITY_PROFILE, AGENT_PROFILE])
def test_profile_put_without_either_header_creates_a_new_document(docs: Docs, path: str):
    """adlnet/xAPI-Spec issue 1064 (open): the client "MUST include" If-Match or If-None-Match on a profile PUT,
    but the LRS rules (1.0.3 3.1.s4.b13-b15) only cover "a resource that already exists". The decision
    (docs/xapi-versions.md): no document yet -> stored (204); it then exists, so the next PUT without either
    header is 409 and changes nothing."""
    params = profile_params(path, profileId="first-put")
    created = docs.call("PUT", path, params, {"v": 1})
    assert created.status_code == 204, created.content
    stored = Document.objects.get(document_id="first-put")
    assert json.loads(bytes(stored.content)) == {"v": 1}
    assert docs.call("PUT", path, params, {"v": 2}).status_code == 409
    assert docs.call("GET", path, params).json() == {"v": 1}


@pytest.mark.parametrize("path", [ACTIVITY_PROFILE, AGENT_PROFILE])
@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_profile_post_and_delete_without_precondition_are_accepted(docs: Docs, path: str, method: str):
    """1.0.3 3.1.s3.b2/b3: headers on POST/DELETE are a client SHOULD*; the 409 rule is for PUT only."""
    params = profile_params(path)
    docs.call("PUT", path, params, {"v": 1})
    assert docs.call(method, path, params, {"w": 2}).status_code == 204


def test_state_put_without_precondition_on_existing_document_depends_on_version(docs: Docs):
    """1.0.3 3.1.s3: "The State Resource will permit PUT, POST and DELETE requests without concurrency
    headers" — so 204. 2.0 4.1.4 lists the State Resource with the profiles and drops that exemption, so
    the 409 rule applies to State too (the 2.0 conformance suite tests exactly that)."""
    docs.call("PUT", STATE, state_params(), {"v": 1})
    second = docs.call("PUT", STATE, state_params(), {"v": 2})
    if docs.version == "1.0.3":
        assert second.status_code == 204
        assert docs.call("GET", STATE, state_params()).json() == {"v": 2}
    else:
        assert second.status_code == 409
        assert docs.call("GET", STATE, state_params()).json() == {"v": 1}


@pytest.mark.parametrize("path", [ACTIVITY_PROFILE, AGENT_PROFILE, STATE])
def test_put_with_current_if_match_replaces_the_document(docs: Docs, path: str):
    params = state_params() if path == STATE else profile_params(path)
    docs.call("PUT", path, params, {"v": 1}, If_None_Match="*")
    current = docs.call("GET", path, params)["ETag"]
    assert docs.call("PUT", path, params, {"v": 2}, If_Match=current).status_code == 204
    assert docs.call("GET", path, params).json() == {"v": 2}


def test_if_match_accepts_a_list_and_star():
    """RFC 2616 14.24: a list of entity tags, or "*"."""
    parsed = preconditions_parse(if_match='"a", "b"', if_none_match="*")
    assert parsed == Preconditions(if_match=("a", "b"), if_none_match=("*",))


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises every writer anyway")
def test_two_updates_with_the_same_if_match_one_succeeds_one_is_412():
    """Communication 3.1.s1: concurrency control stops a PUT based on old data. Two writers holding the
    same ETag race; the row lock makes the second see the first's write, so exactly one gets 412."""
    scope = DocumentScope(kind=Document.Kind.ACTIVITY_PROFILE, activity_id=COURSE)
    first = document_save(
        scope=scope,
        document_id="prefs",
        agent=None,
        content=b"{}",
        content_type="application/json",
        merge=False,
        preconditions=Preconditions(if_none_match=("*",)),
        version="2.0.0",
    )
    barrier = threading.Barrier(2)
    outcomes: list[int] = []

    def write(value: int) -> None:
        try:
            barrier.wait()
            document_save(
                scope=scope,
                document_id="prefs",
                agent=None,
                content=json.dumps({"v": value}).encode(),
                content_type="application/json",
                merge=False,
                preconditions=Preconditions(if_match=(first.etag,)),
                version="2.0.0",
            )
            outcomes.append(204)
        except Exception as error:  # the status is what the test checks
            outcomes.append(getattr(error, "status", 500))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=write, args=(n,)) for n in (1, 2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(outcomes) == [204, 412]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises every writer anyway")
def test_two_creates_with_if_none_match_star_one_succeeds_one_is_412():
    """Communication 3.1.s4.b6: If-None-Match "*" — of two racing creators only one may create."""
    scope = DocumentScope(kind=Document.Kind.ACTIVITY_PROFILE, activity_id=COURSE)
    barrier = threading.Barrier(2)
    outcomes: list[int] = []

    def write(value: int) -> None:
        try:
            barrier.wait()
            document_save(
                scope=scope,
                document_id="new",
                agent=None,
                content=json.dumps({"v": value}).encode(),
                content_type="application/json",
                merge=False,
                preconditions=Preconditions(if_none_match=("*",)),
                version="1.0.3",
            )
            outcomes.append(204)
        except Exception as error:
            outcomes.append(getattr(error, "status", 500))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=write, args=(n,)) for n in (1, 2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(outcomes) == [204, 412]
    assert Document.objects.filter(document_id="new").count() == 1


# --- parameters and errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"activityId": COURSE, "stateId": "s"}, "agent"),
        ({"agent": ANN, "stateId": "s"}, "activityId"),
        ({"activityId": COURSE, "agent": "{not json", "stateId": "s"}, "agent"),
        ({"activityId": COURSE, "agent": json.dumps({"name": "no ifi"}), "stateId": "s"}, "agent"),
        (
            {"activityId": COURSE, "agent": json.dumps({"mbox": "ann@example.com"}), "stateId": "s"},
            "agent.mbox",
        ),
        ({"activityId": COURSE, "agent": json.dumps([1]), "stateId": "s"}, "agent"),
        (
            {
                "activityId": COURSE,
                "agent": json.dumps({"objectType": "Group", "mbox": "mailto:g@x.com"}),
                "stateId": "s",
            },
            "agent.objectType",
        ),
        ({"activityId": COURSE, "agent": ANN, "stateId": "s", "registration": "nope"}, "registration"),
        ({"activityId": "not an iri", "agent": ANN, "stateId": "s"}, "activityId"),
        ({"activityId": COURSE, "agent": ANN, "stateId": "s", "bogus": "1"}, "bogus"),
    ],
)
def test_state_bad_parameters_are_400_with_field_and_rule(docs: Docs, params: dict[str, str], field: str):
    """Communication 3.2 / 2.0 4.1.5-4.1.6: invalid or missing arguments → 400, never 500."""
    for method in ("GET", "PUT", "DELETE"):
        response = docs.call(method, STATE, params, {"a": 1})
        assert response.status_code == 400, (method, response.content)
        body = response.json()
        assert body["field"].startswith(field)
        assert body["rule"]


def test_put_without_state_id_is_400(docs: Docs):
    response = docs.call("PUT", STATE, {"activityId": COURSE, "agent": ANN}, {"a": 1})
    assert response.status_code == 400
    assert response.json() == {"error": "stateId is required", "field": "stateId", "rule": "required"}


def test_since_is_only_for_lists_and_must_be_a_timestamp(docs: Docs):
    assert (
        docs.call("GET", STATE, {"activityId": COURSE, "agent": ANN, "since": "yesterday"}).status_code == 400
    )
    assert docs.call("GET", STATE, state_params(since="2020-01-01T00:00:00Z")).status_code == 400


# --- credentials and protocol ------------------------------------------------------------------


def test_documents_need_credentials(client: Client, db: Any, version: str):
    response = client.get(STATE, state_params(), HTTP_X_EXPERIENCE_API_VERSION=version)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    ("scopes", "path", "method", "status"),
    [
        (["statements/write", "statements/read"], STATE, "GET", 403),
        (["profile"], STATE, "PUT", 403),
        (["state"], ACTIVITY_PROFILE, "GET", 403),
        (["state"], STATE, "PUT", 204),
        (["profile"], AGENT_PROFILE, "PUT", 204),
        (["all"], ACTIVITY_PROFILE, "PUT", 204),
        (["all/read"], STATE, "GET", 404),
        (["all/read"], STATE, "PUT", 403),
        (["all/read"], AGENT_PROFILE, "DELETE", 403),
    ],
)
def test_scopes_govern_document_access(docs_for, scopes: list[str], path: str, method: str, status: int):
    """Communication 4.2 scopes: state, profile, all; all/read allows reading only."""
    params = state_params() if path == STATE else profile_params(path)
    assert docs_for(scopes).call(method, path, params, {"a": 1}).status_code == status


def test_version_header_is_required(client: Client, db: Any):
    key = LrsClientFactory(scopes=["state"]).key
    response = client.get(STATE, state_params(), HTTP_AUTHORIZATION=basic_auth(key))
    assert response.status_code == 400


def test_cors_preflight_allows_delete(client: Client, db: Any):
    response = client.options(STATE)
    assert response.status_code == 200
    assert "DELETE" in response["Access-Control-Allow-Methods"]


def test_document_body_above_the_limit_is_413(docs: Docs):
    response = docs.call(
        "PUT", STATE, state_params(), raw=b"x" * (2 * 1024 * 1024 + 1), content_type="text/plain"
    )
    assert response.status_code == 413


def test_alternate_syntax_put_stores_a_state_document(client: Client, db: Any):
    """1.0.3 Communication 1.3: POST ?method=PUT with headers, parameters and content as form fields."""
    key = LrsClientFactory(scopes=["state"]).key
    form = {
        "Authorization": basic_auth(key),
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
        "content": json.dumps({"a": 1}),
        **state_params(),
    }
    response = client.post(
        f"{STATE}?method=PUT", data=urlencode(form), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 204
    assert json.loads(bytes(Document.objects.get().content)) == {"a": 1}


def _alternate(client: Client, path: str, method: str, form: dict[str, str]):
    return client.post(
        f"{path}?method={method}", data=urlencode(form), content_type="application/x-www-form-urlencoded"
    )


def test_alternate_syntax_delete_removes_a_state_document(client: Client, db: Any):
    """1.0.3 Communication 1.3: POST ?method=DELETE, with headers and parameters as form fields, is a DELETE."""
    key = LrsClientFactory(scopes=["state"]).key
    headers = {"Authorization": basic_auth(key), "X-Experience-API-Version": "1.0.3"}
    put = _alternate(client, STATE, "PUT", {**headers, "content": json.dumps({"a": 1}), **state_params()})
    assert put.status_code == 204
    deleted = _alternate(client, STATE, "DELETE", {**headers, **state_params()})
    assert deleted.status_code == 204, deleted.content
    assert not Document.objects.exists()


def test_alternate_syntax_delete_of_all_state_in_a_context(client: Client, db: Any):
    """Communication 1.3 with 2.3.s5: the multiple-document DELETE through the alternate syntax."""
    key = LrsClientFactory(scopes=["state"]).key
    headers = {"Authorization": basic_auth(key), "X-Experience-API-Version": "1.0.3"}
    for state_id in ("a", "b"):
        form = {**headers, "content": "x", "Content-Type": "text/plain", **state_params(stateId=state_id)}
        assert _alternate(client, STATE, "PUT", form).status_code == 204
    context = {"activityId": COURSE, "agent": ANN}
    assert _alternate(client, STATE, "DELETE", {**headers, **context}).status_code == 204
    assert not Document.objects.exists()


@pytest.mark.parametrize("path", [ACTIVITY_PROFILE, AGENT_PROFILE])
def test_alternate_syntax_delete_honours_if_match_sent_as_a_form_field(client: Client, db: Any, path: str):
    """Communication 1.3 (If-Match travels as a form field) with 3.1.s4.b4: a stale ETag is 412."""
    key = LrsClientFactory(scopes=["profile"]).key
    headers = {"Authorization": basic_auth(key), "X-Experience-API-Version": "1.0.3"}
    form = {**headers, "content": json.dumps({"a": 1}), "If-None-Match": "*", **profile_params(path)}
    assert _alternate(client, path, "PUT", form).status_code == 204
    stale = _alternate(client, path, "DELETE", {**headers, "If-Match": '"0000"', **profile_params(path)})
    assert stale.status_code == 412 and Document.objects.count() == 1
    current = f'"{Document.objects.get().etag}"'
    fresh = _alternate(client, path, "DELETE", {**headers, "If-Match": current, **profile_params(path)})
    assert fresh.status_code == 204 and not Document.objects.exists()


def test_alternate_syntax_delete_is_refused_for_2_0_and_for_statements(client: Client, db: Any):
    """The alternate syntax is 1.0.x only; the Statement Resource has no DELETE (Communication 2.1)."""
    key = LrsClientFactory(scopes=["state", "statements/read"]).key
    form = {"Authorization": basic_auth(key), **state_params()}
    assert (
        _alternate(client, STATE, "DELETE", {**form, "X-Experience-API-Version": "2.0.0"}).status_code == 400
    )
    statements = _alternate(
        client, "/xapi/statements", "DELETE", {**form, "X-Experience-API-Version": "1.0.3"}
    )
    assert statements.status_code == 400


# --- query bounds ------------------------------------------------------------------------------


def test_document_requests_use_a_bounded_number_of_queries(docs: Docs):
    """Credential + one read (+ savepoint/lock/write for writes), whatever is stored."""
    for n in range(20):
        docs.call("PUT", STATE, state_params(stateId=f"s{n}"), {"n": n})
    with CaptureQueriesContext(connection) as get_queries:
        docs.call("GET", STATE, state_params(stateId="s3"))
    with CaptureQueriesContext(connection) as list_queries:
        docs.call("GET", STATE, {"activityId": COURSE, "agent": ANN})
    with CaptureQueriesContext(connection) as put_queries:
        docs.call("PUT", STATE, state_params(stateId="s3"), {"n": 99}, If_Match=etag_of(b'{"n": 3}'))
    assert len(get_queries) <= 2
    assert len(list_queries) <= 2
    assert len(put_queries) <= 6


# --- garbage never 500 -------------------------------------------------------------------------


def test_nul_characters_and_oversized_keys_are_400_not_500(docs: Docs):
    """PostgreSQL text and jsonb cannot hold NUL, and a B-tree entry holds ~2.7 kB: both are refused up front."""
    assert docs.call("PUT", STATE, state_params(stateId="a\x00b"), {"a": 1}).status_code == 400
    nul_agent = json.dumps({"mbox": "mailto:ann@example.com", "name": "A\x00"})
    assert docs.call("PUT", STATE, state_params(agent=nul_agent), {"a": 1}).status_code == 400
    long_id = "é" * 1500  # 3000 bytes
    response = docs.call("PUT", STATE, state_params(stateId=long_id), {"a": 1})
    assert response.status_code == 400
    assert response.json()["rule"] == "length"


_text = st.text(max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD"]),
    path=st.sampled_from([STATE, ACTIVITY_PROFILE, AGENT_PROFILE, "/xapi/activities", "/xapi/agents"]),
    params=st.dictionaries(
        st.sampled_from(["activityId", "agent", "stateId", "profileId", "registration", "since", "x"]),
        st.one_of(_text, st.sampled_from([ANN, COURSE, "*", "{}", json.dumps({"mbox": "mailto:\x00@x.y"})])),
    ),
    body=st.binary(max_size=64),
    content_type=st.sampled_from(["application/json", "text/plain", "application/json; charset=utf-8"]),
    if_match=st.one_of(st.none(), _text),
)
def test_document_resources_never_answer_500(
    client: Client, db: Any, path: str, method: str, params: dict, body: bytes, content_type: str, if_match
):
    """Random parameters, bodies and preconditions under both versions: always an answer below 500."""
    key = LrsClientFactory(scopes=["all"]).key
    for version in ("1.0.3", "2.0.0"):
        headers = {"If_Match": if_match} if if_match is not None and "\x00" not in if_match else {}
        response = Docs(client, key, version).call(
            method, path, params, raw=body, content_type=content_type, **headers
        )
        assert response.status_code < 500, response.content
