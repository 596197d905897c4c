"""The viewer of a request, typed: every page reads who is asking through `viewer_of`, not `request.viewer`."""

from __future__ import annotations

from django.http import HttpRequest

from tandem.accounts.selectors import Viewer, viewer_for

_ATTRIBUTE = "_tandem_viewer"


def viewer_of(request: HttpRequest) -> Viewer:
    """Who is asking: computed once per request (roles, capabilities, scope), then kept on the request."""
    viewer = getattr(request, _ATTRIBUTE, None)
    if viewer is None:
        viewer = viewer_for(user=request.user)
        setattr(request, _ATTRIBUTE, viewer)
    return viewer
