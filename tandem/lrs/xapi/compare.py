"""Statement equivalence (xAPI 1.0.3 Data 2.3.1 "Statement Comparision Requirements").

The spec says: "Differences which could have been caused by exceptions to Statement immutability
MUST be ignored" (2.3.1.s9.b1) and "Differences relating to a different serialisation of any
properties not listed as exceptions MUST not be ignored" (2.3.1.s9.b2). The exceptions are:

* b1 properties the LRS may assign: "id", "authority", "stored", "timestamp", "version" -- stored,
  authority and version are ignored; id and timestamp are compared when both statements have them
  (a missing one could have been assigned by the LRS), ids case-insensitively, timestamps as instants;
* b2 Activity Definitions are not part of the Statement -- "definition" is ignored;
* b3 the Verb "display" is not part of the Statement -- ignored;
* b4 timestamp serialisation -- compared as points in time (b1 above);
* b5 Group "member" is an unordered list -- compared as a multiset;
* b6 Attachments are not part of Statements -- "attachments" is ignored (this is also what makes a
  signed statement comparable with its JWS payload, which predates the signature attachment);
* b7 case-insensitive values -- e-mail domains (2.4.2.3.s4.b1), mbox_sha1sum hex, UUIDs, the
  context "language" tag.

Not exceptions (b8): "Result Duration ... is considered a string for purposes of Statement
comparison", except that 4.6.s1.b5 says precision beyond 0.01 s SHOULD* NOT be compared, so the
seconds fraction is truncated to two digits and the strings compared.
Also normalised because they are the same statement, not a different serialisation: a missing
"objectType" with its default ("Activity" for objects, "Agent" for agents) and a single context
Activity versus an array of one (Data 2.4.6.2.s4.b3/b4 make the LRS return the array form).
JSON numbers compare by value (1 == 1.0) but never equal a boolean.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from tandem.lrs.xapi.agents import mbox_normalise
from tandem.lrs.xapi.errors import XapiValidationError
from tandem.lrs.xapi.formats import timestamp_parse

_LRS_ASSIGNED = ("stored", "authority", "version", "attachments")
_OPTIONAL_ASSIGNED = ("id", "timestamp")
_SECONDS_FRACTION = re.compile(r"(\d+)[.,](\d{2})\d+S$")


def _tagged(value: Any) -> Any:
    """A structure where == compares JSON values (keeps True distinct from 1)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", value)
    if isinstance(value, Mapping):
        return {key: _tagged(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_tagged(item) for item in value]
    return value


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _agent(agent: Any) -> Any:
    if not isinstance(agent, Mapping):
        return agent
    out = dict(agent)
    out.setdefault("objectType", "Agent")
    if isinstance(out.get("mbox"), str):
        out["mbox"] = mbox_normalise(mbox=out["mbox"])
    if isinstance(out.get("mbox_sha1sum"), str):
        out["mbox_sha1sum"] = out["mbox_sha1sum"].lower()
    if isinstance(out.get("member"), list):
        out["member"] = sorted((_agent(member) for member in out["member"]), key=_sort_key)
    return out


def _activity(activity: Any) -> Any:
    if not isinstance(activity, Mapping):
        return activity
    return {"objectType": "Activity", "id": activity.get("id")}


def _uuid(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _statement_ref(ref: Any) -> Any:
    if not isinstance(ref, Mapping):
        return ref
    return {**ref, "id": _uuid(ref.get("id"))}


def _object(target: Any) -> Any:
    if not isinstance(target, Mapping):
        return target
    object_type = target.get("objectType", "Activity")
    if object_type == "Activity":
        return _activity(target)
    if object_type in ("Agent", "Group"):
        return _agent(target)
    if object_type == "StatementRef":
        return _statement_ref(target)
    return _statement(target)


def _result(result: Any) -> Any:
    if not isinstance(result, Mapping):
        return result
    out = dict(result)
    if isinstance(out.get("duration"), str):
        out["duration"] = _SECONDS_FRACTION.sub(r"\1.\2S", out["duration"])
    return out


def _context(context: Any) -> Any:
    if not isinstance(context, Mapping):
        return context
    out = dict(context)
    if "registration" in out:
        out["registration"] = _uuid(out["registration"])
    for key in ("instructor", "team"):
        if key in out:
            out[key] = _agent(out[key])
    if isinstance(out.get("language"), str):
        out["language"] = out["language"].lower()
    if "statement" in out:
        out["statement"] = _statement_ref(out["statement"])
    if isinstance(out.get("contextActivities"), Mapping):
        out["contextActivities"] = {
            key: [_activity(item) for item in (value if isinstance(value, list) else [value])]
            for key, value in out["contextActivities"].items()
        }
    if isinstance(out.get("contextAgents"), list):
        out["contextAgents"] = [
            {**item, "agent": _agent(item.get("agent"))} if isinstance(item, Mapping) else item
            for item in out["contextAgents"]
        ]
    if isinstance(out.get("contextGroups"), list):
        out["contextGroups"] = [
            {**item, "group": _agent(item.get("group"))} if isinstance(item, Mapping) else item
            for item in out["contextGroups"]
        ]
    return out


def _instant(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        # Lenient (1.0.x) parsing: comparison must not fail on a value the LRS already accepted.
        return timestamp_parse(value=value, version="1.0.0", stored=True).timestamp()
    except XapiValidationError:
        return value


def _statement(statement: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in statement.items():
        if key in _LRS_ASSIGNED:
            continue
        if key == "id":
            out[key] = _uuid(value)
        elif key == "timestamp":
            out[key] = _instant(value)
        elif key == "actor":
            out[key] = _agent(value)
        elif key == "verb":
            out[key] = {"id": value.get("id")} if isinstance(value, Mapping) else value
        elif key == "object":
            out[key] = _object(value)
        elif key == "result":
            out[key] = _result(value)
        elif key == "context":
            out[key] = _context(value)
        else:
            out[key] = value
    return out


def _differences(left: Any, right: Any, path: str, found: list[str], limit: int) -> None:
    if len(found) >= limit:
        return
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(set(left) | set(right), key=str):
            inner = f"{path}.{key}" if path else str(key)
            if key not in left or key not in right:
                found.append(inner)
            else:
                _differences(left[key], right[key], inner, found, limit)
            if len(found) >= limit:
                return
    elif _tagged(left) != _tagged(right):
        found.append(path or "statement")


def statement_differences(*, a: Mapping[str, Any], b: Mapping[str, Any], limit: int = 5) -> list[str]:
    """The JSON paths (at most ``limit``) where ``a`` and ``b`` differ under the comparison rules, for a
    message ("actor.name, result.score.raw"); empty when they are equivalent."""
    left, right = _statement(a), _statement(b)
    for key in _OPTIONAL_ASSIGNED:
        if (key in left) != (key in right):
            left.pop(key, None)
            right.pop(key, None)
    found: list[str] = []
    _differences(left, right, "", found, limit)
    return found


def statement_equivalent(*, a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """True when ``a`` and ``b`` are the same statement per the Statement Comparison Requirements.

    Used for signed statements (Data 2.6.s5.b3.b2: "Validate that the original Statement is
    logically equivalent to the received Statement") and for a PUT/POST of an id the LRS already
    holds (Communication 2.1.1: "the LRS SHOULD* verify that the received Statement matches the
    existing one"). See the module docstring for what is ignored and why.
    """
    left, right = _statement(a), _statement(b)
    for key in _OPTIONAL_ASSIGNED:
        if (key in left) != (key in right):
            left.pop(key, None)
            right.pop(key, None)
    return bool(_tagged(left) == _tagged(right))
