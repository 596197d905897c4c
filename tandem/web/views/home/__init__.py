"""One home page per primary role, next actions first: what this person has to do or read today.

Each role's page is built in its own module from selectors (no estimate is computed here: program figures
come from the program pages and their headline fragments). Every page also says what the viewer's roles
let them see, composed from the capability table (tandem.accounts.permissions).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from tandem.accounts.models import Role
from tandem.accounts.permissions import role_can_see
from tandem.accounts.selectors import Viewer
from tandem.accounts.services import learning_share_set
from tandem.core.dates import today
from tandem.core.scope import DomainError
from tandem.web.viewer import viewer_of
from tandem.web.views.home.ld import ld_context
from tandem.web.views.home.learner import learner_context
from tandem.web.views.home.manager import manager_context
from tandem.web.views.home.stakeholder import stakeholder_context

TEMPLATES: dict[str, tuple[str, Callable[..., dict[str, Any]]]] = {
    Role.LD_ADMIN: ("web/home/ld.html", ld_context),
    Role.LD_TEAM: ("web/home/ld.html", ld_context),
    Role.STAKEHOLDER: ("web/home/stakeholder.html", stakeholder_context),
    Role.MANAGER: ("web/home/manager.html", manager_context),
    Role.LEARNER: ("web/home/learner.html", learner_context),
}


def _can_see(viewer: Viewer) -> dict[str, list[str]]:
    things, scopes = role_can_see(roles=viewer.roles)
    return {"things": things, "scopes": scopes}


def home(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    role = viewer.primary_role
    context: dict[str, Any] = {"can_see": _can_see(viewer)}
    if role == Role.IT_REVIEWER:
        return render(request, "web/home/it_reviewer.html", context | {"role": role})
    if role is None or role not in TEMPLATES:
        return render(request, "web/home/no_role.html", context | {"role": "none"})
    template, build = TEMPLATES[Role(role)]
    on = today()
    context |= build(viewer=viewer, on=on)
    context |= {"role": role, "today": on}
    return render(request, template, context)


@require_POST
def learning_share(request: HttpRequest) -> HttpResponse:
    """The signed-in person gives or withdraws consent that their managers see their learning records."""
    viewer = viewer_of(request)
    shared = request.POST.get("shared") == "1"
    if viewer.user_id is None or viewer.person_id is None:
        messages.error(request, "Your account is not linked to your HR record, so there is nothing to share.")
        return HttpResponseRedirect(reverse("home"))
    try:
        learning_share_set(user_id=viewer.user_id, shared=shared)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            "Your managers can now see your learning records."
            if shared
            else "Your learning records are no longer shared with your managers.",
        )
    return HttpResponseRedirect(reverse("home"))


urlpatterns = [
    path("", home, name="home"),
    path("me/learning-sharing/", learning_share, name="home_learning_share"),
]
