"""Headers, authentication, scopes, CORS, sizes and garbage: the HTTP contract of /xapi/."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.lrs.models import LrsClient, Statement
from tests.lrs.factories import LrsClientFactory, Xapi, basic_auth, statement

pytestmark = pytest.mark.django_db


def test_lrs_about_needs_no_auth_and_lists_versions(client: Client):
    response = client.get("/xapi/about")
    assert response.status_code == 200
    assert response.json() == {"version": ["1.0.3", "2.0.0"], "extensions": {}}
    assert response["X-Experience-API-Version"]
    assert client.head("/xapi/about").content == b""


def test_lrs_version_header_required(xapi):
    plain = Xapi(xapi.http, xapi.key, "")
    response = plain.get()
    assert response.status_code == 400 and "X-Experience-API-Version" in response.json()["error"]
    assert response["X-Experience-API-Version"]
    assert plain.post(statement()).status_code == 400
    assert Statement.objects.count() == 0


@pytest.mark.parametrize("sent", ["0.95", "3.0.0", "1.1.0", "banana"])
def test_lrs_version_header_unsupported_is_400(client, lrs_client, sent):
    assert Xapi(client, lrs_client.key, sent).get().status_code == 400


@pytest.mark.parametrize(("sent", "negotiated"), [("1.0.0", "1.0.3"), ("1.0.3", "1.0.3"), ("2.0.0", "2.0.0")])
def test_lrs_version_header_echoed(client, lrs_client, sent, negotiated):
    response = Xapi(client, lrs_client.key, sent).get()
    assert response.status_code == 200 and response["X-Experience-API-Version"] == negotiated


def test_lrs_auth_missing_is_401_with_basic_challenge(client, version):
    response = client.get("/xapi/statements", HTTP_X_EXPERIENCE_API_VERSION=version)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="xAPI"'


def test_lrs_auth_wrong_secret_or_revoked_is_401(client, lrs_client, version):
    headers = {"HTTP_X_EXPERIENCE_API_VERSION": version}
    wrong = client.get("/xapi/statements", HTTP_AUTHORIZATION=basic_auth(lrs_client.key, "nope"), **headers)
    assert wrong.status_code == 401
    garbage = client.get("/xapi/statements", HTTP_AUTHORIZATION="Basic !!!", **headers)
    assert garbage.status_code == 401
    LrsClient.objects.filter(pk=lrs_client.pk).update(active=False)
    assert Xapi(client, lrs_client.key, version).get().status_code == 401


def test_lrs_site_login_does_not_redirect_xapi(client, version):
    # LoginRequiredMiddleware would answer 302 to the login page; the machine API answers itself.
    response = client.get("/xapi/statements", HTTP_X_EXPERIENCE_API_VERSION=version)
    assert response.status_code == 401
    assert client.post("/xapi/statements", data="{}", content_type="application/json").status_code == 400


def test_lrs_scope_write_needed_for_put_and_post(xapi_for):
    reader = xapi_for(scopes=["statements/read"])
    data = statement()
    assert reader.post(data).status_code == 403
    assert reader.put(data, data["id"]).status_code == 403


@pytest.mark.parametrize("scope", ["statements/read", "all/read", "all"])
def test_lrs_scope_read_allows_get(xapi_for, scope):
    assert xapi_for(scopes=[scope]).get().status_code == 200


def test_lrs_scope_write_only_cannot_read(xapi_for):
    assert xapi_for(scopes=["statements/write"]).get().status_code == 403
    assert xapi_for(scopes=["state"]).get().status_code == 403


def test_lrs_scope_read_mine_sees_only_own_statements(client, version):
    mine = LrsClientFactory(scopes=["statements/write", "statements/read/mine"])
    other = LrsClientFactory(scopes=["statements/write"])
    own, theirs = statement(), statement()
    Xapi(client, mine.key, version).post(own)
    Xapi(client, other.key, version).post(theirs)
    me = Xapi(client, mine.key, version)
    assert [s["id"] for s in me.get().json()["statements"]] == [own["id"]]
    assert me.get({"statementId": theirs["id"]}).status_code == 404
    assert me.get({"statementId": own["id"]}).status_code == 200


def test_lrs_cors_preflight_is_200(client):
    response = client.options(
        "/xapi/statements",
        HTTP_ORIGIN="https://course.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, x-experience-api-version",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    allowed = response["Access-Control-Allow-Headers"].lower()
    for header in ("authorization", "content-type", "x-experience-api-version"):
        assert header in allowed
    assert "POST" in response["Access-Control-Allow-Methods"]


def test_lrs_cors_headers_on_responses(xapi):
    response = xapi.get()
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "X-Experience-API-Consistent-Through" in response["Access-Control-Expose-Headers"]


def test_lrs_oversized_body_is_413(xapi):
    from tandem.xapi.views import MAX_BODY_BYTES

    big = [statement(result={"response": "x" * 100_000}) for _ in range(MAX_BODY_BYTES // 100_000 + 1)]
    response = xapi.post(big)
    assert response.status_code == 413 and str(MAX_BODY_BYTES) in response.json()["error"]
    assert Statement.objects.count() == 0


def test_lrs_malformed_json_is_400(xapi):
    assert xapi.post(None, raw=b"{not json").status_code == 400
    assert xapi.post(None, raw=b"\xff\xfe").status_code == 400
    assert xapi.post(None, raw=b"[]").status_code == 400
    assert xapi.post(None, raw=b"42").status_code == 400


def test_lrs_multipart_is_refused_plainly(xapi):
    response = xapi.post(None, raw=b"--x--", content_type="multipart/mixed; boundary=x")
    assert response.status_code == 400 and "multipart" in response.json()["error"]


def _alternate(http, method: str, form: dict[str, str], query: str = ""):
    from urllib.parse import urlencode

    return http.post(
        f"/xapi/statements?method={method}{query}",
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
    )


def test_lrs_alternate_request_syntax_put_and_get(client, lrs_client):
    """1.0.3 Communication 1.3: headers, content and parameters travel as form fields."""
    data = statement()
    headers = {"Authorization": basic_auth(lrs_client.key), "X-Experience-API-Version": "1.0.3"}
    put = _alternate(
        client,
        "PUT",
        {
            **headers,
            "Content-Type": "application/json",
            "statementId": data["id"],
            "content": json.dumps(data),
        },
    )
    assert put.status_code == 204, put.content
    got = _alternate(client, "GET", {**headers, "statementId": data["id"]})
    assert got.status_code == 200 and got.json()["id"] == data["id"]
    listed = _alternate(client, "GET", {**headers, "verb": data["verb"]["id"]})
    assert [s["id"] for s in listed.json()["statements"]] == [data["id"]]
    posted = _alternate(client, "POST", {**headers, "content": json.dumps([statement()])})
    assert posted.status_code == 200 and len(posted.json()) == 1
    assert _alternate(client, "HEAD", {**headers, "statementId": data["id"]}).content == b""


def test_lrs_alternate_request_syntax_accepts_real_headers_too(client, lrs_client):
    from urllib.parse import urlencode

    response = client.post(
        "/xapi/statements?method=GET",
        data=urlencode({"limit": "1"}),
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=basic_auth(lrs_client.key),
        HTTP_X_EXPERIENCE_API_VERSION="1.0.3",
    )
    assert response.status_code == 200 and response.json()["statements"] == []


def test_lrs_alternate_request_syntax_needs_credentials_and_version(client, lrs_client):
    assert _alternate(client, "GET", {"X-Experience-API-Version": "1.0.3"}).status_code == 401
    assert _alternate(client, "GET", {"Authorization": basic_auth(lrs_client.key)}).status_code == 400


def test_lrs_alternate_request_syntax_rejects_other_query_parameters(client, lrs_client):
    form = {"Authorization": basic_auth(lrs_client.key), "X-Experience-API-Version": "1.0.3"}
    assert _alternate(client, "GET", form, query="&verb=x").status_code == 400
    assert _alternate(client, "DELETE", form).status_code == 400


def test_lrs_alternate_request_syntax_is_not_part_of_2_0(client, lrs_client):
    form = {"Authorization": basic_auth(lrs_client.key), "X-Experience-API-Version": "2.0.0"}
    assert _alternate(client, "GET", form).status_code == 400


def test_lrs_unsupported_method_is_405(xapi):
    assert xapi.http.delete("/xapi/statements", **xapi.headers()).status_code == 405


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=25,
)
_shaped = st.fixed_dictionaries(
    {},
    optional={
        "id": st.uuids().map(str) | st.text(max_size=5),
        "actor": _json | st.just({"mbox": "mailto:a@example.com"}),
        "verb": _json | st.just({"id": "http://example.com/v"}),
        "object": _json | st.just({"objectType": "StatementRef", "id": "not-uuid"}),
        "context": _json,
        "result": _json,
        "timestamp": st.text(max_size=30),
        "authority": _json,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(_json, _shaped, st.lists(_shaped, max_size=3)), raw=st.binary(max_size=50))
def test_lrs_garbage_post_bodies_never_500(client, lrs_client, body, raw):
    for version in ("1.0.3", "2.0.0"):
        api = Xapi(client, lrs_client.key, version)
        assert api.post(body).status_code < 500
        assert api.post(None, raw=raw).status_code < 500


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    params=st.dictionaries(
        st.sampled_from(
            ["agent", "verb", "since", "limit", "more", "statementId", "related_agents", "registration"]
        ),
        st.text(max_size=30),
        max_size=3,
    )
)
def test_lrs_garbage_query_parameters_never_500(client, lrs_client, params):
    assert Xapi(client, lrs_client.key, "2.0.0").get(params).status_code < 500


def test_lrs_agent_parameter_as_json_object(xapi):
    assert (
        xapi.get(
            {"agent": json.dumps({"account": {"homePage": "https://x.example", "name": "a"}})}
        ).status_code
        == 200
    )


def _chunked(xapi: Xapi, body: bytes, path: str = "/xapi/statements"):
    """A POST as gunicorn hands a `Transfer-Encoding: chunked` request to Django: the chunks decoded into the
    WSGI stream, no CONTENT_LENGTH, the stream marked terminated."""
    return xapi.http.post(
        path,
        data=body,
        content_type="application/json",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        # A real stream (read(n) returns what there is), as gunicorn's; the test client's FakePayload is stricter.
        **{"wsgi.input_terminated": True, "wsgi.input": io.BytesIO(body)},
        **xapi.headers(),
    )


def test_chunked_statement_post_is_read(xapi: Xapi):
    """Issue 13 §5: a chunked body used to read as empty ("not valid JSON"); it is read, under the same limit."""
    data = [statement(), statement()]
    response = _chunked(xapi, json.dumps(data).encode())
    assert response.status_code == 200, response.content
    assert response.json() == [data[0]["id"], data[1]["id"]]
    assert Statement.objects.count() == 2


def test_chunked_body_over_the_limit_is_413_and_stores_nothing(xapi: Xapi):
    from tandem.xapi.protocol import MAX_BODY_BYTES

    big = statement(result={"response": "x" * MAX_BODY_BYTES})
    response = _chunked(xapi, json.dumps(big).encode())
    assert response.status_code == 413
    assert response.json()["error"] == f"The request body is larger than the {MAX_BODY_BYTES} bytes allowed"
    assert not Statement.objects.exists()
