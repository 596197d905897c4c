"""Signed statements (Data 2.6): JWS compact, RS256/384/512, x5c, payload equivalence."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from tandem.lrs.xapi import XapiValidationError, signature_verify, statement_validate
from tests.lrs.xapi.statements import video_experienced

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def certificate_b64(key: Any) -> str:
    """A self-signed certificate for ``key``, base64 DER as in a JWS "x5c" header."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tandem test signer")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


def sign(statement: dict[str, Any], key: Any, *, alg: str = "RS256", x5c: list[str] | None = None) -> str:
    headers = {"x5c": x5c} if x5c is not None else None
    return jwt.api_jws.encode(json.dumps(statement).encode(), key, algorithm=alg, headers=headers)


def signed(statement: dict[str, Any], jws: str) -> dict[str, Any]:
    """The statement as sent: with the signature attachment header added after signing."""
    out = dict(statement)
    out["attachments"] = [
        {
            "usageType": SIGNATURE,
            "display": {"en-US": "Signature"},
            "contentType": "application/octet-stream",
            "length": len(jws),
            "sha2": "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634",
        }
    ]
    return out


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_xapi_data_2_6_s4_b4_rs_algorithms_with_x5c_verify(rsa_key: rsa.RSAPrivateKey, alg: str) -> None:
    """Data 2.6.s4.b4: "The JWS signature MUST use an algorithm of "RS256","RS384", or "RS512"."; s5.b3.b3: validate against the x5c certificate."""
    statement = video_experienced()
    jws = sign(statement, rsa_key, alg=alg, x5c=[certificate_b64(rsa_key)])
    received = signed(statement, jws)
    statement_validate(statement=received, version="1.0.3")
    signature_verify(statement=received, jws=jws)


def test_xapi_data_2_6_s5_b3_b3_signature_checked_against_x5c(rsa_key: rsa.RSAPrivateKey) -> None:
    """Data 2.6.s5.b3.b3: "If the JWS header includes an X.509 certificate, validate the signature against that certificate"."""
    statement = video_experienced()
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jws = sign(statement, rsa_key, x5c=[certificate_b64(other)])
    with pytest.raises(XapiValidationError) as info:
        signature_verify(statement=signed(statement, jws), jws=jws)
    assert info.value.field == "signature"
    assert "does not verify" in info.value.rule


def test_x5c_chain_uses_first_certificate(rsa_key: rsa.RSAPrivateKey) -> None:
    """RFC 7515 4.1.6: the first x5c certificate holds the signing key; the rest of the chain is ignored."""
    statement = video_experienced()
    issuer = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jws = sign(statement, rsa_key, x5c=[certificate_b64(rsa_key), certificate_b64(issuer)])
    signature_verify(statement=signed(statement, jws), jws=jws)


def test_tampered_payload_rejected(rsa_key: rsa.RSAPrivateKey) -> None:
    """Data 2.6.s5.b1: "The LRS MUST reject requests to store Statements that contain malformed signatures"."""
    statement = video_experienced()
    jws = sign(statement, rsa_key, x5c=[certificate_b64(rsa_key)])
    header, _, signature = jws.split(".")
    forged = dict(statement, result={"completion": True})
    payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    with pytest.raises(XapiValidationError, match="does not verify"):
        signature_verify(statement=signed(forged, jws), jws=f"{header}.{payload}.{signature}")


def test_xapi_data_2_6_s5_b3_b2_payload_must_be_equivalent(rsa_key: rsa.RSAPrivateKey) -> None:
    """Data 2.6.s5.b3.b2: "Validate that the original Statement is logically equivalent to the received Statement"."""
    statement = video_experienced()
    jws = sign(statement, rsa_key, x5c=[certificate_b64(rsa_key)])
    received = signed(dict(statement, result={"completion": True}), jws)
    with pytest.raises(XapiValidationError, match="not equivalent"):
        signature_verify(statement=received, jws=jws)


def test_equivalence_tolerates_lrs_serialisation(rsa_key: rsa.RSAPrivateKey) -> None:
    """Data 2.3.1: timestamp in another zone and an LRS-assigned id / stored do not break the signature."""
    statement = video_experienced()
    jws = sign(statement, rsa_key, x5c=[certificate_b64(rsa_key)])
    received = signed(statement, jws)
    received.update(timestamp="2026-03-02T11:00:00+01:00", id="33cff416-e331-4c9d-969e-5373a1756120")
    received["stored"] = "2026-03-02T10:00:01Z"
    signature_verify(statement=received, jws=jws)


@pytest.mark.parametrize("alg", ["HS256", "ES256", "none"])
def test_xapi_data_2_6_s4_b4_other_algorithms_rejected(rsa_key: rsa.RSAPrivateKey, alg: str) -> None:
    """Data 2.6.s4.b4: only RS256, RS384 and RS512 are allowed."""
    statement = video_experienced()
    if alg == "HS256":
        jws = jwt.api_jws.encode(
            json.dumps(statement).encode(), "a-shared-secret-of-32-bytes-long!", algorithm="HS256"
        )
    elif alg == "ES256":
        jws = jwt.api_jws.encode(
            json.dumps(statement).encode(), ec.generate_private_key(ec.SECP256R1()), algorithm="ES256"
        )
    else:
        header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
        payload = base64.urlsafe_b64encode(json.dumps(statement).encode()).rstrip(b"=").decode()
        jws = f"{header}.{payload}."
    with pytest.raises(XapiValidationError, match="RS256, RS384 or RS512"):
        signature_verify(statement=signed(statement, jws), jws=jws)


def test_xapi_data_2_6_s4_b2_compact_serialization_required() -> None:
    """Data 2.6.s4.b2: "JWS Compact Serialization SHOULD* be used"; JSON serialization "will be forbidden"."""
    with pytest.raises(XapiValidationError, match="Compact"):
        signature_verify(statement=video_experienced(), jws='{"payload": "e30", "signatures": []}')


def test_malformed_jws_rejected() -> None:
    """Data 2.6.s5.b1: malformed signatures are rejected (400)."""
    with pytest.raises(XapiValidationError, match="malformed"):
        signature_verify(statement=video_experienced(), jws="not.a.jws")


def test_bad_x5c_rejected(rsa_key: rsa.RSAPrivateKey) -> None:
    """An x5c entry that is not a base64 DER certificate is a malformed signature."""
    statement = video_experienced()
    jws = sign(statement, rsa_key, x5c=["bm90IGEgY2VydA=="])
    with pytest.raises(XapiValidationError, match="x5c"):
        signature_verify(statement=signed(statement, jws), jws=jws)


def test_without_x5c_uses_given_public_key(rsa_key: rsa.RSAPrivateKey) -> None:
    """Data 2.6.s4.b5: X.509 SHOULD be used; without it the caller may supply the signer's public key."""
    statement = video_experienced()
    jws = sign(statement, rsa_key)
    signature_verify(statement=signed(statement, jws), jws=jws, public_key=rsa_key.public_key())
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(XapiValidationError, match="does not verify"):
        signature_verify(statement=signed(statement, jws), jws=jws, public_key=other.public_key())


def test_without_x5c_or_key_checks_payload_only(rsa_key: rsa.RSAPrivateKey) -> None:
    """Data 2.6.s5.b3: with no certificate the LRS still decodes the payload and checks equivalence."""
    statement = video_experienced()
    jws = sign(statement, rsa_key)
    signature_verify(statement=signed(statement, jws), jws=jws)
    with pytest.raises(XapiValidationError, match="not equivalent"):
        signature_verify(
            statement=signed(dict(statement, verb={"id": "http://example.com/other"}), jws), jws=jws
        )


def test_payload_must_be_json_object(rsa_key: rsa.RSAPrivateKey) -> None:
    """Data 2.6.s4.b3: "The JWS signature MUST have a payload of a valid JSON serialization of the complete Statement"."""
    jws = jwt.api_jws.encode(b"[1, 2, 3]", rsa_key, algorithm="RS256")
    with pytest.raises(XapiValidationError, match="payload"):
        signature_verify(statement=video_experienced(), jws=jws)
