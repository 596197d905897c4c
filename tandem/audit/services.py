"""Writing the audit log. Every service that changes data calls one of these inside its transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model

from tandem.audit.models import AuditEvent
from tandem.core.bulk import bulk_insert


@dataclass(frozen=True)
class AuditEntry:
    action: str
    entity_type: str
    entity_id: str
    entity_label: str = ""
    changes: dict[str, Any] | None = None
    summary: str = ""


def _actor_label(actor_id: int | None) -> str:
    if actor_id is None:
        return "system"
    user = get_user_model().objects.filter(pk=actor_id).only("email").first()
    return user.email if user else f"user {actor_id}"


def audit_record(
    *,
    actor_id: int | None,
    action: str,
    entity_type: str,
    entity_id: object,
    entity_label: str = "",
    changes: dict[str, Any] | None = None,
    summary: str = "",
    actor_label: str | None = None,
) -> AuditEvent:
    """One row of the audit log. actor_label overrides the actor's email (e.g. "anonymous")."""
    return AuditEvent.objects.create(
        actor_id=actor_id,
        actor_label=(actor_label or _actor_label(actor_id))[:200],
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        entity_label=entity_label[:200],
        changes=changes or {},
        summary=summary[:300],
    )


def audit_record_many(*, actor_id: int | None, entries: Iterable[AuditEntry]) -> int:
    """Bulk variant for imports and generators: one INSERT per batch, not per row."""
    label = _actor_label(actor_id)
    rows = [
        AuditEvent(
            actor_id=actor_id,
            actor_label=label,
            action=entry.action,
            entity_type=entry.entity_type,
            entity_id=entry.entity_id,
            entity_label=entry.entity_label[:200],
            changes=entry.changes or {},
            summary=entry.summary[:300],
        )
        for entry in entries
    ]
    bulk_insert(objs=rows)
    return len(rows)


def diff_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Field-level diff {field: [old, new]} of two flat dicts (only fields that changed)."""
    return {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}
