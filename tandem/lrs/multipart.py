"""multipart/mixed statement bodies (xAPI Communication 1.5.2): reading requests, writing responses.

Requests are parsed with the standard library's `email` package (RFC 2046 is the MIME multipart format),
so boundaries, header folding and preambles are handled by a maintained parser rather than by hand.
Responses are written directly: the format is a few fixed lines around raw octets.
"""

from __future__ import annotations

import email.errors
import email.policy
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser

from tandem.lrs.records import LrsBadRequest

HASH_HEADER = "X-Experience-API-Hash"
_HEX = re.compile(r"^[0-9a-f]+$")
# SHA-2 digests by hex length; a 64-digit hash is taken as SHA-256 (SHA-512/256 is not used by xAPI clients).
_SHA2_BY_LENGTH = {56: "sha224", 64: "sha256", 96: "sha384", 128: "sha512"}


@dataclass(frozen=True)
class AttachmentPart:
    """The raw data of one attachment: its SHA-2 (lower-case hex), media type and octets."""

    sha2: str
    content_type: str
    content: bytes


def sha2_matches(*, sha2: str, content: bytes) -> bool:
    """True when `sha2` is the SHA-2 digest (224/256/384/512, told apart by length) of `content`."""
    algorithm = _SHA2_BY_LENGTH.get(len(sha2))
    return algorithm is not None and hashlib.new(algorithm, content).hexdigest() == sha2.lower()


def _bad(message: str, *, field: str, rule: str) -> LrsBadRequest:
    return LrsBadRequest(f"multipart/mixed body: {message}", field=field, rule=rule)


def _header(part: Message, name: str) -> str | None:
    value = part.get(name)
    return None if value is None else str(value).strip()


def _attachment_part(part: Message, index: int) -> AttachmentPart:
    where = f"part[{index}]"
    if part.is_multipart():
        # The parser would have split it into sub-messages, so its octets cannot be kept exactly.
        raise _bad(
            f"{where} is {part.get_content_type()}; send multipart and message/* attachments as "
            "application/octet-stream",
            field=where,
            rule="part is not multipart or message/*",
        )
    encoding = _header(part, "Content-Transfer-Encoding")
    # 1.5.2.s2.b2.b4 asks clients for "binary"; 1.5.2.s3.b6 lets the LRS assume it when missing.
    if encoding is not None and encoding.lower() != "binary":
        raise _bad(
            f"{where} has Content-Transfer-Encoding {encoding[:40]}; attachment parts must be binary",
            field=f"{where}.Content-Transfer-Encoding",
            rule="binary (Communication 1.5.2.s2.b2.b4)",
        )
    sha2 = (_header(part, HASH_HEADER) or "").lower()
    if not sha2 or not _HEX.match(sha2) or len(sha2) not in _SHA2_BY_LENGTH:
        raise _bad(
            f"{where} needs an {HASH_HEADER} header holding a hex SHA-2 hash",
            field=f"{where}.{HASH_HEADER}",
            rule="required SHA-2 hash (Communication 1.5.2.s2.b2.b3)",
        )
    payload = part.get_payload(decode=True)
    content = payload if isinstance(payload, bytes) else b""
    if not sha2_matches(sha2=sha2, content=content):
        raise _bad(
            f"{where}: {HASH_HEADER} {sha2} is not the SHA-2 hash of the part's content",
            field=f"{where}.{HASH_HEADER}",
            rule="hash matches content (Communication 1.5.2.s1.b4)",
        )
    declared_length = _header(part, "Content-Length")
    if declared_length is not None and declared_length != str(len(content)):
        raise _bad(
            f"{where}: Content-Length {declared_length[:20]} is not the part's length {len(content)}",
            field=f"{where}.Content-Length",
            rule="length matches content (Communication 1.5.2.s2.b2.b7)",
        )
    return AttachmentPart(sha2=sha2, content_type=part.get_content_type(), content=content)


def multipart_parse(*, body: bytes, content_type: str) -> tuple[bytes, list[AttachmentPart]]:
    """The statements part (raw JSON) and the attachment parts, each checked against its declared hash.

    `content_type` is the request's whole Content-Type header (with its boundary parameter).
    """
    # Line breaks in the header value would let the body forge headers of the wrapping message.
    header = re.sub(r"[\r\n]+", " ", content_type).encode("latin-1", "replace")
    try:
        message = BytesParser(policy=email.policy.compat32).parsebytes(
            b"Content-Type: " + header + b"\r\n\r\n" + body
        )
    except (email.errors.MessageError, ValueError, LookupError) as error:
        raise _bad("could not be parsed", field="Content-Type", rule="RFC 2046 multipart") from error
    if not message.get_param("boundary"):
        raise _bad("the Content-Type header has no boundary parameter", field="Content-Type", rule="boundary")
    payload = message.get_payload() if message.is_multipart() else None
    parts = [part for part in payload if isinstance(part, Message)] if isinstance(payload, list) else []
    broken = [
        defect
        for defect in message.defects
        if isinstance(
            defect,
            email.errors.StartBoundaryNotFoundDefect
            | email.errors.CloseBoundaryNotFoundDefect
            | email.errors.NoBoundaryInMultipartDefect,
        )
    ]
    if not parts or broken:
        raise _bad(
            "needs parts delimited by the declared boundary, ending with the close delimiter",
            field="Content-Type",
            rule="RFC 2046 multipart",
        )
    first = parts[0]
    if _header(first, "Content-Type") is None or first.get_content_type() != "application/json":
        raise _bad(
            "the first part must hold the statements with Content-Type application/json",
            field="part[0].Content-Type",
            rule="application/json (Communication 1.5.2.s2.b2.b1)",
        )
    statements = first.get_payload(decode=True)
    if not isinstance(statements, bytes):
        raise _bad("the first part must hold JSON", field="part[0]", rule="application/json")
    return statements, [_attachment_part(part, index) for index, part in enumerate(parts[1:], start=1)]


def multipart_build(*, first: bytes, parts: Sequence[AttachmentPart]) -> tuple[str, bytes]:
    """(Content-Type header, body) of a response: `first` as application/json, then each attachment."""
    boundary = secrets.token_hex(16)
    while any(boundary.encode() in chunk for chunk in (first, *(part.content for part in parts))):
        boundary = secrets.token_hex(16)  # the delimiter must not occur in any part (RFC 2046 5.1.1)
    delimiter = b"--" + boundary.encode()
    chunks = [delimiter, b"\r\nContent-Type: application/json\r\n\r\n", first]
    for part in parts:
        chunks += [
            b"\r\n",
            delimiter,
            f"\r\nContent-Type: {part.content_type}\r\nContent-Transfer-Encoding: binary\r\n"
            f"{HASH_HEADER}: {part.sha2}\r\nContent-Length: {len(part.content)}\r\n\r\n".encode(),
            part.content,
        ]
    chunks += [b"\r\n", delimiter, b"--\r\n"]
    return f'multipart/mixed; boundary="{boundary}"', b"".join(chunks)
