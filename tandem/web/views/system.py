from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.http import require_GET


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


def system(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


urlpatterns = [path("health/", health, name="health"), path("system/", system, name="system")]
