"""Signed statements (xAPI 1.0.3 Data 2.6).

Data 2.6.s5.b3: "In order to verify signatures are well formed, the LRS MUST ... Decode the JWS
signature, and load the signed serialization of the Statement from the JWS signature payload;
Validate that the original Statement is logically equivalent to the received Statement; If the JWS
header includes an X.509 certificate, validate the signature against that certificate as defined
in JWS; Validate that the signature requirements outlined above have been met."
The note there applies: checking against the included certificate catches mistakes, it is not
authentication -- the chain is not validated and certificate dates are not checked.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from tandem.lrs.xapi.compare import statement_equivalent
from tandem.lrs.xapi.errors import XapiValidationError

# Data 2.6.s4.b4: "The JWS signature MUST use an algorithm of "RS256","RS384", or "RS512"."
SIGNATURE_ALGORITHMS = ("RS256", "RS384", "RS512")
_FIELD = "signature"


def _fail(rule: str) -> XapiValidationError:
    return XapiValidationError(field=_FIELD, rule=rule)


def _certificate_key(x5c: object) -> RSAPublicKey:
    """The public key of the first (signing) certificate of an "x5c" chain (RFC 7515 4.1.6)."""
    if not isinstance(x5c, list) or not x5c or not isinstance(x5c[0], str):
        raise _fail("x5c must be a non-empty array of base64 certificates")
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(x5c[0], validate=True))
    except (ValueError, binascii.Error) as exc:
        raise _fail("x5c[0] must be a base64 DER X.509 certificate") from exc
    key = certificate.public_key()
    if not isinstance(key, RSAPublicKey):
        raise _fail("the signing certificate must hold an RSA public key")
    return key


def signature_verify(
    *, statement: Mapping[str, Any], jws: str, public_key: RSAPublicKey | None = None
) -> None:
    """Check the JWS of a signed statement; raise XapiValidationError (field "signature") if bad.

    ``jws`` is the content of the signature attachment (usageType
    http://adlnet.gov/expapi/attachments/signature) in JWS Compact Serialization (Data 2.6.s4.b2;
    the JSON serialization is not accepted). The signature is verified with the key of the first
    "x5c" certificate when the header has one, else with ``public_key`` when given, else it is
    only decoded (the spec requires cryptographic verification only against an included
    certificate). The payload must be a JSON object equivalent to ``statement`` under the Statement
    Comparison Requirements -- attachments (including the signature itself) are ignored there.
    """
    if not isinstance(jws, str) or jws.count(".") != 2:
        raise _fail("must be a JWS Compact Serialization")
    try:
        header = jwt.get_unverified_header(jws)
    except jwt.PyJWTError as exc:
        raise _fail("has a malformed JWS header") from exc
    algorithm = header.get("alg")
    if algorithm not in SIGNATURE_ALGORITHMS:
        raise _fail("must use RS256, RS384 or RS512")
    key = _certificate_key(header["x5c"]) if "x5c" in header else public_key
    decoder = jwt.PyJWS()
    try:
        if key is None:
            decoded = decoder.decode_complete(jws, options={"verify_signature": False})
        else:
            decoded = decoder.decode_complete(jws, key=key, algorithms=[algorithm])
    except jwt.InvalidSignatureError as exc:
        raise _fail("does not verify against the signing key") from exc
    except jwt.PyJWTError as exc:
        raise _fail("is not a valid JWS") from exc
    try:
        payload = json.loads(decoded["payload"])
    except (ValueError, UnicodeDecodeError) as exc:
        raise _fail("payload must be a JSON Statement") from exc
    if not isinstance(payload, dict):
        raise _fail("payload must be a JSON Statement")
    if not statement_equivalent(a=payload, b=statement):
        raise _fail("payload is not equivalent to the statement")
