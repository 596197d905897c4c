from __future__ import annotations

from django.contrib.admin import AdminSite
from django.http import HttpRequest

from tandem.accounts.models import Role


def _is_ld_admin(request: HttpRequest) -> bool:
    user = request.user
    if not (user.is_active and user.is_authenticated):
        return False
    return bool(user.is_superuser or user.role_grants.filter(role=Role.LD_ADMIN).exists())


def restrict_admin_to_ld_admins(site: AdminSite) -> None:
    """The Django admin is for L&D admins only (reference data), whatever is_staff says."""
    site.has_permission = _is_ld_admin  # type: ignore[method-assign]
    site.site_header = "Tandem reference data"
    site.site_title = "Tandem admin"
