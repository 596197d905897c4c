from django.contrib import admin
from django.urls import include, path

from tandem.accounts.admin_site import restrict_admin_to_ld_admins
from tandem.api.api import api

restrict_admin_to_ld_admins(admin.site)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("tandem.web.urls")),
]
