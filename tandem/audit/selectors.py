from __future__ import annotations

from django.db.models import QuerySet

from tandem.audit.models import AuditEvent


def audit_event_list(
    *, entity_type: str | None = None, action: str | None = None, query: str | None = None
) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.all()
    if entity_type:
        events = events.filter(entity_type=entity_type)
    if action:
        events = events.filter(action=action)
    if query:
        events = events.filter(entity_label__icontains=query) | events.filter(actor_label__icontains=query)
    return events.order_by("-at", "-id")


def audit_entity_types() -> list[str]:
    return list(AuditEvent.objects.order_by().values_list("entity_type", flat=True).distinct())
