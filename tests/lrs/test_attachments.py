"""Statements with attachments (Communication 1.5.2 multipart/mixed, Data 2.4.11): store, reject, return."""

from __future__ import annotations

import hashlib
import json
import uuid
from email import policy
from email.parser import BytesParser
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.lrs.models import Attachment, Statement
from tandem.lrs.multipart import AttachmentPart, multipart_build, multipart_parse
from tandem.lrs.records import LrsBadRequest
from tests.lrs.factories import (
    BOUNDARY,
    TEXT,
    Xapi,
    attachment,
    basic_auth,
    multipart,
    parse_response,
    part,
    post_multipart,
    statement,
    with_attachments,
)

pytestmark = pytest.mark.django_db


def test_attachment_text_round_trip_multipart_post_and_get_attachments_true(xapi):
    data = with_attachments(TEXT)
    response = post_multipart(xapi, data, part(TEXT))
    assert response.status_code == 200 and response.json() == [data["id"]]
    stored = Attachment.objects.get()
    assert (stored.sha2, bytes(stored.content), stored.length) == (
        data["attachments"][0]["sha2"],
        TEXT,
        len(TEXT),
    )

    got = xapi.get({"statementId": data["id"], "attachments": "true"})
    assert got.status_code == 200 and got["Content-Type"].startswith("multipart/mixed")
    first, second = parse_response(got)
    assert first.get_content_type() == "application/json"
    assert json.loads(first.get_payload(decode=True))["id"] == data["id"]
    assert second["X-Experience-API-Hash"] == data["attachments"][0]["sha2"]
    assert second["Content-Transfer-Encoding"] == "binary"
    assert second.get_payload(decode=True) == TEXT


def test_attachment_spec_example_request_is_accepted(xapi):
    """Communication 1.5.2.s6: the example request, byte for byte (LF inside the JSON, CRLF around parts)."""
    data = statement(
        attachments=[
            attachment(TEXT, content_type="text/plain; charset=ascii", description={"en-US": "A test"})
        ]
    )
    assert (
        data["attachments"][0]["sha2"] == "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a"
    )
    raw = (
        f"--{BOUNDARY}\r\nContent-Type:application/json\r\n\r\n{json.dumps(data, indent=4)}\r\n"
        f"--{BOUNDARY}\r\nContent-Type:text/plain\r\nContent-Transfer-Encoding:binary\r\n"
        f"X-Experience-API-Hash:{data['attachments'][0]['sha2']}\r\n\r\n"
        f"here is a simple attachment\r\n--{BOUNDARY}--"
    ).encode()
    response = xapi.post(None, raw=raw, content_type=f'multipart/mixed; boundary="{BOUNDARY}"')
    assert response.status_code == 200, response.content
    assert bytes(Attachment.objects.get().content) == TEXT


def test_attachment_binary_content_is_kept_exactly(xapi):
    content = bytes(range(256)) + b"\r\n--not-the-boundary\r\n\r\n\n\r" + bytes(range(255, -1, -1)) + b"\r\n"
    data = statement(attachments=[attachment(content, content_type="application/octet-stream")])
    assert post_multipart(xapi, data, part(content)).status_code == 200
    (_first, second) = parse_response(xapi.get({"statementId": data["id"], "attachments": "true"}))
    assert second.get_payload(decode=True) == content


def test_attachment_hash_mismatch_is_400_and_stores_nothing(xapi):
    data = with_attachments(TEXT)
    response = post_multipart(xapi, data, part(b"other content", sha2=data["attachments"][0]["sha2"]))
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "part[1].X-Experience-API-Hash" and "hash" in body["rule"]
    assert Statement.objects.count() == 0 and Attachment.objects.count() == 0


def test_attachment_missing_part_is_400(xapi):
    data = with_attachments(TEXT, b"second")
    response = post_multipart(xapi, data, part(TEXT))
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "attachments[1].sha2" and "1.5.2.s3.b5" in body["rule"]
    assert Statement.objects.count() == 0 and Attachment.objects.count() == 0


def test_attachment_extra_part_not_referenced_is_400(xapi):
    data = with_attachments(TEXT)
    response = post_multipart(xapi, data, part(TEXT), part(b"stowaway"))
    assert response.status_code == 400
    assert response.json()["field"] == "X-Experience-API-Hash" and "part" in response.json()["rule"]
    assert Statement.objects.count() == 0 and Attachment.objects.count() == 0


def test_attachment_part_without_hash_header_is_400(xapi):
    data = with_attachments(TEXT)
    response = post_multipart(xapi, data, part(TEXT, headers={"X-Experience-API-Hash": None}))
    assert response.status_code == 400 and response.json()["field"] == "part[1].X-Experience-API-Hash"


def test_attachment_part_transfer_encoding_must_be_binary(xapi):
    data = with_attachments(TEXT)
    response = post_multipart(xapi, data, part(TEXT, headers={"Content-Transfer-Encoding": "base64"}))
    assert response.status_code == 400 and "binary" in response.json()["rule"]
    # Communication 1.5.2.s3.b6: a missing Content-Transfer-Encoding is taken as binary.
    assert (
        post_multipart(xapi, data, part(TEXT, headers={"Content-Transfer-Encoding": None})).status_code == 200
    )


def test_attachment_first_part_must_be_application_json(xapi):
    raw, content_type = multipart(statement())
    raw = raw.replace(b"Content-Type:application/json", b"Content-Type:text/plain")
    response = xapi.post(None, raw=raw, content_type=content_type)
    assert response.status_code == 400 and response.json()["field"] == "part[0].Content-Type"


def test_attachment_multipart_without_boundary_or_close_delimiter_is_400(xapi):
    raw, _content_type = multipart(statement())
    assert xapi.post(None, raw=raw, content_type="multipart/mixed").status_code == 400
    truncated, content_type = multipart(with_attachments(TEXT), part(TEXT))
    response = xapi.post(None, raw=truncated[: -len(BOUNDARY) - 6], content_type=content_type)
    assert response.status_code == 400 and "multipart" in response.json()["error"]


def test_attachment_batch_all_or_nothing(xapi):
    good = with_attachments(TEXT)
    missing = with_attachments(b"never sent")
    response = post_multipart(xapi, [good, missing], part(TEXT))
    assert response.status_code == 400 and response.json()["field"] == "[1].attachments[0].sha2"
    assert Statement.objects.count() == 0 and Attachment.objects.count() == 0


def test_attachment_batch_shares_one_part_and_content_is_stored_once(xapi):
    first, second = with_attachments(TEXT), with_attachments(TEXT)
    assert post_multipart(xapi, [first, second], part(TEXT)).status_code == 200
    # The same content arriving again with another statement is not stored twice.
    assert post_multipart(xapi, with_attachments(TEXT), part(TEXT)).status_code == 200
    assert Statement.objects.count() == 3 and Attachment.objects.count() == 1


def test_attachment_put_multipart_returns_204(xapi):
    data = with_attachments(TEXT)
    raw, content_type = multipart(data, part(TEXT))
    response = xapi.http.put(
        f"/xapi/statements?statementId={data['id']}", data=raw, content_type=content_type, **xapi.headers()
    )
    assert response.status_code == 204
    assert Statement.objects.filter(pk=data["id"]).exists() and Attachment.objects.count() == 1


def test_attachment_json_request_needs_file_url_for_every_attachment(xapi):
    """Communication 1.5.2.s2.b1: application/json only with a fileUrl on every attachment."""
    response = xapi.post(with_attachments(TEXT))
    assert response.status_code == 400 and response.json()["field"] == "attachments[0].sha2"
    assert Statement.objects.count() == 0


def test_attachment_file_url_only_works_as_json_and_multipart(xapi):
    hosted = statement(attachments=[attachment(TEXT, fileUrl="https://example.com/files/essay.txt")])
    assert xapi.post(hosted).status_code == 200
    also = statement(attachments=[attachment(b"x", fileUrl="https://example.com/files/x.txt")])
    assert post_multipart(xapi, also).status_code == 200
    assert Attachment.objects.count() == 0
    # No data held: attachments=true answers with the statement part only.
    parts = parse_response(xapi.get({"statementId": hosted["id"], "attachments": "true"}))
    assert len(parts) == 1


def test_attachment_multipart_without_attachments_is_accepted(xapi):
    """Communication 1.5.2.s3.b8."""
    assert post_multipart(xapi, [statement(), statement()]).status_code == 200


def test_attachment_repost_of_equivalent_statement_changes_nothing(xapi):
    data = with_attachments(TEXT)
    assert post_multipart(xapi, data, part(TEXT)).status_code == 200
    before = Attachment.objects.get()
    assert post_multipart(xapi, data, part(TEXT)).status_code == 200
    assert list(Attachment.objects.all()) == [before]


def test_attachment_get_list_attachments_true_returns_statement_result_then_parts(xapi):
    one, two = with_attachments(TEXT), with_attachments(b"two", b"three")
    post_multipart(xapi, [one, two], part(TEXT), part(b"two"), part(b"three"))
    response = xapi.get({"attachments": "true", "limit": "1"})
    first, *rest = parse_response(response)
    result = json.loads(first.get_payload(decode=True))
    assert [s["id"] for s in result["statements"]] == [two["id"]]
    assert [p.get_payload(decode=True) for p in rest] == [b"two", b"three"]
    # The next page keeps the multipart format.
    assert "attachments=true" in result["more"]
    first, *rest = parse_response(xapi.more(result["more"]))
    assert [p.get_payload(decode=True) for p in rest] == [TEXT]


def test_attachment_get_attachments_false_is_json_and_head_matches_get(xapi):
    data = with_attachments(TEXT)
    post_multipart(xapi, data, part(TEXT))
    plain = xapi.get({"statementId": data["id"]})
    assert plain["Content-Type"].startswith("application/json") and TEXT not in plain.content
    head = xapi.head({"statementId": data["id"], "attachments": "true"})
    assert head.status_code == 200 and head.content == b""
    assert head["Content-Type"].startswith("multipart/mixed")
    assert xapi.get({"statementId": data["id"], "attachments": "maybe"}).status_code == 400


def test_attachment_alternate_syntax_cannot_carry_multipart(client, lrs_client):
    form = {
        "Authorization": basic_auth(lrs_client.key),
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "multipart/mixed; boundary=x",
        "content": "--x--",
    }
    response = client.post(
        "/xapi/statements?method=POST",
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400 and "multipart" in response.json()["error"]


_header_names = st.sampled_from(
    ["Content-Type", "Content-Transfer-Encoding", "X-Experience-API-Hash", "Content-Length", "X-Other"]
)
_part = st.tuples(
    st.dictionaries(_header_names, st.text(st.characters(codec="ascii"), max_size=70), max_size=4),
    st.binary(max_size=60),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    parts=st.lists(_part, max_size=3),
    first=st.one_of(st.binary(max_size=40), st.just(json.dumps(statement()).encode())),
    boundary=st.text(st.characters(codec="ascii", exclude_characters="\r\n"), min_size=1, max_size=20),
    tail=st.binary(max_size=20),
    cut=st.integers(min_value=0, max_value=400),
)
def test_attachment_garbage_multipart_bodies_never_500(client, lrs_client, parts, first, boundary, tail, cut):
    delimiter = f"--{boundary}".encode()
    chunks = [delimiter, b"\r\nContent-Type: application/json\r\n\r\n", first]
    for headers, content in parts:
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        chunks += [b"\r\n", delimiter, b"\r\n", lines.encode(), b"\r\n", content]
    chunks += [b"\r\n", delimiter, b"--", tail]
    raw = b"".join(chunks)
    for version in ("1.0.3", "2.0.0"):
        api = Xapi(client, lrs_client.key, version)
        for content_type in (f'multipart/mixed; boundary="{boundary}"', "multipart/mixed; boundary=x"):
            assert api.post(None, raw=raw, content_type=content_type).status_code < 500
            assert api.post(None, raw=raw[:cut], content_type=content_type).status_code < 500


def test_attachment_unknown_statement_id_with_attachments_true_is_404(xapi):
    assert xapi.get({"statementId": str(uuid.uuid4()), "attachments": "true"}).status_code == 404


def test_attachment_checks_skipped_for_callers_without_attachment_data(lrs_client):
    """statements_store(attachments=None), as imports call it: statements exported without their data."""
    from tandem.lrs.services import statements_store

    data = with_attachments(TEXT)
    assert statements_store(statements=[data], version="1.0.3", client=lrs_client) == [data["id"]]
    assert Attachment.objects.count() == 0


def test_nul_characters_are_400_not_500(xapi):
    """PostgreSQL cannot store U+0000 in text or JSONB: refused as input, on both databases alike."""
    data = statement()
    data["verb"]["display"] = {"en-US": "a\u0000b"}
    response = xapi.post([statement(), data])
    assert response.status_code == 400 and response.json()["field"] == "[1].verb.display.en-US"
    assert xapi.get({"verb": "\x00"}).status_code == 400
    assert Statement.objects.count() == 0


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=300), content_type=st.text(max_size=60))
def test_multipart_parser_refuses_garbage_only_with_lrs_bad_request(body, content_type):
    try:
        multipart_parse(body=body, content_type=content_type)
    except LrsBadRequest as error:
        assert error.field and error.rule


@settings(max_examples=100, deadline=None)
@given(contents=st.lists(st.binary(max_size=200), max_size=4), first=st.binary(max_size=100))
def test_multipart_response_parts_read_back_exactly_with_stdlib(contents, first):
    parts = [
        AttachmentPart(sha2=hashlib.sha256(c).hexdigest(), content_type="application/octet-stream", content=c)
        for c in contents
    ]
    content_type, body = multipart_build(first=first, parts=parts)
    message = BytesParser(policy=policy.compat32).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    read = message.get_payload()
    assert [p.get_payload(decode=True) for p in read] == [first, *contents]
    assert [p["X-Experience-API-Hash"] for p in read[1:]] == [p.sha2 for p in parts]
