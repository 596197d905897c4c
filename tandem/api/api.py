"""The JSON API (OpenAPI 3 at /api/docs). Session-authenticated; same selectors as the pages.

Errors are JSON with a reason: 401 not signed in, 403 role lacks the capability, 404 unknown or outside
the viewer's scope, 400 bad query parameters.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import django_auth

from tandem.api.initiatives import router as initiatives_router
from tandem.api.metrics import router as metrics_router
from tandem.api.org import router as org_router
from tandem.api.people import router as people_router
from tandem.core.scope import AccessDenied, DomainError


class TandemAPI(NinjaAPI):
    def _get_urls(self) -> list[URLPattern | URLResolver]:
        urls = super()._get_urls()
        for pattern in urls:
            callback = getattr(pattern, "callback", None)
            # Endpoints answer 401 JSON themselves (django_auth); the site-wide login redirect would
            # turn that into an HTML page. The docs pages keep the redirect.
            name = getattr(pattern, "name", "") or ""
            if callback is not None and name not in {"openapi-json", "openapi-view", "api-root"}:
                callback.login_required = False
        return urls


api = TandemAPI(title="Tandem API", version="1", urls_namespace="api", auth=django_auth)
api.add_router("/people", people_router, tags=["people"])
api.add_router("/org-units", org_router, tags=["organisation"])
api.add_router("/metrics", metrics_router, tags=["metrics"])
api.add_router("/initiatives", initiatives_router, tags=["initiatives"])


def _error(*, request: HttpRequest, status: int, reason: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"detail": reason, **extra}, status=status)


@api.exception_handler(AccessDenied)
def access_denied(request: HttpRequest, exc: AccessDenied) -> HttpResponse:
    # Outside the scope looks the same as not existing: the API does not confirm what it hides.
    return _error(request=request, status=404, reason=str(exc) or "Not found")


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _error(request=request, status=400, reason=str(exc))


@api.exception_handler(AuthenticationError)
def not_signed_in(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request=request, status=401, reason="Sign in first: the API uses your Tandem session")


@api.exception_handler(ValidationError)
def bad_parameters(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = []
    for error in exc.errors:
        location = ".".join(str(part) for part in error.get("loc", ())[1:]) or "request"
        problems.append(f"{location}: {error.get('msg', 'invalid value')}")
    return _error(
        request=request, status=400, reason="; ".join(problems) or "Invalid request", errors=problems
    )
