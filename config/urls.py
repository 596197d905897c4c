from django.contrib import admin
from django.urls import include, path

from tandem.accounts.admin_site import restrict_admin_to_ld_admins
from tandem.api.api import api

restrict_admin_to_ld_admins(admin.site)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("xapi/", include("tandem.xapi.urls")),
    path("", include("tandem.web.urls")),
]

handler403 = "tandem.web.views.errors.permission_denied"
handler404 = "tandem.web.views.errors.page_not_found"
handler500 = "tandem.web.views.errors.server_error"
