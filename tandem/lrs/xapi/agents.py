"""Inverse Functional Identifiers (xAPI 1.0.3 Data 2.4.2.3)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tandem.lrs.xapi.errors import XapiValidationError
from tandem.lrs.xapi.validate import IFI_KEYS, _Validator


def account_ifi_parts(*, value: str) -> tuple[str, str]:
    """(homePage, name) of an account IFI value as agent_ifi writes it, "homePage|name". An IRL cannot
    contain "|", so the first one ends the homePage (the name may contain more)."""
    home_page, _, name = value.partition("|")
    return home_page, name


def mbox_normalise(*, mbox: str) -> str:
    """Lowercase the domain of a mailto: IRI.

    Data 2.4.2.3.s4.b1: "The domain portions of email addresses are case insensitive"; the local
    part may be case sensitive, so it is kept as sent.
    """
    local, _, domain = mbox.rpartition("@")
    return f"{local}@{domain.lower()}"


def agent_ifi(*, agent: Mapping[str, Any]) -> tuple[str, str]:
    """The (kind, normalised value) IFI of an Agent or Identified Group.

    ("mbox", "mailto:a@example.com"), ("mbox_sha1sum", lowercase hex), ("openid", uri) or
    ("account", "homePage|name"). Raises XapiValidationError unless there is exactly one valid IFI
    (Data 2.4.2.1.s2.b1/b2, 2.4.2.2.s5.b1), e.g. for an Anonymous Group.
    """
    if not isinstance(agent, Mapping):
        raise XapiValidationError(field="agent", rule="must be an Agent or Group object")
    present = [key for key in IFI_KEYS if key in agent]
    if len(present) != 1:
        raise XapiValidationError(field="agent", rule="must have exactly one inverse functional identifier")
    kind = present[0]
    value = agent[kind]
    _Validator(v2=True, version="2.0.0").ifi(kind, value, f"agent.{kind}")
    if kind == "mbox":
        return kind, mbox_normalise(mbox=value)
    if kind == "mbox_sha1sum":
        return kind, value.lower()
    if kind == "openid":
        return kind, value
    return kind, f"{value['homePage']}|{value['name']}"
