"""Signed statements through POST/PUT /xapi/statements (Data 2.6): the JWS travels as an attachment part."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tandem.lrs.models import Attachment, Statement
from tandem.lrs.multipart import AttachmentPart, multipart_build
from tests.lrs.factories import statement

pytestmark = pytest.mark.django_db

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def x5c(rsa_key: rsa.RSAPrivateKey) -> list[str]:
    """A self-signed certificate for the key, base64 DER as in a JWS "x5c" header."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tandem test signer")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(rsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(rsa_key, hashes.SHA256())
    )
    return [base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()]


def sign(data: dict[str, Any], key: Any, x5c: list[str], *, alg: str = "RS256") -> bytes:
    return jwt.api_jws.encode(json.dumps(data).encode(), key, algorithm=alg, headers={"x5c": x5c}).encode()


def signed(data: dict[str, Any], jws: bytes) -> dict[str, Any]:
    """The statement as sent: the signature attachment is added after signing (Data 2.6.s4.b3)."""
    out = copy.deepcopy(data)
    out.setdefault("attachments", []).append(
        {
            "usageType": SIGNATURE,
            "display": {"en-US": "Signature"},
            "contentType": "application/octet-stream",
            "length": len(jws),
            "sha2": hashlib.sha256(jws).hexdigest(),
        }
    )
    return out


def post(xapi, body: Any, *contents: bytes):
    parts = [
        AttachmentPart(sha2=hashlib.sha256(c).hexdigest(), content_type="application/octet-stream", content=c)
        for c in contents
    ]
    content_type, raw = multipart_build(first=json.dumps(body).encode(), parts=parts)
    return xapi.post(None, raw=raw, content_type=content_type)


def test_signed_statement_valid_with_x5c_is_stored(xapi, rsa_key, x5c):
    data = statement()
    jws = sign(data, rsa_key, x5c)
    response = post(xapi, signed(data, jws), jws)
    assert response.status_code == 200, response.content
    assert Statement.objects.filter(pk=data["id"]).exists()
    assert bytes(Attachment.objects.get().content) == jws  # kept so readers can verify it themselves


@pytest.mark.parametrize("alg", ["RS384", "RS512"])
def test_signed_statement_rs384_and_rs512_are_accepted(xapi, rsa_key, x5c, alg):
    """Data 2.6.s4.b4."""
    data = statement()
    jws = sign(data, rsa_key, x5c, alg=alg)
    assert post(xapi, signed(data, jws), jws).status_code == 200


def test_signed_statement_put_with_id_from_parameter(xapi, rsa_key, x5c):
    data = statement()
    jws = sign(data, rsa_key, x5c)
    body = signed(data, jws)
    del body["id"]
    content_type, raw = multipart_build(
        first=json.dumps(body).encode(),
        parts=[AttachmentPart(sha2=hashlib.sha256(jws).hexdigest(), content_type="x/y", content=jws)],
    )
    response = xapi.http.put(
        f"/xapi/statements?statementId={data['id']}", data=raw, content_type=content_type, **xapi.headers()
    )
    assert response.status_code == 204


def test_signed_statement_tampered_after_signing_is_400(xapi, rsa_key, x5c):
    data = statement()
    jws = sign(data, rsa_key, x5c)
    tampered = signed(data, jws)
    tampered["verb"]["id"] = "http://adlnet.gov/expapi/verbs/passed"
    response = post(xapi, tampered, jws)
    assert response.status_code == 400
    body = response.json()
    assert (
        body["field"] == "attachments[0]"
        and body["rule"] == "signature payload is not equivalent to the statement"
    )
    assert Statement.objects.count() == 0 and Attachment.objects.count() == 0


def test_signed_statement_tampered_signature_bytes_is_400(xapi, rsa_key, x5c):
    data = statement()
    header, payload, signature = sign(data, rsa_key, x5c).split(b".")
    forged = b".".join(
        [header, payload, signature[:-4] + (b"AAAA" if signature[-4:] != b"AAAA" else b"BBBB")]
    )
    response = post(xapi, signed(data, forged), forged)
    assert response.status_code == 400
    assert response.json()["rule"] == "signature does not verify against the signing key"
    assert Statement.objects.count() == 0


def test_signed_statement_signed_by_another_key_is_400(xapi, rsa_key, x5c):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    data = statement()
    jws = sign(data, other, x5c)  # claims the certificate of rsa_key
    assert post(xapi, signed(data, jws), jws).status_code == 400


def test_signed_statement_hmac_algorithm_is_400(xapi):
    data = statement()
    jws = jwt.api_jws.encode(json.dumps(data).encode(), "s" * 32, algorithm="HS256").encode()
    response = post(xapi, signed(data, jws), jws)
    assert response.status_code == 400 and "RS256" in response.json()["rule"]


def test_signed_statement_not_a_jws_is_400(xapi):
    data = statement()
    for junk in (b"not a jws", b"\xff\xfe.\x00.\x01", b"a.b.c"):
        response = post(xapi, signed(data, junk), junk)
        assert response.status_code == 400 and response.json()["rule"].startswith("signature")


def test_signed_statement_signature_without_part_is_400(xapi, rsa_key, x5c):
    """Data 2.6.s4.b1: the JWS must be attached; a fileUrl alone cannot be verified."""
    data = statement()
    jws = sign(data, rsa_key, x5c)
    body = signed(data, jws)
    body["attachments"][0]["fileUrl"] = "https://example.com/signature.jws"
    response = xapi.post(body)
    assert response.status_code == 400 and "2.6.s4.b1" in response.json()["rule"]


def test_signed_statement_signature_content_type_must_be_octet_stream(xapi, rsa_key, x5c):
    data = statement()
    jws = sign(data, rsa_key, x5c)
    body = signed(data, jws)
    body["attachments"][0]["contentType"] = "text/plain"
    response = post(xapi, body, jws)
    assert response.status_code == 400 and "application/octet-stream" in response.json()["rule"]


def test_signed_statement_in_batch_invalid_stores_nothing(xapi, rsa_key, x5c):
    good, bad = statement(), statement()
    good_jws, bad_jws = sign(good, rsa_key, x5c), sign(statement(), rsa_key, x5c)
    response = post(xapi, [signed(good, good_jws), signed(bad, bad_jws)], good_jws, bad_jws)
    assert response.status_code == 400 and response.json()["field"] == "[1].attachments[0]"
    assert Statement.objects.count() == 0 and Attachment.objects.count() == 0


def test_signed_statement_with_other_attachments(xapi, rsa_key, x5c):
    essay = b"my essay"
    data = statement(
        attachments=[
            {
                "usageType": "http://example.com/essay",
                "display": {"en-US": "Essay"},
                "contentType": "text/plain",
                "length": len(essay),
                "sha2": hashlib.sha256(essay).hexdigest(),
            }
        ]
    )
    jws = sign(data, rsa_key, x5c)  # attachments are not part of the comparison (Data 2.3.1.s9.b6)
    assert post(xapi, signed(data, jws), essay, jws).status_code == 200
    assert Attachment.objects.count() == 2
