from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from tandem.accounts.permissions import Capability

# (label, url name, capability needed). One list drives the menu on laptop and phone.
# Entries from "Imports" on are the management pages; on a laptop they fold into one "Manage" menu
# when a person has more than one of them, so the header stays on one line.
NAVIGATION: list[tuple[str, str, Capability | None]] = [
    ("Home", "home", None),
    ("People", "people", Capability.VIEW_PEOPLE),
    ("Organisation", "org_tree", Capability.VIEW_ORG),
    ("Initiatives", "initiatives", Capability.VIEW_INITIATIVES),
    ("Metrics", "metrics", Capability.VIEW_METRICS),
    ("Programs", "programs", Capability.VIEW_PROGRAMS),
    ("Learning data", "learning", Capability.VIEW_LEARNING_DATA),
    ("Imports", "imports", Capability.RUN_IMPORTS),
    ("Audit log", "audit", Capability.VIEW_AUDIT),
    ("Users & roles", "users", Capability.MANAGE_USERS),
    ("System", "system", Capability.VIEW_SYSTEM),
    ("Admin", "admin:index", Capability.ADMIN_SITE),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    viewer = getattr(request, "viewer", None)
    if viewer is None or not request.user.is_authenticated:
        return {"nav_items": []}
    items = []
    for label, name, capability in NAVIGATION:
        if capability is None or viewer.can(capability):
            url = reverse(name)
            active = request.path == url if name == "home" else request.path.startswith(url)
            items.append({"label": label, "url": url, "active": active})
    manage_from = next(i for i, entry in enumerate(NAVIGATION) if entry[1] == "imports")
    manage_labels = {label for label, _name, _capability in NAVIGATION[manage_from:]}
    manage = [item for item in items if item["label"] in manage_labels]
    folded = len(manage) > 1
    return {
        "nav_items": items,
        "nav_primary": [item for item in items if not folded or item["label"] not in manage_labels],
        "nav_manage": manage if folded else [],
        "nav_manage_active": any(item["active"] for item in manage),
        "viewer": viewer,
    }
