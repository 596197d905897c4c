"""Shaping stored statements for GET /statements: normalise() and the three "format" values.

Communication 2.1.3 "format":
* ``exact`` -- "return Agent, Activity, Verb and Group Objects populated exactly as they were when
  the Statement was received";
* ``ids`` -- "only include minimum information necessary in Agent, Activity, Verb and Group Objects
  to identify them. For Anonymous Groups this means including the minimum information needed to
  identify each member";
* ``canonical`` -- "return Activity Objects and Verbs populated with the canonical definition ...
  after applying the language filtering process ... and return the original Agent and Group
  Objects as in exact mode".

This module has no storage: for ``canonical`` the caller passes the LRS's canonical Activity
definitions as a mapping (activity id -> definition, see statement_activity_ids); they replace the
definitions inside the statement, and then the language filtering (Communication 2.1.3.s4) is applied
to the language maps found.

Every format is normalise()d (Data 2.4.6.2.s4.b3, XAPI-00096): ``exact`` is the statement as received
with each contextActivities value as an array.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from tandem.lrs.xapi.validate import CONTEXT_ACTIVITY_KEYS, IFI_KEYS

FORMATS = ("exact", "ids", "canonical")
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")


def normalise(*, statement: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy with every contextActivities value as an array (SubStatements included).

    Data 2.4.6.2.s4.b3: "The LRS MUST return every value in the contextActivities Object as an
    array, even if it arrived as a single Activity Object." Nothing else changes: this is the only
    re-serialisation the spec requires of the LRS.
    """
    out = copy.deepcopy(dict(statement))
    _normalise_in_place(out)
    return out


def contexts_as_arrays(*, statement: dict[str, Any]) -> dict[str, Any]:
    """normalise() in place, for a statement the caller owns (just read from storage): the
    ``exact`` format's answer. XAPI-00096: the Statement Resource returns a ContextActivity in an
    array whatever the format, so ``exact`` means "as received" except for this one rule."""
    _normalise_in_place(statement)
    return statement


def _normalise_in_place(statement: dict[str, Any]) -> None:
    context = statement.get("context")
    if isinstance(context, dict) and isinstance(context.get("contextActivities"), dict):
        activities = context["contextActivities"]
        for key in CONTEXT_ACTIVITY_KEYS:
            if key in activities and not isinstance(activities[key], list):
                activities[key] = [activities[key]]
    target = statement.get("object")
    if isinstance(target, dict) and target.get("objectType") == "SubStatement":
        _normalise_in_place(target)


def language_pick(*, language_map: Mapping[str, str], languages: list[str]) -> dict[str, str]:
    """Reduce a language map to its one best entry for the Accept-Language preference list.

    ``languages`` is the Accept-Language ranges already ordered by preference (q-values applied by
    the caller). Matching follows RFC 2616 14.4 per map (Communication 2.1.3.s4.b5): a range
    matches a tag equal to it or starting with it followed by "-", case-insensitively; "*" matches
    anything. Only if no range matches that way are ranges truncated ("en-GB" -> "en", RFC 4647
    lookup), so ["es-MX", "fr"] prefers "fr" over "es". With no match at all the first entry is used, so exactly one language is returned (2.1.3.s4.b1).
    """
    if not language_map:
        return {}
    keys = list(language_map)
    lowered = {key.lower(): key for key in keys}
    wanted_ranges = [item.strip().lower() for item in languages if item.strip()]
    # Pass 1, RFC 2616 14.4 as the spec requires: every range in preference order.
    for wanted in wanted_ranges:
        if wanted == "*":
            return {keys[0]: language_map[keys[0]]}
        if wanted in lowered:
            key = lowered[wanted]
            return {key: language_map[key]}
        for key in keys:
            if key.lower().startswith(wanted + "-"):
                return {key: language_map[key]}
    # Pass 2, only when nothing matched: truncated ranges ("es-MX" -> "es", RFC 4647 lookup).
    for wanted in wanted_ranges:
        parts = wanted.split("-")
        while len(parts) > 1:
            parts.pop()
            truncated = "-".join(parts)
            if truncated in lowered:
                key = lowered[truncated]
                return {key: language_map[key]}
    return {keys[0]: language_map[keys[0]]}


def _agent_ids(agent: Any) -> Any:
    if not isinstance(agent, Mapping):
        return agent
    out: dict[str, Any] = {}
    if "objectType" in agent:
        out["objectType"] = agent["objectType"]
    identifiers = [key for key in IFI_KEYS if key in agent]
    for key in identifiers:
        out[key] = copy.deepcopy(agent[key])
    if not identifiers and isinstance(agent.get("member"), list):
        # An Anonymous Group is identified by its members.
        out["member"] = [_agent_ids(member) for member in agent["member"]]
    return out


def _activity_ids(activity: Any) -> Any:
    """XAPI-00171: "only include identifiers" -- an Activity is its id (objectType is not an identifier,
    and "Activity" is the default wherever an Activity may stand)."""
    if not isinstance(activity, Mapping):
        return activity
    return {"id": activity.get("id")}


def statement_activity_ids(*, statement: Mapping[str, Any]) -> set[str]:
    """Every Activity id in a statement: object, SubStatement object and contextActivities.

    The Activities format=canonical rewrites, so the caller can load their definitions in one go.
    """
    found: set[str] = set()

    def collect(activity: Any) -> Any:
        if isinstance(activity, Mapping) and isinstance(activity.get("id"), str):
            found.add(activity["id"])
        return activity

    # _shape on a normalised copy visits exactly the Activities statement_format will rewrite.
    _shape(
        normalise(statement=statement), agent=lambda agent: agent, activity=collect, verb=lambda verb: verb
    )
    return found


def _activity_canonical(
    activity: Any, languages: list[str], definitions: Mapping[str, Mapping[str, Any]]
) -> Any:
    if not isinstance(activity, dict):
        return activity
    activity_id = activity.get("id")
    stored = definitions.get(activity_id) if isinstance(activity_id, str) else None
    if stored:
        # The LRS's merged definition wins over the statement's (Data 2.6 "format": canonical);
        # copied, as the language filtering below edits it in place.
        activity["definition"] = copy.deepcopy(dict(stored))
    if not isinstance(activity.get("definition"), dict):
        return activity
    definition = activity["definition"]
    for key in ("name", "description"):
        if isinstance(definition.get(key), dict):
            definition[key] = language_pick(language_map=definition[key], languages=languages)
    for key in _COMPONENT_LISTS:
        for component in definition.get(key) or []:
            if isinstance(component, dict) and isinstance(component.get("description"), dict):
                component["description"] = language_pick(
                    language_map=component["description"], languages=languages
                )
    return activity


def _verb_canonical(verb: Any, languages: list[str]) -> Any:
    if isinstance(verb, dict) and isinstance(verb.get("display"), dict):
        verb["display"] = language_pick(language_map=verb["display"], languages=languages)
    return verb


def _shape(
    statement: dict[str, Any],
    *,
    agent: Callable[[Any], Any],
    activity: Callable[[Any], Any],
    verb: Callable[[Any], Any],
) -> None:
    """Apply the three reshapers to every Agent/Group, Activity and Verb, SubStatements included."""
    for key in ("actor", "authority"):
        if key in statement:
            statement[key] = agent(statement[key])
    if "verb" in statement:
        statement["verb"] = verb(statement["verb"])
    target = statement.get("object")
    if isinstance(target, dict):
        object_type = target.get("objectType", "Activity")
        if object_type == "Activity":
            statement["object"] = activity(target)
        elif object_type in ("Agent", "Group"):
            statement["object"] = agent(target)
        elif object_type == "SubStatement":
            _shape(target, agent=agent, activity=activity, verb=verb)
    context = statement.get("context")
    if isinstance(context, dict):
        for key in ("instructor", "team"):
            if key in context:
                context[key] = agent(context[key])
        activities = context.get("contextActivities")
        if isinstance(activities, dict):
            for key, value in activities.items():
                if isinstance(value, list):
                    activities[key] = [activity(item) for item in value]
        for key, inner in (("contextAgents", "agent"), ("contextGroups", "group")):
            for entry in context.get(key) or []:
                if isinstance(entry, dict) and inner in entry:
                    entry[inner] = agent(entry[inner])


def statement_format(
    *,
    statement: Mapping[str, Any],
    fmt: str,
    languages: list[str],
    definitions: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The statement as returned for GET /statements?format=``fmt`` (see module docstring).

    ``ids``: Agents and Identified Groups keep objectType and their IFI; Anonymous Groups keep
    objectType and their members' IFIs; Activities keep only their id; Verbs keep id. ``canonical``: each Activity whose id is in ``definitions`` gets that definition instead of
    its own (the others keep theirs), then Verb display and Activity name/description/interaction
    component descriptions are reduced to the best language for ``languages``. Raises ValueError for an
    unknown ``fmt`` (the HTTP layer validates the parameter first).
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    out = normalise(statement=statement)
    if fmt == "exact":
        return out
    if fmt == "ids":
        _shape(
            out,
            agent=_agent_ids,
            activity=_activity_ids,
            verb=lambda verb: {"id": verb.get("id")} if isinstance(verb, Mapping) else verb,
        )
    else:
        _shape(
            out,
            agent=lambda agent: agent,
            activity=lambda activity: _activity_canonical(activity, languages, definitions or {}),
            verb=lambda verb: _verb_canonical(verb, languages),
        )
    return out
