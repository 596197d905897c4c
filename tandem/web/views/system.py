"""Health check (unauthenticated) and the system page: what an IT security reviewer checks first."""

from __future__ import annotations

import importlib.metadata
import platform
from collections.abc import Sequence
from typing import Any

import django
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.hashers import get_hasher
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from tandem.accounts.models import Role
from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import user_counts, user_role_counts, viewer_require
from tandem.audit.selectors import audit_security_events
from tandem.web.viewer import viewer_of


@login_not_required
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """Unauthenticated liveness/readiness check: the app answers and the database does too."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok", "database": connection.vendor})
    except Exception:  # the point of a health check is to report, not to crash
        return JsonResponse({"status": "error", "database": connection.vendor}, status=503)


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _yes(value: object) -> str:
    return "yes" if value else "no"


def _sections() -> list[tuple[str, list[tuple[str, str, bool | None]]]]:
    """(section, [(label, value, ok)]) where ok flags a setting a reviewer would question (None: neutral).

    Values are settings and versions only: no keys, passwords, hosts' credentials or connection strings.
    """
    db = settings.DATABASES["default"]
    hasher = get_hasher("default")
    cool_off = settings.AXES_COOLOFF_TIME
    email_backend = settings.EMAIL_BACKEND.rsplit(".", 2)[-2]
    if email_backend == "smtp":
        security = (
            "implicit TLS" if settings.EMAIL_USE_SSL else "STARTTLS" if settings.EMAIL_USE_TLS else "none"
        )
        email = f"SMTP {settings.EMAIL_HOST}:{settings.EMAIL_PORT} (encryption: {security})"
    elif email_backend == "filebased":
        email = f"file outbox ({getattr(settings, 'EMAIL_FILE_PATH', '')}) — no mail leaves the server"
    else:
        email = email_backend
    validators: list[dict[str, Any]] = list(settings.AUTH_PASSWORD_VALIDATORS)  # type: ignore[arg-type]
    tasks = settings.TASKS.get("default", {}).get("BACKEND", "")
    return [
        (
            "Platform",
            [
                ("Tandem version", _version("tandem"), None),
                ("Django version", django.get_version(), None),
                ("Python version", platform.python_version(), None),
                ("Database engine", f"{connection.vendor} ({db['ENGINE'].rsplit('.', 1)[-1]})", None),
                ("Database server version", _database_version(), None),
                ("DEBUG", _yes(settings.DEBUG), not settings.DEBUG),
                ("Allowed hosts", ", ".join(settings.ALLOWED_HOSTS) or "—", bool(settings.ALLOWED_HOSTS)),
                ("Background worker", tasks.rsplit(".", 1)[-1] + f" ({tasks.split('.', 1)[0]})", None),
                ("Email transport", email, None),
            ],
        ),
        (
            "Passwords and login",
            [
                (
                    "Password hasher",
                    str(hasher.algorithm),
                    hasher.algorithm in {"argon2", "pbkdf2_sha256", "scrypt"},
                ),
                (
                    "Password validators",
                    ", ".join(str(v["NAME"]).rsplit(".", 1)[-1] for v in validators) or "none",
                    bool(validators),
                ),
                (
                    "Login lockout",
                    _yes(getattr(settings, "AXES_ENABLED", True)),
                    getattr(settings, "AXES_ENABLED", True),
                ),
                (
                    "Failed attempts before lockout",
                    str(settings.AXES_FAILURE_LIMIT),
                    settings.AXES_FAILURE_LIMIT <= 10,
                ),
                (
                    "Lockout duration",
                    f"{round(float(cool_off) * 60)} minutes" if cool_off else "until unlocked",
                    None,
                ),
                ("Locked by", _lockout_parameters(settings.AXES_LOCKOUT_PARAMETERS), None),
                ("Password reset link lifetime", _duration(settings.PASSWORD_RESET_TIMEOUT), None),
            ],
        ),
        (
            "Sessions, cookies and CSRF",
            [
                (
                    "Session lifetime",
                    _duration(settings.SESSION_COOKIE_AGE),
                    settings.SESSION_COOKIE_AGE <= 12 * 3600,
                ),
                (
                    "Session ends when the browser closes",
                    _yes(settings.SESSION_EXPIRE_AT_BROWSER_CLOSE),
                    None,
                ),
                (
                    "Session cookie HttpOnly",
                    _yes(settings.SESSION_COOKIE_HTTPONLY),
                    settings.SESSION_COOKIE_HTTPONLY,
                ),
                (
                    "Session cookie SameSite",
                    str(settings.SESSION_COOKIE_SAMESITE),
                    bool(settings.SESSION_COOKIE_SAMESITE),
                ),
                ("Session cookie Secure (HTTPS only)", _yes(settings.SESSION_COOKIE_SECURE), None),
                (
                    "CSRF protection",
                    _yes("django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE),
                    "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE,
                ),
                ("CSRF cookie Secure", _yes(settings.CSRF_COOKIE_SECURE), None),
                ("CSRF trusted origins", ", ".join(settings.CSRF_TRUSTED_ORIGINS) or "—", None),
                (
                    "Login required by default",
                    _yes("django.contrib.auth.middleware.LoginRequiredMiddleware" in settings.MIDDLEWARE),
                    None,
                ),
            ],
        ),
        (
            "HTTPS and headers",
            [
                ("Redirect HTTP to HTTPS", _yes(getattr(settings, "SECURE_SSL_REDIRECT", False)), None),
                ("HSTS", f"{getattr(settings, 'SECURE_HSTS_SECONDS', 0)} seconds", None),
                (
                    "Behind a TLS proxy (X-Forwarded-Proto)",
                    _yes(getattr(settings, "SECURE_PROXY_SSL_HEADER", None)),
                    None,
                ),
                ("X-Frame-Options", settings.X_FRAME_OPTIONS, None),
                (
                    "X-Content-Type-Options nosniff",
                    _yes(settings.SECURE_CONTENT_TYPE_NOSNIFF),
                    settings.SECURE_CONTENT_TYPE_NOSNIFF,
                ),
                ("Referrer-Policy", str(settings.SECURE_REFERRER_POLICY), None),
            ],
        ),
    ]


def _lockout_parameters(parameters: Sequence[str | Sequence[str]]) -> str:
    """[["username", "ip_address"]] -> "username + ip_address" (inner lists combine; outer ones are alternatives)."""
    return " or ".join(p if isinstance(p, str) else " + ".join(p) for p in parameters)


def _duration(seconds: int) -> str:
    return f"{seconds // 3600} hours" if seconds % 3600 == 0 else f"{seconds // 60} minutes"


def _database_version() -> str:
    try:
        return ".".join(str(part) for part in connection.get_database_version())
    except Exception:  # shown for information only; a failing probe must not break the page
        return "unknown"


def system(request: HttpRequest) -> HttpResponse:
    viewer_require(viewer=viewer_of(request), capability=Capability.VIEW_SYSTEM)
    labels = dict(Role.choices)
    context: dict[str, Any] = {
        "sections": _sections(),
        "role_counts": [(labels[role], count) for role, count in user_role_counts().items()],
        "user_counts": user_counts(),
        "security_events": audit_security_events(limit=20),
    }
    return render(request, "web/system/system.html", context)


urlpatterns = [path("health/", health, name="health"), path("system/", system, name="system")]
