"""LRS credentials for L&D admins: create (the secret is shown once), rotate, revoke."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import Viewer, viewer_require
from tandem.lrs.models import LrsScope
from tandem.lrs.records import ClientCredentials, LrsBadRequest
from tandem.lrs.selectors import lrs_client_list
from tandem.lrs.services import lrs_client_create, lrs_client_revoke, lrs_client_rotate
from tandem.web.viewer import viewer_of


class ClientForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="Which system uses it, e.g. 'Moodle production'")
    scopes = forms.MultipleChoiceField(
        choices=LrsScope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[LrsScope.STATEMENTS_WRITE],
        help_text="An LMS or content package usually needs statements/write and state.",
    )


def _viewer(request: HttpRequest) -> Viewer:
    viewer = viewer_of(request)
    viewer_require(viewer=viewer, capability=Capability.MANAGE_LRS_CLIENTS)
    return viewer


def _page(
    request: HttpRequest, *, form: ClientForm, shown: ClientCredentials | None = None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "web/lrs/clients.html",
        {
            "clients": lrs_client_list(),
            "form": form,
            "shown": shown,
            "xapi_url": request.build_absolute_uri("/xapi/"),
        },
        status=status,
    )


@never_cache  # the page that shows a secret must not be kept by a browser or proxy
def clients(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if request.method != "POST":
        return _page(request, form=ClientForm())
    form = ClientForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    try:
        _client, credentials = lrs_client_create(
            name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"], actor_id=viewer.user_id
        )
    except LrsBadRequest as error:
        form.add_error(None, str(error))
        return _page(request, form=form, status=400)
    return _page(request, form=ClientForm(), shown=credentials)


@never_cache
@require_POST
def rotate(request: HttpRequest, key: str) -> HttpResponse:
    viewer = _viewer(request)
    try:
        credentials = lrs_client_rotate(key=key, actor_id=viewer.user_id)
    except LrsBadRequest as error:
        messages.error(request, str(error))
        return redirect("lrs_clients")
    return _page(request, form=ClientForm(), shown=credentials)


@require_POST
def revoke(request: HttpRequest, key: str) -> HttpResponse:
    viewer = _viewer(request)
    try:
        client = lrs_client_revoke(key=key, actor_id=viewer.user_id)
        messages.success(request, f"“{client.name}” can no longer send or read statements.")
    except LrsBadRequest as error:
        messages.error(request, str(error))
    return redirect("lrs_clients")


urlpatterns = [
    path("", clients, name="lrs_clients"),
    path("<str:key>/rotate/", rotate, name="lrs_client_rotate"),
    path("<str:key>/revoke/", revoke, name="lrs_client_revoke"),
]
