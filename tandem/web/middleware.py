from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import SimpleLazyObject

from tandem.accounts.selectors import viewer_for
from tandem.core.scope import AccessDenied


class ViewerMiddleware:
    """Attaches request.viewer (roles, capabilities, scope) and turns AccessDenied into a 403 page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.viewer = SimpleLazyObject(lambda: viewer_for(user=request.user))  # type: ignore[attr-defined]
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, AccessDenied):
            return render(request, "web/403.html", {"reason": str(exception)}, status=403)
        return None
