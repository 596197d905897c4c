"""Error pages in the site's own layout (Django's plain pages otherwise, e.g. for PermissionDenied in admin)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    reason = str(exception) if exception and str(exception) else "You do not have access to this page."
    return render(request, "web/403.html", {"reason": reason}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/404.html", {}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "web/500.html", {}, status=500)
