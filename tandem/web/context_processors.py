from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from tandem.accounts.models import Role
from tandem.accounts.permissions import Capability
from tandem.web.viewer import viewer_of

# (label, url name, capability needed). One list drives the menu on laptop and phone.
# Entries from "Business cases" on are L&D's working pages and the management pages; on a laptop they fold
# into one "Manage" menu when a person has more than one of them, so the header stays on one line.
NAVIGATION: list[tuple[str, str, Capability | None]] = [
    ("Home", "home", None),
    ("People", "people", Capability.VIEW_PEOPLE),
    ("Organisation", "org_tree", Capability.VIEW_ORG),
    ("Initiatives", "initiatives", Capability.VIEW_INITIATIVES),
    ("Metrics", "metrics", Capability.VIEW_METRICS),
    ("Programs", "programs", Capability.VIEW_PROGRAMS),
    ("Learning data", "learning", Capability.VIEW_LEARNING_DATA),
    ("My learning", "learning_me", None),
    ("Department learning", "learning_department", None),
    # Business cases are L&D's working papers; the L&D roles are exactly those with learning data.
    ("Business cases", "business_cases", Capability.VIEW_LEARNING_DATA),
    ("Surveys", "surveys", Capability.VIEW_LEARNING_DATA),
    ("Imports", "imports", Capability.RUN_IMPORTS),
    ("Audit log", "audit", Capability.VIEW_AUDIT),
    ("Users & roles", "users", Capability.MANAGE_USERS),
    ("System", "system", Capability.VIEW_SYSTEM),
    ("Admin", "admin:index", Capability.ADMIN_SITE),
]


# Entries that follow who the viewer is rather than a capability: a learner's own records (people linked
# to an HR record who are not L&D, who have the full learning pages), a department head's group figures.
_SHOWN_WHEN: dict[str, Callable[[Any], bool]] = {
    "learning_me": lambda viewer: (
        viewer.person_id is not None and not viewer.can(Capability.VIEW_LEARNING_DATA)
    ),
    "learning_department": lambda viewer: (
        viewer.has_role(Role.STAKEHOLDER) and not viewer.can(Capability.VIEW_LEARNING_DATA)
    ),
}


def navigation(request: HttpRequest) -> dict[str, Any]:
    if not request.user.is_authenticated:
        return {"nav_items": []}
    viewer = viewer_of(request)
    items: list[dict[str, Any]] = []
    for label, name, capability in NAVIGATION:
        if name in _SHOWN_WHEN and not _SHOWN_WHEN[name](viewer):
            continue
        if capability is None or viewer.can(capability):
            url = reverse(name)
            active = request.path == url if name == "home" else request.path.startswith(url)
            items.append({"label": label, "url": url, "active": active})
    # /learning/me/ starts with /learning/ too: only the longest matching entry is the active one.
    lit = [item["url"] for item in items if item["active"]]
    for item in items:
        item["active"] = item["active"] and not any(len(url) > len(item["url"]) for url in lit)
    manage_from = next(i for i, entry in enumerate(NAVIGATION) if entry[1] == "business_cases")
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
