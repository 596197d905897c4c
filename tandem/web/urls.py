"""Every page. Each area's views module owns its own url patterns."""

from django.urls import include, path

urlpatterns = [
    path("", include("tandem.web.views.auth")),
    path("", include("tandem.web.views.home")),
    path("", include("tandem.web.views.system")),
    path("people/", include("tandem.web.views.people")),
    path("org/", include("tandem.web.views.org")),
    path("initiatives/", include("tandem.web.views.initiatives")),
    path("metrics/", include("tandem.web.views.metrics")),
    # Reports (exports, case studies: programs/<code>/...; business cases: reports/...) come before the
    # programs area so its <code>/ pattern does not swallow their paths.
    path("", include("tandem.web.views.reports")),
    path("programs/", include("tandem.web.views.programs")),
    path("surveys/", include("tandem.web.views.surveys")),
    path("s/", include("tandem.web.views.survey_public")),
    path("learning/clients/", include("tandem.web.views.lrs_clients")),
    path("learning/", include("tandem.web.views.lrs")),
    path("imports/", include("tandem.web.views.imports")),
    path("audit/", include("tandem.web.views.audit")),
    path("users/", include("tandem.web.views.users")),
]
