"""Shared API pieces: who is asking, capability checks, pagination parameters."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Schema
from ninja.errors import HttpError

from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import Viewer, viewer_for, viewer_require
from tandem.core.scope import AccessDenied

MAX_LIMIT = 500


def viewer_with(*, request: HttpRequest, capability: Capability) -> Viewer:
    """The viewer, or 403 when none of their roles allows the capability."""
    viewer: Viewer | None = getattr(request, "viewer", None)
    if viewer is None:
        viewer = viewer_for(user=request.user)
    try:
        viewer_require(viewer=viewer, capability=capability)
    except AccessDenied as exc:
        raise HttpError(403, str(exc)) from exc
    return viewer


class Page(Schema):
    count: int
    limit: int
    offset: int
