"""Value formats used throughout xAPI statements: IRIs, UUIDs, language tags, timestamps, durations.

Each ``*_valid`` predicate is pure and does no network I/O. xAPI 1.0.3 Data 2.2.s4.b6/b7 lets the
LRS use "best-effort validation" for IRIs and language tags; the rules here are stricter than a bare
"has a scheme" check but do not try to be a full RFC 3987 parser.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from tandem.lrs.xapi.errors import XapiValidationError

# RFC 3987 "scheme ':' ihier-part": a scheme, then no whitespace, controls or the characters RFC 3987
# excludes from every IRI component; "%" only as a percent-encoded octet.
_IRI = re.compile(
    r"""^[A-Za-z][A-Za-z0-9+.\-]*:"""
    r"""(?:[^\x00-\x20\x7f-\x9f<>"{}|\\^`%]|%[0-9A-Fa-f]{2})+$"""
)
_IRL_AUTHORITY = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://[^/?#\s]+")
_MAILTO = re.compile(r"^mailto:[^\s@:/?#]+@[^\s@:/?#]+$")
_UUID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
_SHA1_HEX = re.compile(r"^[0-9A-Fa-f]{40}$")
# SHA-224/256/384/512 hex digests ("The SHA-2 hash of the Attachment data").
_SHA2_HEX = re.compile(r"^(?:[0-9A-Fa-f]{56}|[0-9A-Fa-f]{64}|[0-9A-Fa-f]{96}|[0-9A-Fa-f]{128})$")
# RFC 2046 type "/" subtype with optional parameters; tokens per RFC 2045.
_MIME_CHARS = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_MEDIA_TYPE = re.compile(
    rf"""^{_MIME_CHARS}/{_MIME_CHARS}(?:\s*;\s*{_MIME_CHARS}=(?:{_MIME_CHARS}|"[^"]*"))*$"""
)

# RFC 5646 section 2.1 ABNF, transcribed (case-insensitive). Grandfathered irregular tags are listed.
_ALNUM = "[A-Za-z0-9]"
_LANGTAG = (
    r"(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4}|[A-Za-z]{5,8})"  # language (+ extlang)
    r"(?:-[A-Za-z]{4})?"  # script
    r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"  # region
    rf"(?:-(?:{_ALNUM}{{5,8}}|[0-9]{_ALNUM}{{3}}))*"  # variants
    rf"(?:-[0-9A-WYZa-wyz](?:-{_ALNUM}{{2,8}})+)*"  # extensions
    rf"(?:-[Xx](?:-{_ALNUM}{{1,8}})+)?"  # private use
)
_PRIVATEUSE = rf"[Xx](?:-{_ALNUM}{{1,8}})+"
_IRREGULAR = (
    "en-GB-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo|i-navajo|i-pwn|"
    "i-tao|i-tay|i-tsu|sgn-BE-FR|sgn-BE-NL|sgn-CH-DE"
)
_LANGUAGE_TAG = re.compile(rf"^(?:{_LANGTAG}|{_PRIVATEUSE}|{_IRREGULAR})$", re.IGNORECASE)

# ISO 8601 combined date and time, extended ("2015-11-18T12:17:00.123+00:00") or basic
# ("20151118T121700Z"); RFC 3339 also allows a space instead of "T".
_TIMESTAMP_EXTENDED = re.compile(
    r"^(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})[Tt ](?P<h>\d{2}):(?P<mi>\d{2})"
    r"(?::(?P<s>\d{2})(?:[.,](?P<f>\d+))?)?"
    r"(?P<tz>[Zz]|[+-]\d{2}(?::?\d{2})?)?$"
)
_TIMESTAMP_BASIC = re.compile(
    r"^(?P<y>\d{4})(?P<mo>\d{2})(?P<d>\d{2})[Tt](?P<h>\d{2})(?P<mi>\d{2})"
    r"(?:(?P<s>\d{2})(?:[.,](?P<f>\d+))?)?"
    r"(?P<tz>[Zz]|[+-]\d{2}(?::?\d{2})?)?$"
)
# RFC 3339 section 4.3: "-00:00" means "UTC, local offset unknown"; not ISO 8601, so refused.
_UNKNOWN_OFFSETS = {"-00", "-0000", "-00:00"}

# ISO 8601:2004 4.4.3.2 "PnYnMnDTnHnMnS" / "PnW". A decimal fraction is allowed on the last
# (lowest-order) component only; that is checked after the match.
_NUM = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"^P(?:(?P<W>{_NUM})W|(?:(?P<Y>{_NUM})Y)?(?:(?P<Mo>{_NUM})M)?(?:(?P<D>{_NUM})D)?"
    rf"(?:T(?:(?P<H>{_NUM})H)?(?:(?P<Mi>{_NUM})M)?(?:(?P<S>{_NUM})S)?)?)$"
)
# Nominal lengths (Gregorian averages). xAPI 1.0.3 Data 2.3.1.b8: an LRS cannot convert durations
# exactly, so seconds are for analytics only; statement comparison uses the string.
_DURATION_SECONDS = {
    "Y": 365.2425 * 86400,
    "Mo": 365.2425 * 86400 / 12,
    "W": 7 * 86400,
    "D": 86400,
    "H": 3600,
    "Mi": 60,
    "S": 1,
}
_DURATION_ORDER = ("Y", "Mo", "W", "D", "H", "Mi", "S")


def iri_valid(*, value: object) -> bool:
    """An absolute IRI: a scheme followed by a non-empty, well-formed remainder."""
    return isinstance(value, str) and bool(_IRI.match(value))


def irl_valid(*, value: object) -> bool:
    """An IRL: an absolute IRI with an authority ("scheme://host"), i.e. something resolvable."""
    return iri_valid(value=value) and bool(_IRL_AUTHORITY.match(str(value)))


def mailto_valid(*, value: object) -> bool:
    """A "mailto:" IRI with exactly one address (xAPI 1.0.3 Data 2.4.2.3: "mailto:email address")."""
    return isinstance(value, str) and bool(_MAILTO.match(value)) and iri_valid(value=value)


def uuid_valid(*, value: object) -> bool:
    """A UUID in standard string form (8-4-4-4-12 hex digits, either case)."""
    return isinstance(value, str) and bool(_UUID.match(value))


def sha1_hex_valid(*, value: object) -> bool:
    return isinstance(value, str) and bool(_SHA1_HEX.match(value))


def sha2_hex_valid(*, value: object) -> bool:
    return isinstance(value, str) and bool(_SHA2_HEX.match(value))


def media_type_valid(*, value: object) -> bool:
    return isinstance(value, str) and bool(_MEDIA_TYPE.match(value))


def language_tag_valid(*, value: object) -> bool:
    """An RFC 5646 language tag (syntax only; subtags are not checked against the IANA registry)."""
    return isinstance(value, str) and bool(_LANGUAGE_TAG.match(value))


def version_is_2(*, version: str) -> bool:
    """True for an xAPI 2.0.x version string, False for 1.0.x; anything else is rejected."""
    if re.fullmatch(r"1\.0\.\d+", version):
        return False
    if re.fullmatch(r"2\.0\.\d+", version):
        return True
    raise XapiValidationError(field="X-Experience-API-Version", rule="must be 1.0.x or 2.0.x")


def timestamp_parse(*, value: str, version: str = "1.0.3", stored: bool = False) -> datetime:
    """Parse an xAPI Timestamp into a timezone-aware datetime.

    1.0.3 Data 4.5.s1.b1: "A Timestamp MUST be formatted according to ISO 8601"; b4: "A Timestamp
    SHOULD* include the time zone" -- so under 1.0.x a timestamp without an offset is accepted and
    read as UTC. xAPI 2.0 (IEEE 9274.1.1) requires the offset, so with version 2.0.x that is an error.
    "-00", "-0000" and "-00:00" (RFC 3339 "UTC, local offset unknown"; not ISO 8601) are refused under
    both versions: the 1.0.3 conformance requirement XAPI-00123 asks for ISO 8601, and the conformance
    suite tests exactly those three. ``stored=True`` reads a timestamp that was stored before that rule
    (earlier releases accepted them under 1.0.x): then they mean UTC.
    Precision beyond microseconds is truncated (4.5.s1.b7 allows truncation to milliseconds).
    The default is the lenient 1.0.x reading, so parsing a timestamp that already passed
    statement_validate never fails; pass the request's version to validate a since/until parameter
    (Data 2.2.s4.b4: parameters are validated like the same types in Statements).
    """
    field = "timestamp"
    if not isinstance(value, str):
        raise XapiValidationError(field=field, rule="must be an ISO 8601 timestamp string")
    strict = version_is_2(version=version)
    match = _TIMESTAMP_EXTENDED.match(value) or _TIMESTAMP_BASIC.match(value)
    if not match:
        raise XapiValidationError(field=field, rule="must be an ISO 8601 combined date and time")
    tz_text = match["tz"]
    if tz_text is None:
        if strict:
            raise XapiValidationError(field=field, rule="must include a time zone offset")
        tz = UTC
    elif tz_text in ("Z", "z"):
        tz = UTC
    elif tz_text in _UNKNOWN_OFFSETS:
        if not stored:
            raise XapiValidationError(
                field=field, rule=f"must not use the offset {tz_text} (unknown local offset): use Z or +00:00"
            )
        tz = UTC
    else:
        digits = tz_text[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:4] or "0")
        if hours > 23 or minutes > 59:
            raise XapiValidationError(field=field, rule="must have a valid time zone offset")
        offset = timedelta(hours=hours, minutes=minutes)
        tz = timezone(-offset if tz_text[0] == "-" else offset)
    fraction = (match["f"] or "0")[:6].ljust(6, "0")
    try:
        return datetime(
            int(match["y"]),
            int(match["mo"]),
            int(match["d"]),
            int(match["h"]),
            int(match["mi"]),
            int(match["s"] or "0"),
            int(fraction),
            tzinfo=tz,
        )
    except ValueError as exc:
        raise XapiValidationError(field=field, rule="must be a valid date and time") from exc


def duration_match(*, value: object) -> re.Match[str] | None:
    """The regex match of an ISO 8601:2004 4.4.3.2 duration, or None when it is not one."""
    if not isinstance(value, str):
        return None
    match = _DURATION.match(value)
    if not match or value in ("P", "PT") or value.endswith("T"):
        return None
    present = [key for key in _DURATION_ORDER if match[key] is not None]
    if not present:
        return None
    # Only the lowest-order component may carry a decimal fraction (ISO 8601:2004 4.4.3.2).
    if any(("." in match[key] or "," in match[key]) for key in present[:-1]):
        return None
    return match


def duration_seconds(*, value: str) -> float:
    """Seconds in an ISO 8601 duration ("PT1H30M" -> 5400.0).

    1.0.3 Data 4.6.s1.b1: "A Duration MUST be expressed using the format for Duration in ISO
    8601:2004(E) section 4.4.3.2. The alternative format ... MUST NOT be used." Weeks cannot be
    combined with other components ("'P4W1D' is not valid"). Years and months use Gregorian
    average lengths, so the result is nominal.
    """
    match = duration_match(value=value)
    if match is None:
        raise XapiValidationError(field="duration", rule="must be an ISO 8601 duration")
    total = 0.0
    for key in _DURATION_ORDER:
        if match[key] is not None:
            total += float(match[key].replace(",", ".")) * _DURATION_SECONDS[key]
    return total
