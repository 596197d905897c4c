from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tandem.core.scope import AccessDenied


class ViewerMiddleware:
    """Turns AccessDenied into a 403 page (who is asking is read with tandem.web.viewer.viewer_of)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, AccessDenied):
            context = {"reason": exception.reason, "ask": exception.ask}
            return render(request, "web/403.html", context, status=403)
        return None
