"""Data types: IRIs, language tags, timestamps (Data 4.5) and durations (Data 4.6)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem.lrs.xapi import XapiValidationError, duration_seconds, timestamp_parse
from tandem.lrs.xapi.formats import iri_valid, irl_valid, language_tag_valid, mailto_valid


@pytest.mark.parametrize(
    "value",
    [
        "http://adlnet.gov/expapi/verbs/completed",
        "https://example.com/xapi/verbs#defenestrated",
        "http://example.com/فعل/خواندن",
        "urn:uuid:6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
        "tag:example.com,2026:quiz",
        "http://example.com/a%20b",
    ],
)
def test_xapi_data_3_1_valid_iris(value: str) -> None:
    """Data 4.3: IRIs "can contain some characters outside of the ASCII character set"."""
    assert iri_valid(value=value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "completed",
        "/expapi/verbs/completed",
        "#fragment",
        "http://exa mple.com",
        "http://x.com/%zz",
        "http:",
        3,
    ],
)
def test_xapi_data_2_2_s4_b1_b8_iri_without_scheme_rejected(value: object) -> None:
    """Data 2.2.s4.b1.b8: reject "IRL or IRI values without a scheme"; b4: "including the empty string"."""
    assert not iri_valid(value=value)


def test_irl_needs_a_host() -> None:
    """An IRL is a resolvable locator, so "urn:" IRIs are not IRLs."""
    assert irl_valid(value="https://lms.example.com")
    assert not irl_valid(value="urn:isbn:0451450523")
    assert not irl_valid(value="www.example.com")


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("mailto:priya@example.com", True),
        ("mailto:first.last+tag@sub.example.co.uk", True),
        ("priya@example.com", False),
        ("mailto:", False),
        ("mailto:priya", False),
        ("mailto:a@b@example.com", False),
        ("MAILTO:priya@example.com", False),
    ],
)
def test_xapi_data_2_4_2_3_mailto_format(value: str, ok: bool) -> None:
    """Data 2.4.2.3.s3: mbox "The required format is "mailto:email address"."."""
    assert mailto_valid(value=value) is ok


@pytest.mark.parametrize(
    "tag",
    [
        "en",
        "en-US",
        "en-GB",
        "es-419",
        "zh-Hant-TW",
        "tlh",
        "sr-Latn-RS",
        "de-CH-1996",
        "x-private",
        "i-klingon",
        "EN-us",
    ],
)
def test_xapi_data_2_2_s4_b2_valid_language_tags(tag: str) -> None:
    """Data 2.2.s4.b2: "validate that the sequence of token lengths for language map keys matches the RFC 5646 standard"."""
    assert language_tag_valid(value=tag)


@pytest.mark.parametrize("tag", ["", "e", "en_US", "en-", "toolongtag", "en-US-", "123", "en--US", "a-DE"])
def test_xapi_data_2_2_s4_b2_invalid_language_tags(tag: str) -> None:
    """Data 2.2.s3.b2: "Keys of language maps MUST be sent with valid RFC 5646 language tags"."""
    assert not language_tag_valid(value=tag)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2013-05-18T05:32:34.804+00:00", datetime(2013, 5, 18, 5, 32, 34, 804000, tzinfo=UTC)),
        ("2015-11-18T12:17:00Z", datetime(2015, 11, 18, 12, 17, tzinfo=UTC)),
        ("2026-06-01T09:00:00+01:00", datetime(2026, 6, 1, 8, 0, tzinfo=UTC)),
        ("2008-09-15 15:53:00.601+00:00", datetime(2008, 9, 15, 15, 53, 0, 601000, tzinfo=UTC)),
        ("20150101T120000Z", datetime(2015, 1, 1, 12, tzinfo=UTC)),
        ("2015-01-01T12:00:00.123456789-0530", datetime(2015, 1, 1, 17, 30, 0, 123456, tzinfo=UTC)),
    ],
)
def test_xapi_data_4_5_s1_b1_iso_8601_timestamps(value: str, expected: datetime) -> None:
    """Data 4.5.s1.b1: "A Timestamp MUST be formatted according to ISO 8601"; b2: RFC 3339 SHOULD* be used."""
    parsed = timestamp_parse(value=value)
    assert parsed == expected
    assert parsed.tzinfo is not None


def test_xapi_data_4_5_s1_b5_offset_kept_as_instant() -> None:
    """Data 4.5.s1.b5: another timezone may be returned "so long as the point in time referenced is not affected"."""
    parsed = timestamp_parse(value="2026-03-02T10:15:00+01:00")
    assert parsed.utcoffset() == timedelta(hours=1)
    assert parsed == datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "should fail",
        "01/011/2015",
        "2015-13-01T00:00:00Z",
        "2015-02-30T00:00:00Z",
        "2015-01-01T25:00:00Z",
        "2015-01-01",
        "2015-01-01T00:00:00+24:00",
    ],
)
def test_xapi_data_4_5_s1_b1_non_iso_8601_rejected(value: str) -> None:
    """Data 4.5.s1.b1: "A Timestamp MUST be formatted according to ISO 8601"."""
    with pytest.raises(XapiValidationError):
        timestamp_parse(value=value)


def test_xapi_data_4_5_s1_b4_missing_time_zone_is_utc_under_1_0() -> None:
    """1.0.3 Data 4.5.s1.b4: "A Timestamp SHOULD* include the time zone" -- accepted, read as UTC; 2.0 requires it."""
    assert timestamp_parse(value="2026-03-02T09:15:00", version="1.0.3") == datetime(
        2026, 3, 2, 9, 15, tzinfo=UTC
    )
    with pytest.raises(XapiValidationError, match="time zone"):
        timestamp_parse(value="2026-03-02T09:15:00", version="2.0.0")


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_xapi_00123_minus_zero_offset_rejected(version: str) -> None:
    """XAPI-00123 / xAPI 2.0: "-00:00" (RFC 3339 unknown local offset, not ISO 8601) is refused under both
    versions; a timestamp stored before that rule reads as UTC."""
    with pytest.raises(XapiValidationError, match="-00:00"):
        timestamp_parse(value="2008-09-15T15:53:00.601-00:00", version=version)
    assert timestamp_parse(value="2008-09-15T15:53:00-00:00", stored=True).utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("PT4H35M59.14S", 16559.14),
        ("PT16559.14S", 16559.14),
        ("PT1H0M0.1S", 3600.1),
        ("PT1234S", 1234),
        ("P4W", 4 * 7 * 86400),
        ("P1D", 86400),
        ("PT0S", 0),
        ("PT1,5S", 1.5),
        ("P1DT12H", 129600),
        ("PT0.5H", 1800),
    ],
)
def test_xapi_data_4_6_s1_b1_iso_8601_durations(value: str, seconds: float) -> None:
    """Data 4.6.s1.b1: "A Duration MUST be expressed using the format for Duration in ISO 8601:2004(E) section 4.4.3.2"."""
    assert duration_seconds(value=value) == pytest.approx(seconds)


def test_durations_with_years_and_months_are_nominal() -> None:
    """Data 2.3.1.b8: durations cannot be converted exactly; years and months use Gregorian averages."""
    assert duration_seconds(value="P3Y") == pytest.approx(3 * 365.2425 * 86400)
    assert duration_seconds(value="P3Y1M29DT4H35M59.14S") > duration_seconds(value="P3Y")


@pytest.mark.parametrize(
    "value",
    [
        "PA1H0M0S",
        "should fail",
        "P",
        "PT",
        "P1DT",
        "P4W1D",
        "P16559.14S",
        "PT1.5H30M",
        "P0003-00-00T00:00:00",
        "1H",
        "pt1h",
        "",
    ],
)
def test_xapi_data_4_6_s1_b1_invalid_durations(value: str) -> None:
    """Data 4.6: "'P4W1D' is not valid"; the alternative format "MUST NOT be used"."""
    with pytest.raises(XapiValidationError):
        duration_seconds(value=value)


@given(
    hours=st.integers(min_value=0, max_value=10_000),
    minutes=st.integers(min_value=0, max_value=59),
    centis=st.integers(min_value=0, max_value=5999),
)
def test_duration_seconds_round_trips_hms(hours: int, minutes: int, centis: int) -> None:
    """Any PnHnMn.nnS duration converts to the seconds it spells."""
    value = f"PT{hours}H{minutes}M{centis // 100}.{centis % 100:02d}S"
    assert duration_seconds(value=value) == pytest.approx(hours * 3600 + minutes * 60 + centis / 100)


@given(days=st.integers(min_value=0, max_value=100_000), seconds=st.integers(min_value=0, max_value=86_399))
def test_duration_seconds_days_and_seconds(days: int, seconds: int) -> None:
    """PnDTnS adds days (86400 s) and seconds."""
    assert duration_seconds(value=f"P{days}DT{seconds}S") == days * 86400 + seconds


@given(st.text(max_size=20))
def test_duration_seconds_never_crashes(value: str) -> None:
    """Arbitrary text is either a duration (>= 0 seconds) or an XapiValidationError, never anything else."""
    with contextlib.suppress(XapiValidationError):
        assert duration_seconds(value=value) >= 0
