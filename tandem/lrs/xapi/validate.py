"""Statement validation for xAPI 1.0.x and 2.0.x.

Requirement references ("Data 2.4.2.1.s2.b1") are to the anchors in xAPI 1.0.3 Part Two
(adlnet/xAPI-Spec, xAPI-Data.md). xAPI 2.0 (IEEE 9274.1.1) keeps the statement data model and adds
the rules noted where they apply; docs/xapi-versions.md lists the differences.

Validation stops at the first violation (the LRS rejects the whole request with 400 anyway) and
reports it as an XapiValidationError with a JSON path and the rule that was broken.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from tandem.lrs.xapi.errors import XapiValidationError
from tandem.lrs.xapi.formats import (
    duration_match,
    iri_valid,
    irl_valid,
    language_tag_valid,
    mailto_valid,
    media_type_valid,
    sha1_hex_valid,
    sha2_hex_valid,
    timestamp_parse,
    uuid_valid,
    version_is_2,
)

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
SIGNATURE_USAGE_TYPE = "http://adlnet.gov/expapi/attachments/signature"
IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")
INTERACTION_TYPES = frozenset(
    {
        "true-false",
        "choice",
        "fill-in",
        "long-fill-in",
        "matching",
        "performance",
        "sequencing",
        "likert",
        "numeric",
        "other",
    }
)
# Data 2.4.4.1.s15 table 2: the interaction component lists each interactionType supports.
COMPONENT_LISTS: dict[str, frozenset[str]] = {
    "choice": frozenset({"choices"}),
    "sequencing": frozenset({"choices"}),
    "likert": frozenset({"scale"}),
    "matching": frozenset({"source", "target"}),
    "performance": frozenset({"steps"}),
}
ALL_COMPONENT_LISTS = frozenset({"choices", "scale", "source", "target", "steps"})
CONTEXT_ACTIVITY_KEYS = ("parent", "grouping", "category", "other")

# What exporters write where an e-mail address is missing.
_NO_ADDRESS = frozenset({"", "null", "none", "undefined", "nil"})

_STATEMENT_KEYS = frozenset(
    {
        "id",
        "actor",
        "verb",
        "object",
        "result",
        "context",
        "timestamp",
        "stored",
        "authority",
        "version",
        "attachments",
    }
)
# Data 2.4.4.3.s8.b3: "A SubStatement MUST NOT have the "id", "stored", "version" or "authority" properties."
_SUBSTATEMENT_KEYS = frozenset(
    {"objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments"}
)
_AGENT_KEYS = frozenset({"objectType", "name", *IFI_KEYS})
_GROUP_KEYS = frozenset({"objectType", "name", "member", *IFI_KEYS})
_ACTIVITY_DEFINITION_KEYS = frozenset(
    {
        "name",
        "description",
        "type",
        "moreInfo",
        "extensions",
        "interactionType",
        "correctResponsesPattern",
        *ALL_COMPONENT_LISTS,
    }
)
_CONTEXT_KEYS_1 = frozenset(
    {
        "registration",
        "instructor",
        "team",
        "contextActivities",
        "revision",
        "platform",
        "language",
        "statement",
        "extensions",
    }
)
_CONTEXT_KEYS_2 = _CONTEXT_KEYS_1 | {"contextAgents", "contextGroups"}
_ATTACHMENT_KEYS = frozenset(
    {"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"}
)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _fail(path: str, rule: str) -> XapiValidationError:
    return XapiValidationError(field=path or "statement", rule=rule)


def _mbox_problem(value: object) -> str:
    """Why an mbox is not a mailto: IRI, in the words of the most likely mistake."""
    if isinstance(value, str) and value.lower().startswith("mailto:"):
        address = value[len("mailto:") :].strip()
        if address.lower() in _NO_ADDRESS:
            # Exporters that serialise a missing e-mail write "mailto:null" or "mailto:".
            return f'has no e-mail address after "mailto:" ({value[:40]!r}): give the address or another identifier'
        if "@" not in address:
            return f'must be "mailto:" followed by an e-mail address; {address[:40]!r} has no "@"'
        if not value.startswith("mailto:"):
            return 'must start with "mailto:" in lower case'
    return "must be a mailto: IRI (mailto:name@example.com)"


def _is_number(value: object) -> bool:
    # bool is an int subclass in Python; Data 2.2.s4.b1.b2/b3 keep numbers and booleans apart.
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Validator:
    """One validation run. ``v2`` switches on the xAPI 2.0 rules."""

    def __init__(self, *, v2: bool, version: str) -> None:
        self.v2 = v2
        self.version = version

    # -- generic shapes -------------------------------------------------------------------------

    def obj(
        self,
        value: object,
        path: str,
        *,
        allowed: frozenset[str],
        required: tuple[str, ...] = (),
        what: str = "an object",
    ) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise _fail(path, f"must be {what}")
        for key in value:
            if key not in allowed:
                # Data 2.2.s4.b1.b5/b7: unknown keys, and keys in the wrong case, are rejected.
                raise _fail(_join(path, str(key)), "is not an allowed property")
        for key, item in value.items():
            if item is None:
                # Data 2.2.s4.b1.b1: "with any null values (except inside extensions)".
                raise _fail(_join(path, key), "must not be null")
        for key in required:
            if key not in value:
                raise _fail(_join(path, key), "is required")
        return value

    def string(self, value: object, path: str) -> str:
        if not isinstance(value, str):
            raise _fail(path, "must be a string")
        return value

    def boolean(self, value: object, path: str) -> None:
        if not isinstance(value, bool):
            raise _fail(path, "must be a boolean")

    def number(self, value: object, path: str) -> float:
        if not _is_number(value):
            raise _fail(path, "must be a number")
        try:
            number = float(value)  # type: ignore[arg-type]
        except OverflowError:  # an int beyond a double: a caller that skipped json_value_check
            raise _fail(path, "is a number too large for a double (IEEE 754)") from None
        if not math.isfinite(number):
            raise _fail(path, "must be a finite number")
        return number

    def iri(self, value: object, path: str) -> None:
        if not iri_valid(value=value):
            raise _fail(path, "must be an absolute IRI")

    def irl(self, value: object, path: str) -> None:
        if not irl_valid(value=value):
            raise _fail(path, "must be an IRL (absolute, with scheme and host)")

    def uuid(self, value: object, path: str) -> None:
        if not uuid_valid(value=value):
            raise _fail(path, "must be a UUID in standard string form")

    def timestamp(self, value: object, path: str) -> None:
        if not isinstance(value, str):
            raise _fail(path, "must be an ISO 8601 timestamp string")
        try:
            timestamp_parse(value=value, version=self.version)
        except XapiValidationError as exc:
            raise _fail(path, exc.rule) from exc

    def language_map(self, value: object, path: str) -> None:
        """Data 4.2: keys are RFC 5646 tags (2.2.s4.b2), values are strings."""
        if not isinstance(value, Mapping):
            raise _fail(path, "must be a language map")
        for key, text in value.items():
            if not language_tag_valid(value=key):
                raise _fail(_join(path, str(key)), "must be an RFC 5646 language tag")
            if not isinstance(text, str):
                raise _fail(_join(path, str(key)), "must be a string")

    def extensions(self, value: object, path: str) -> None:
        """Data 4.1.s3.b1: keys MUST be IRIs; b2: values are never a reason to reject."""
        if not isinstance(value, Mapping):
            raise _fail(path, "must be an object")
        for key in value:
            if not iri_valid(value=key):
                raise _fail(_join(path, str(key)), "extension keys must be absolute IRIs")

    def array(self, value: object, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise _fail(path, "must be an array")
        return value

    # -- agents and groups ----------------------------------------------------------------------

    def ifis(self, value: Mapping[str, Any], path: str) -> list[str]:
        present = [key for key in IFI_KEYS if key in value]
        for key in present:
            self.ifi(key, value[key], _join(path, key))
        return present

    def ifi(self, key: str, value: object, path: str) -> None:
        if key == "mbox":
            if not mailto_valid(value=value):
                raise _fail(path, _mbox_problem(value))
        elif key == "mbox_sha1sum":
            if not sha1_hex_valid(value=value):
                raise _fail(path, "must be a hex-encoded SHA1 (40 hex digits)")
        elif key == "openid":
            if not iri_valid(value=value):
                raise _fail(path, "must be a URI")
        else:
            account = self.obj(
                value,
                path,
                allowed=frozenset({"homePage", "name"}),
                required=("homePage", "name"),
            )
            self.irl(account["homePage"], _join(path, "homePage"))
            self.string(account["name"], _join(path, "name"))

    def agent(self, value: object, path: str) -> Mapping[str, Any]:
        """Data 2.4.2.1: objectType "Agent" (optional), name, and exactly one IFI."""
        agent = self.obj(value, path, allowed=_AGENT_KEYS, what="an Agent object")
        if "objectType" in agent and agent["objectType"] != "Agent":
            raise _fail(_join(path, "objectType"), 'must be "Agent"')
        if "name" in agent:
            self.string(agent["name"], _join(path, "name"))
        present = self.ifis(agent, path)
        if not present:
            raise _fail(path, "an Agent must have exactly one inverse functional identifier")
        if len(present) > 1:
            raise _fail(path, "an Agent must not have more than one inverse functional identifier")
        return agent

    def group(self, value: object, path: str) -> Mapping[str, Any]:
        """Data 2.4.2.2: Anonymous (members, no IFI) or Identified (exactly one IFI) Group."""
        group = self.obj(value, path, allowed=_GROUP_KEYS, required=("objectType",), what="a Group object")
        if group["objectType"] != "Group":
            raise _fail(_join(path, "objectType"), 'must be "Group"')
        if "name" in group:
            self.string(group["name"], _join(path, "name"))
        present = self.ifis(group, path)
        if len(present) > 1:
            raise _fail(path, "an Identified Group must have exactly one inverse functional identifier")
        if not present and "member" not in group:
            raise _fail(_join(path, "member"), "an Anonymous Group must list its members")
        if "member" in group:
            members = self.array(group["member"], _join(path, "member"))
            if not present and not members:
                raise _fail(_join(path, "member"), "an Anonymous Group must list its members")
            for index, member in enumerate(members):
                member_path = f"{_join(path, 'member')}[{index}]"
                # Data 2.4.2.2.s4.b2 / s5.b2: Groups MUST NOT contain Group Objects in "member".
                if isinstance(member, Mapping) and member.get("objectType") == "Group":
                    raise _fail(_join(member_path, "objectType"), "a Group member must be an Agent")
                self.agent(member, member_path)
        return group

    def actor(self, value: object, path: str) -> Mapping[str, Any]:
        if isinstance(value, Mapping) and value.get("objectType") == "Group":
            return self.group(value, path)
        return self.agent(value, path)

    # -- verb and objects -----------------------------------------------------------------------

    def verb(self, value: object, path: str) -> Mapping[str, Any]:
        """Data 2.4.3: id (IRI, required) and display (Language Map)."""
        verb = self.obj(value, path, allowed=frozenset({"id", "display"}), required=("id",))
        self.iri(verb["id"], _join(path, "id"))
        if "display" in verb:
            self.language_map(verb["display"], _join(path, "display"))
        return verb

    def activity(self, value: object, path: str) -> Mapping[str, Any]:
        """Data 2.4.4.1: objectType "Activity" when present, id IRI, optional definition."""
        activity = self.obj(
            value,
            path,
            allowed=frozenset({"objectType", "id", "definition"}),
            required=("id",),
            what="an Activity object",
        )
        if "objectType" in activity and activity["objectType"] != "Activity":
            raise _fail(_join(path, "objectType"), 'must be "Activity"')
        self.iri(activity["id"], _join(path, "id"))
        if "definition" in activity:
            self.definition(activity["definition"], _join(path, "definition"))
        return activity

    def definition(self, value: object, path: str) -> None:
        definition = self.obj(value, path, allowed=_ACTIVITY_DEFINITION_KEYS)
        for key in ("name", "description"):
            if key in definition:
                self.language_map(definition[key], _join(path, key))
        if "type" in definition:
            self.iri(definition["type"], _join(path, "type"))
        if "moreInfo" in definition:
            self.irl(definition["moreInfo"], _join(path, "moreInfo"))
        if "extensions" in definition:
            self.extensions(definition["extensions"], _join(path, "extensions"))
        lists = [key for key in definition if key in ALL_COMPONENT_LISTS]
        interaction_type = definition.get("interactionType")
        if interaction_type is None:
            # Data 2.4.4.1.s13.b1: "Interaction Activities MUST have a valid interactionType."
            for key in ("correctResponsesPattern", *lists):
                if key in definition:
                    raise _fail(_join(path, "interactionType"), f"is required when {key} is present")
            return
        # The type first: a dict or list here is unhashable, and the set lookup below would raise TypeError.
        if not isinstance(interaction_type, str) or interaction_type not in INTERACTION_TYPES:
            raise _fail(_join(path, "interactionType"), "must be a valid interactionType")
        if "correctResponsesPattern" in definition:
            patterns = self.array(
                definition["correctResponsesPattern"], _join(path, "correctResponsesPattern")
            )
            for index, pattern in enumerate(patterns):
                self.string(pattern, f"{_join(path, 'correctResponsesPattern')}[{index}]")
        supported = COMPONENT_LISTS.get(interaction_type, frozenset())
        for key in lists:
            # Data 2.4.4.1.s13.b3: the LRS MAY reject properties not valid for the interactionType.
            if key not in supported:
                raise _fail(_join(path, key), f'is not supported for interactionType "{interaction_type}"')
            self.components(definition[key], _join(path, key))

    def components(self, value: object, path: str) -> None:
        components = self.array(value, path)
        seen: set[str] = set()
        for index, component in enumerate(components):
            item_path = f"{path}[{index}]"
            item = self.obj(component, item_path, allowed=frozenset({"id", "description"}), required=("id",))
            component_id = self.string(item["id"], _join(item_path, "id"))
            # Data 2.4.4.1.s16.b1: "Within an array of interaction components, all id values MUST be distinct."
            if component_id in seen:
                raise _fail(_join(item_path, "id"), "must be distinct within the component list")
            seen.add(component_id)
            if "description" in item:
                self.language_map(item["description"], _join(item_path, "description"))

    def statement_ref(self, value: object, path: str) -> None:
        """Data 2.4.4.3.s4: objectType "StatementRef" and the id (UUID) of a Statement."""
        ref = self.obj(
            value,
            path,
            allowed=frozenset({"objectType", "id"}),
            required=("objectType", "id"),
            what="a StatementRef object",
        )
        if ref["objectType"] != "StatementRef":
            raise _fail(_join(path, "objectType"), 'must be "StatementRef"')
        self.uuid(ref["id"], _join(path, "id"))

    def statement_object(self, value: object, path: str, *, in_substatement: bool) -> None:
        """Data 2.4.4: an Activity (default), Agent, Group, SubStatement or StatementRef."""
        if not isinstance(value, Mapping):
            raise _fail(path, "must be an object")
        if "objectType" not in value and any(key in value for key in IFI_KEYS):
            # Data 2.4.4.2.s1.b1: an Agent or Group Object MUST specify an "objectType".
            raise _fail(_join(path, "objectType"), "is required when the object is an Agent or Group")
        object_type = value.get("objectType", "Activity")
        if object_type == "Activity":
            self.activity(value, path)
        elif object_type == "Agent":
            self.agent(value, path)
        elif object_type == "Group":
            self.group(value, path)
        elif object_type == "StatementRef":
            self.statement_ref(value, path)
        elif object_type == "SubStatement":
            if in_substatement:
                # Data 2.4.4.3.s8.b4: "A SubStatement MUST NOT contain a SubStatement of its own".
                raise _fail(_join(path, "objectType"), "a SubStatement must not contain a SubStatement")
            self.statement(value, path, substatement=True)
        else:
            raise _fail(
                _join(path, "objectType"),
                "must be Activity, Agent, Group, SubStatement or StatementRef",
            )

    # -- result and context ---------------------------------------------------------------------

    def result(self, value: object, path: str) -> None:
        """Data 2.4.5."""
        result = self.obj(
            value,
            path,
            allowed=frozenset({"score", "success", "completion", "response", "duration", "extensions"}),
        )
        if "score" in result:
            self.score(result["score"], _join(path, "score"))
        for key in ("success", "completion"):
            if key in result:
                self.boolean(result[key], _join(path, key))
        if "response" in result:
            self.string(result["response"], _join(path, "response"))
        if "duration" in result and duration_match(value=result["duration"]) is None:
            raise _fail(_join(path, "duration"), "must be an ISO 8601 duration")
        if "extensions" in result:
            self.extensions(result["extensions"], _join(path, "extensions"))

    def score(self, value: object, path: str) -> None:
        """Data 2.4.5.1: scaled in [-1, 1]; raw within [min, max]; min < max."""
        score = self.obj(value, path, allowed=frozenset({"scaled", "raw", "min", "max"}))
        numbers = {key: self.number(score[key], _join(path, key)) for key in score}
        if "scaled" in numbers and not -1 <= numbers["scaled"] <= 1:
            raise _fail(_join(path, "scaled"), "must be between -1 and 1 inclusive")
        low, high = numbers.get("min"), numbers.get("max")
        if low is not None and high is not None and not low < high:
            raise _fail(_join(path, "min"), "must be less than max")
        raw = numbers.get("raw")
        if raw is not None:
            if low is not None and raw < low:
                raise _fail(_join(path, "raw"), "must not be less than min")
            if high is not None and raw > high:
                raise _fail(_join(path, "raw"), "must not be greater than max")

    def context(self, value: object, path: str, *, object_is_activity: bool) -> None:
        """Data 2.4.6 (plus contextAgents / contextGroups in 2.0)."""
        context = self.obj(value, path, allowed=_CONTEXT_KEYS_2 if self.v2 else _CONTEXT_KEYS_1)
        if "registration" in context:
            self.uuid(context["registration"], _join(path, "registration"))
        if "instructor" in context:
            self.actor(context["instructor"], _join(path, "instructor"))
        if "team" in context:
            team = context["team"]
            if not (isinstance(team, Mapping) and team.get("objectType") == "Group"):
                raise _fail(_join(path, "team"), "must be a Group")
            self.group(team, _join(path, "team"))
        if "contextActivities" in context:
            self.context_activities(context["contextActivities"], _join(path, "contextActivities"))
        for key in ("revision", "platform"):
            if key in context:
                self.string(context[key], _join(path, key))
                # Data 2.4.6.s4.b1/b2: "MUST only be used if the Statement's Object is an Activity."
                if not object_is_activity:
                    raise _fail(_join(path, key), "must only be used when the object is an Activity")
        if "language" in context and not language_tag_valid(value=context["language"]):
            raise _fail(_join(path, "language"), "must be an RFC 5646 language tag")
        if "statement" in context:
            self.statement_ref(context["statement"], _join(path, "statement"))
        if "extensions" in context:
            self.extensions(context["extensions"], _join(path, "extensions"))
        if "contextAgents" in context:
            self.context_agents(context["contextAgents"], _join(path, "contextAgents"))
        if "contextGroups" in context:
            self.context_groups(context["contextGroups"], _join(path, "contextGroups"))

    def context_activities(self, value: object, path: str) -> None:
        """Data 2.4.6.2.s4.b1/b2: keys parent/grouping/category/other; an Activity or an array of them."""
        activities = self.obj(value, path, allowed=frozenset(CONTEXT_ACTIVITY_KEYS))
        for key, item in activities.items():
            item_path = _join(path, key)
            if isinstance(item, list):
                for index, activity in enumerate(item):
                    self.activity(activity, f"{item_path}[{index}]")
            else:
                self.activity(item, item_path)

    def relevant_types(self, value: object, path: str) -> None:
        types = self.array(value, path)
        if not types:
            raise _fail(path, "must not be empty")
        for index, item in enumerate(types):
            self.iri(item, f"{path}[{index}]")

    def context_agents(self, value: object, path: str) -> None:
        """xAPI 2.0: an array of {objectType "contextAgent", agent: Agent, relevantTypes?: [IRI, ...]}."""
        for index, item in enumerate(self.array(value, path)):
            item_path = f"{path}[{index}]"
            entry = self.obj(
                item,
                item_path,
                allowed=frozenset({"objectType", "agent", "relevantTypes"}),
                required=("objectType", "agent"),
            )
            if entry["objectType"] != "contextAgent":
                raise _fail(_join(item_path, "objectType"), 'must be "contextAgent"')
            self.agent(entry["agent"], _join(item_path, "agent"))
            if "relevantTypes" in entry:
                self.relevant_types(entry["relevantTypes"], _join(item_path, "relevantTypes"))

    def context_groups(self, value: object, path: str) -> None:
        """xAPI 2.0: an array of {objectType "contextGroup", group: Group, relevantTypes?: [IRI, ...]}."""
        for index, item in enumerate(self.array(value, path)):
            item_path = f"{path}[{index}]"
            entry = self.obj(
                item,
                item_path,
                allowed=frozenset({"objectType", "group", "relevantTypes"}),
                required=("objectType", "group"),
            )
            if entry["objectType"] != "contextGroup":
                raise _fail(_join(item_path, "objectType"), 'must be "contextGroup"')
            self.group(entry["group"], _join(item_path, "group"))
            if "relevantTypes" in entry:
                self.relevant_types(entry["relevantTypes"], _join(item_path, "relevantTypes"))

    # -- statement-level ------------------------------------------------------------------------

    def attachments(self, value: object, path: str) -> None:
        """Data 2.4.11 (and 2.6.s4.b1 for signature attachments)."""
        for index, item in enumerate(self.array(value, path)):
            item_path = f"{path}[{index}]"
            attachment = self.obj(
                item,
                item_path,
                allowed=_ATTACHMENT_KEYS,
                required=("usageType", "display", "contentType", "length", "sha2"),
            )
            self.iri(attachment["usageType"], _join(item_path, "usageType"))
            self.language_map(attachment["display"], _join(item_path, "display"))
            if "description" in attachment:
                self.language_map(attachment["description"], _join(item_path, "description"))
            if not media_type_valid(value=attachment["contentType"]):
                raise _fail(_join(item_path, "contentType"), "must be an Internet Media Type")
            length = attachment["length"]
            if not isinstance(length, int) or isinstance(length, bool) or length < 0:
                raise _fail(_join(item_path, "length"), "must be a non-negative integer")
            if not sha2_hex_valid(value=attachment["sha2"]):
                raise _fail(_join(item_path, "sha2"), "must be a hex-encoded SHA-2 hash")
            if "fileUrl" in attachment:
                self.irl(attachment["fileUrl"], _join(item_path, "fileUrl"))
            if (
                attachment["usageType"] == SIGNATURE_USAGE_TYPE
                and attachment["contentType"] != "application/octet-stream"
            ):
                raise _fail(
                    _join(item_path, "contentType"),
                    "a signature attachment must have contentType application/octet-stream",
                )

    def statement_version(self, value: object, path: str) -> None:
        """1.0.3 Data 2.4.10.s3.b1/b2: accept "1.0.*", reject anything else; 2.0 also accepts "2.0.*".

        XAPI-00101 (conformance requirements 1.0.3): anything but "1.0" or "1.0.x" is refused, so the
        two-part "1.0" is a valid version too (and "2.0" under 2.0)."""
        if not isinstance(value, str):
            raise _fail(path, "must be a version string")
        parts = value.split(".")
        numeric = len(parts) in (2, 3) and all(part.isdigit() and part.isascii() for part in parts)
        ok = numeric and parts[0:2] == ["1", "0"]
        if self.v2 and numeric and parts[0:2] == ["2", "0"]:
            ok = True
        if not ok:
            raise _fail(path, "must be 1.0 or 1.0.x" + (" (or 2.0 or 2.0.x)" if self.v2 else ""))

    def statement(self, value: object, path: str, *, substatement: bool) -> None:
        statement = self.obj(
            value,
            path,
            allowed=_SUBSTATEMENT_KEYS if substatement else _STATEMENT_KEYS,
            required=("actor", "verb", "object"),
            what="a Statement object",
        )
        if substatement and statement.get("objectType") != "SubStatement":
            raise _fail(_join(path, "objectType"), 'must be "SubStatement"')
        if "id" in statement:
            self.uuid(statement["id"], _join(path, "id"))
        self.actor(statement["actor"], _join(path, "actor"))
        verb = self.verb(statement["verb"], _join(path, "verb"))
        self.statement_object(statement["object"], _join(path, "object"), in_substatement=substatement)
        target = statement["object"]
        object_type = target.get("objectType", "Activity")
        if verb["id"] == VOIDED_VERB and object_type != "StatementRef":
            # Data 2.3.2.s2.b1: the Object of a voiding Statement MUST be a StatementRef.
            raise _fail(
                _join(path, "object.objectType"), 'a voiding Statement\'s object must be a "StatementRef"'
            )
        if "result" in statement:
            self.result(statement["result"], _join(path, "result"))
        if "context" in statement:
            self.context(
                statement["context"], _join(path, "context"), object_is_activity=object_type == "Activity"
            )
        if "timestamp" in statement:
            self.timestamp(statement["timestamp"], _join(path, "timestamp"))
        if "stored" in statement:
            self.timestamp(statement["stored"], _join(path, "stored"))
        if "authority" in statement:
            self.authority(statement["authority"], _join(path, "authority"))
        if "version" in statement:
            self.statement_version(statement["version"], _join(path, "version"))
        if "attachments" in statement:
            self.attachments(statement["attachments"], _join(path, "attachments"))

    def authority(self, value: object, path: str) -> None:
        """Data 2.4.9.s3.b1-b3: an Agent, or (3-legged OAuth) an anonymous Group of exactly two Agents.

        The Group stands for the pair "OAuth consumer + user", so it has no identity of its own (an
        identified Group is refused: XAPI-00024), and one member is the consumer, which Data 2.4.9 (OAuth
        Credentials as Authority) identifies by an account (homePage and the consumer key). A Group of
        two mbox agents is no OAuth pair: refused (XAPI-00100).
        """
        authority = self.actor(value, path)
        if authority.get("objectType") != "Group":
            return
        if any(key in authority for key in IFI_KEYS):
            raise _fail(path, "a Group authority must be an anonymous Group (an OAuth consumer and a user)")
        members = authority.get("member", [])
        if len(members) != 2:
            raise _fail(_join(path, "member"), "a Group authority must have exactly two Agents")
        if not any("account" in member for member in members):
            raise _fail(
                _join(path, "member"),
                "a Group authority must hold the OAuth consumer, an Agent identified by an account",
            )


def statement_validate(*, statement: object, version: str) -> None:
    """Validate one statement as received under the X-Experience-API-Version ``version``.

    ``version`` is "1.0.x" (1.0.3 rules) or "2.0.x" (2.0 rules). Raises XapiValidationError for the
    first violation found; returns None when the statement is valid. Does not modify the statement.
    """
    v2 = version_is_2(version=version)
    _Validator(v2=v2, version=version).statement(statement, "", substatement=False)


def statements_validate(*, statements: list[object], version: str) -> None:
    """Validate a batch; the error's field is prefixed with the statement's index, e.g. "[2].actor.mbox"."""
    if not isinstance(statements, list):
        raise XapiValidationError(field="statements", rule="must be an array of Statements")
    v2 = version_is_2(version=version)
    validator = _Validator(v2=v2, version=version)
    for index, statement in enumerate(statements):
        validator.statement(statement, f"[{index}]", substatement=False)
