"""The JSON API (OpenAPI 3 at /api/docs, the document at /api/openapi.json). Session-authenticated; the same
selectors as the pages.

TandemAPI applies the conventions of tandem/api/common.py to every router added here (read its docstring before
adding an endpoint module): the standard error answers, documented on every operation, in one JSON shape
(ErrorOut); bounded inputs, checked when the URLs are built so that a forgotten bound stops the app at start-up;
strict JSON bodies; unique schema names.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ConfigError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.security import django_auth

from tandem.api.common import BodyRefused, StrictJsonParser, TandemOpenAPISchema, operation_input_problems
from tandem.api.initiatives import router as initiatives_router
from tandem.api.metrics import router as metrics_router
from tandem.api.org import router as org_router
from tandem.api.people import router as people_router
from tandem.api.program_evaluation import groups_router as comparison_groups_router
from tandem.api.program_evaluation import plans_router as pilot_plans_router
from tandem.api.programs import router as programs_router
from tandem.core.scope import AccessDenied, DomainError


class TandemAPI(NinjaAPI):
    def _get_urls(self) -> list[URLPattern | URLResolver]:
        self.check_conventions()
        urls = super()._get_urls()
        for pattern in urls:
            callback = getattr(pattern, "callback", None)
            # Endpoints answer 401 JSON themselves (django_auth); the site-wide login redirect would
            # turn that into an HTML page. The docs pages keep the redirect.
            name = getattr(pattern, "name", "") or ""
            if callback is not None and name not in {"openapi-json", "openapi-view", "api-root"}:
                callback.login_required = False
        return urls

    def check_conventions(self) -> None:
        """ConfigError listing every input that breaks tandem/api/common.py's rules, and any schema-name clash."""
        problems = [
            problem
            for router in self._get_bound_routers()
            for path_view in router.path_operations.values()
            for operation in path_view.operations
            for problem in operation_input_problems(operation)
        ]
        if problems:
            raise ConfigError("API inputs must be bounded (tandem/api/common.py):\n" + "\n".join(problems))
        TandemOpenAPISchema(self, "")  # raises on two schemas with one name

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return TandemOpenAPISchema(self, path_prefix)


api = TandemAPI(
    title="Tandem API", version="1", urls_namespace="api", auth=django_auth, parser=StrictJsonParser()
)
api.add_router("/people", people_router, tags=["people"])
api.add_router("/org-units", org_router, tags=["organisation"])
api.add_router("/metrics", metrics_router, tags=["metrics"])
api.add_router("/initiatives", initiatives_router, tags=["initiatives"])
api.add_router("/programs", programs_router, tags=["programs"])
api.add_router("/comparison-groups", comparison_groups_router, tags=["programs"])
api.add_router("/pilot-plans", pilot_plans_router, tags=["programs"])


def _error(
    *, request: HttpRequest, status: int, reason: str, errors: list[str] | None = None
) -> HttpResponse:
    return api.create_response(request, {"detail": reason, "errors": errors or []}, status=status)


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


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Ninja wraps a body the parser refused in "Cannot parse request body"; say what was wrong with it.
    if isinstance(exc.__cause__, BodyRefused):
        return _error(request=request, status=400, reason=str(exc.__cause__), errors=[str(exc.__cause__)])
    return _error(request=request, status=exc.status_code, reason=str(exc))


@api.exception_handler(ValidationError)
def bad_parameters(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = []
    for error in exc.errors:
        location = ".".join(str(part) for part in error.get("loc", ())[1:]) or "request"
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        problems.append(f"{location}: {message}")
    return _error(
        request=request, status=400, reason="; ".join(problems) or "Invalid request", errors=problems
    )
