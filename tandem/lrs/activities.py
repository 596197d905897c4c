"""Canonical activity definitions, merged from statements as they arrive (xAPI Communication 2.5).

Communication 2.1.3.s4.b2 lets the LRS keep canonical language maps per activity IRI. The rule here: the
most recent definition wins property by property, except that language maps (name, description, the
descriptions of interaction components) and extensions are merged, so a statement sending only "en-US"
does not erase the "de" seen earlier.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from typing import Any

from tandem.core.bulk import bulk_upsert_rows
from tandem.lrs.models import ActivityDefinition
from tandem.lrs.records import StoredStatement

_LANGUAGE_MAPS = ("name", "description")
# Longer ids get no canonical definition: the unique index could not hold them (and the column is 2048).
MAX_ACTIVITY_ID_BYTES = 2048
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")


def _activities(obj: Any) -> Iterator[dict[str, Any]]:
    if (
        isinstance(obj, dict)
        and obj.get("objectType", "Activity") == "Activity"
        and isinstance(obj.get("id"), str)
    ):
        yield obj


def _context_activities(context: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(context, dict) or not isinstance(context.get("contextActivities"), dict):
        return
    for value in context["contextActivities"].values():
        for item in value if isinstance(value, list) else [value]:
            yield from _activities(item)


def _statement_activities(statement: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every Activity object a statement carries (object, context activities, and the substatement's)."""
    yield from _activities(statement.get("object"))
    yield from _context_activities(statement.get("context"))
    sub = statement.get("object")
    if isinstance(sub, dict) and sub.get("objectType") == "SubStatement":
        yield from _activities(sub.get("object"))
        yield from _context_activities(sub.get("context"))


def _components_merge(old: list[Any], new: list[Any]) -> list[Any]:
    """Interaction components matched by id: new ones replace, their descriptions merge with the old."""
    old_by_id = {c["id"]: c for c in old if isinstance(c, dict) and "id" in c}
    merged: list[Any] = []
    for component in new:
        if isinstance(component, dict) and component.get("id") in old_by_id:
            before = old_by_id[component["id"]]
            component = dict(component)
            if isinstance(before.get("description"), dict) and isinstance(component.get("description"), dict):
                component["description"] = {**before["description"], **component["description"]}
        merged.append(component)
    return merged


def activity_definition_merge(*, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """`old` updated with the definition `new` from a later statement (neither is modified).

    The result shares nested values with `old` and `new` instead of copying them (every changed level is a
    new dict or list): treat all three as read-only. A batch merges about one definition per statement, and
    deep copies of the growing definition were most of the merge's time.
    """
    merged = dict(old)
    for key, value in new.items():
        before = merged.get(key)
        if key in (*_LANGUAGE_MAPS, "extensions") and isinstance(before, dict) and isinstance(value, dict):
            merged[key] = {**before, **value}
        elif key in _COMPONENT_LISTS and isinstance(before, list) and isinstance(value, list):
            merged[key] = _components_merge(before, value)
        else:
            merged[key] = value
    return merged


def activity_definitions_merge(*, rows: Sequence[StoredStatement]) -> None:
    """Fold the activity definitions of newly stored statements into ActivityDefinition.

    One read and at most one upsert per batch. Runs inside statements_store's transaction, which holds the
    statement counter lock, so two batches never merge the same row at once. Every activity seen gets a row
    (an empty definition when none was sent): /activities then knows it.
    """
    seen: dict[str, list[dict[str, Any]]] = {}
    updated: dict[str, dt.datetime] = {}
    for row in sorted(rows, key=lambda r: r.seq):
        for activity in _statement_activities(row.exact):
            if len(activity["id"].encode()) > MAX_ACTIVITY_ID_BYTES:
                continue  # cannot be indexed (PostgreSQL B-tree entries hold ~2.7 kB); never truncated
            definition = activity.get("definition")
            entries = seen.setdefault(activity["id"], [])
            new = definition if isinstance(definition, dict) else {}
            # Merging the definition just merged again changes nothing: most batches repeat one per activity.
            if not entries or entries[-1] != new:
                entries.append(new)
            updated[activity["id"]] = max(row.stored, updated.get(activity["id"], row.stored))
    if not seen:
        return
    existing = dict(
        ActivityDefinition.objects.filter(activity_id__in_array=list(seen)).values_list(
            "activity_id", "definition"
        )
    )
    changed: list[tuple[str, str, dt.datetime, str]] = []
    for activity_id, entries in seen.items():
        current = existing.get(activity_id)
        definition = current if isinstance(current, dict) else {}  # the merge copies what it changes
        for new in entries:
            definition = activity_definition_merge(old=definition, new=new)
        if current is None or definition != current:
            changed.append((activity_id, json.dumps(definition), updated[activity_id], ""))
    if changed:
        # New and changed rows at once; catalog_item_key is kept for rows that exist.
        bulk_upsert_rows(
            model=ActivityDefinition,
            fields=("activity_id", "definition", "updated", "catalog_item_key"),
            rows=changed,
            unique_fields=("activity_id",),
            update_fields=("definition", "updated"),
            prepared=("definition",),
        )
