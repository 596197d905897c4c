"""Reading the audit log: filtered lists for the audit page and the recent security events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from tandem.audit.models import AuditEvent


def audit_event_list(
    *, entity_type: str | None = None, action: str | None = None, query: str | None = None
) -> QuerySet[AuditEvent]:
    """Newest first. `query` matches the entity, the actor, the summary or the entity id."""
    events = AuditEvent.objects.all()
    if entity_type:
        events = events.filter(entity_type=entity_type)
    if action:
        events = events.filter(action=action)
    for word in (query or "").split():
        events = events.filter(
            Q(entity_label__icontains=word)
            | Q(actor_label__icontains=word)
            | Q(summary__icontains=word)
            | Q(entity_id=word)
        )
    return events.order_by("-at", "-id")


def audit_entity_types() -> list[str]:
    return sorted(AuditEvent.objects.order_by().values_list("entity_type", flat=True).distinct())


def audit_security_events(*, limit: int = 20) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditEvent.Action.SECURITY).order_by("-at", "-id")[:limit])


@dataclass(frozen=True)
class ChangeLine:
    """One field of an event's `changes`, ready to show: "field: old → new" or "field: value"."""

    field: str
    old: str
    new: str
    is_diff: bool


def _display(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(_display(item) for item in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_display(item)}" for key, item in value.items()) or "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def audit_change_lines(*, event: AuditEvent) -> list[ChangeLine]:
    """Updates store {field: [old, new]}; creates, deletes, imports and security events store values."""
    changes = event.changes if isinstance(event.changes, dict) else {"value": event.changes}
    lines: list[ChangeLine] = []
    for field, value in changes.items():
        label = str(field).replace("_", " ")
        if event.action == AuditEvent.Action.UPDATE and isinstance(value, list) and len(value) == 2:
            lines.append(
                ChangeLine(field=label, old=_display(value[0]), new=_display(value[1]), is_diff=True)
            )
        else:
            lines.append(ChangeLine(field=label, old="", new=_display(value), is_diff=False))
    return lines
