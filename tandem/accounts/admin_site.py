"""The Django admin is for L&D admins only (reference data), whatever is_staff or Django permissions say."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import access_refusal, user_is_ld_admin, user_roles


def _is_ld_admin(request: HttpRequest) -> bool:
    return user_is_ld_admin(user=request.user)


def _login_for(site: AdminSite) -> Any:
    @never_cache
    @login_not_required
    def login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """One login form for the whole app (the rate-limited one); signed-in non-admins get a 403."""
        next_url = request.GET.get("next") or reverse("admin:index", current_app=site.name)
        if not request.user.is_authenticated:
            return redirect_to_login(next_url, settings.LOGIN_URL)
        if site.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=site.name))
        refusal = access_refusal(roles=user_roles(user=request.user), capability=Capability.ADMIN_SITE)
        return render(request, "web/403.html", {"reason": refusal.reason, "ask": refusal.ask}, status=403)

    return login


def _password_change(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    # One password-change page (validated and written to the audit log), not the admin's own copy.
    return HttpResponseRedirect(reverse("password_change"))


def restrict_admin_to_ld_admins(site: AdminSite) -> None:
    """Only active L&D admins (the role, or a superuser) may use the admin; is_staff alone gives nothing."""
    site.has_permission = _is_ld_admin  # type: ignore[method-assign]
    site.login = _login_for(site)  # type: ignore[method-assign]
    site.password_change = _password_change  # type: ignore[method-assign,assignment]
    site.site_header = "Tandem reference data"
    site.site_title = "Tandem admin"
    site.index_title = "Reference data"
    site.site_url = "/"
