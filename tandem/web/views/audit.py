"""The audit log: who changed what and when (L&D admins only)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import viewer_require
from tandem.audit.models import AuditEvent
from tandem.audit.selectors import audit_change_lines, audit_entity_types, audit_event_list
from tandem.web.viewer import viewer_of

PAGE_SIZE = 50


def audit(request: HttpRequest) -> HttpResponse:
    viewer_require(viewer=viewer_of(request), capability=Capability.VIEW_AUDIT)
    entity_type = request.GET.get("entity_type", "").strip()
    action = request.GET.get("action", "").strip()
    query = request.GET.get("q", "").strip()[:200]
    events = audit_event_list(entity_type=entity_type or None, action=action or None, query=query or None)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"event": event, "changes": audit_change_lines(event=event)} for event in page.object_list]
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(
        request,
        "web/audit/list.html",
        {
            "page": page,
            "rows": rows,
            "entity_types": audit_entity_types(),
            "actions": AuditEvent.Action.choices,
            "selected": {"entity_type": entity_type, "action": action, "q": query},
            "filter_query": filters.urlencode(),
        },
    )


urlpatterns = [path("", audit, name="audit")]
