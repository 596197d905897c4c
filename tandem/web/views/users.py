"""Users & roles: L&D admins create accounts, grant and revoke roles, link HR records, deactivate."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from tandem.accounts.models import Role
from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import user_get, user_page, viewer_require
from tandem.accounts.services import role_grant, role_revoke, user_active_set, user_create, user_person_link
from tandem.core.dates import today
from tandem.core.scope import DomainError, PersonScope
from tandem.org.selectors import org_unit_tree
from tandem.web.viewer import viewer_of

ROLE_CHOICES = [("", "—"), *Role.choices]


def _org_unit_choices() -> list[tuple[str, str]]:
    nodes = org_unit_tree(scope=PersonScope.all(), on=today())
    top = min((node.depth for node in nodes), default=0)
    return [(node.code, f"{'· ' * (node.depth - top)}{node.name} ({node.code})") for node in nodes]


class RoleForm(forms.Form):
    # No role is preselected: granting one is a choice (a preselected first role was granted by accident).
    role = forms.ChoiceField(choices=[("", "Choose a role…"), *Role.choices])
    org_units = forms.MultipleChoiceField(
        required=False, help_text="Stakeholders only: they see these units and everything below them."
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["org_units"].choices = _org_unit_choices()  # type: ignore[attr-defined]


class CreateUserForm(RoleForm):
    email = forms.EmailField()
    employee_id = forms.CharField(required=False, max_length=40, label="Employee id (optional)")
    role = forms.ChoiceField(choices=ROLE_CHOICES, required=False)
    field_order = ["email", "employee_id", "role", "org_units"]


class LinkForm(forms.Form):
    employee_id = forms.CharField(required=False, max_length=40, help_text="Leave empty to unlink.")


def _require(request: HttpRequest) -> int:
    viewer = viewer_of(request)
    viewer_require(viewer=viewer, capability=Capability.MANAGE_USERS)
    assert viewer.user_id is not None  # MANAGE_USERS is only granted to signed-in users
    return viewer.user_id


def users(request: HttpRequest) -> HttpResponse:
    actor_id = _require(request)
    form = CreateUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = user_create(
                actor_id=actor_id,
                email=data["email"],
                password=None,
                person_employee_id=data["employee_id"] or None,
                roles=[data["role"]] if data["role"] else [],
                stakeholder_org_unit_codes=data["org_units"],
            )
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, f"Account {user.email} created. They set a password with “Forgot your password?”."
            )
            return HttpResponseRedirect(reverse("user_detail", args=[user.pk]))
    search = request.GET.get("q", "").strip()[:200]
    role = request.GET.get("role", "")
    role = role if role in Role.values else ""
    page = user_page(search=search, role=role, page=request.GET.get("page"))
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(
        request,
        "web/users/list.html",
        {
            "page": page,
            "form": form,
            "roles": Role.choices,
            "selected": {"q": search, "role": role},
            "filter_query": filters.urlencode(),
        },
    )


def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    _require(request)
    account = user_get(user_id=user_id)
    return render(
        request,
        "web/users/detail.html",
        {
            "account": account,
            "role_form": RoleForm(),
            "link_form": LinkForm(initial={"employee_id": account.person_employee_id or ""}),
        },
    )


def _done(request: HttpRequest, user_id: int, message: str) -> HttpResponse:
    messages.success(request, message)
    return HttpResponseRedirect(reverse("user_detail", args=[user_id]))


def _failed(request: HttpRequest, user_id: int, message: str) -> HttpResponse:
    messages.error(request, message)
    return HttpResponseRedirect(reverse("user_detail", args=[user_id]))


@require_POST
def user_role_grant(request: HttpRequest, user_id: int) -> HttpResponse:
    actor_id = _require(request)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _failed(request, user_id, "Choose a role (and org units for a stakeholder).")
    try:
        role_grant(
            actor_id=actor_id,
            user_id=user_get(user_id=user_id).id,
            role=form.cleaned_data["role"],
            org_unit_codes=form.cleaned_data["org_units"],
        )
    except DomainError as error:
        return _failed(request, user_id, str(error))
    return _done(request, user_id, f"Role {Role(form.cleaned_data['role']).label} granted.")


@require_POST
def user_role_revoke(request: HttpRequest, user_id: int) -> HttpResponse:
    actor_id = _require(request)
    role = request.POST.get("role", "")
    if role not in Role.values:
        return _failed(request, user_id, "Unknown role.")
    try:
        revoked = role_revoke(actor_id=actor_id, user_id=user_get(user_id=user_id).id, role=role)
    except DomainError as error:
        return _failed(request, user_id, str(error))
    return _done(
        request,
        user_id,
        f"Role {Role(role).label} revoked." if revoked else "The user did not hold that role.",
    )


@require_POST
def user_link(request: HttpRequest, user_id: int) -> HttpResponse:
    actor_id = _require(request)
    form = LinkForm(request.POST)
    if not form.is_valid():
        return _failed(request, user_id, "Enter an employee id.")
    employee_id = form.cleaned_data["employee_id"].strip() or None
    try:
        user_person_link(actor_id=actor_id, user_id=user_get(user_id=user_id).id, employee_id=employee_id)
    except DomainError as error:
        return _failed(request, user_id, str(error))
    return _done(request, user_id, f"Linked to employee {employee_id}." if employee_id else "Unlinked.")


@require_POST
def user_active(request: HttpRequest, user_id: int) -> HttpResponse:
    actor_id = _require(request)
    active = request.POST.get("active") == "1"
    try:
        user_active_set(actor_id=actor_id, user_id=user_get(user_id=user_id).id, active=active)
    except DomainError as error:
        return _failed(request, user_id, str(error))
    return _done(request, user_id, "Account reactivated." if active else "Account deactivated.")


urlpatterns = [
    path("", users, name="users"),
    path("<int:user_id>/", user_detail, name="user_detail"),
    path("<int:user_id>/roles/grant/", user_role_grant, name="user_role_grant"),
    path("<int:user_id>/roles/revoke/", user_role_revoke, name="user_role_revoke"),
    path("<int:user_id>/person/", user_link, name="user_link"),
    path("<int:user_id>/active/", user_active, name="user_active"),
]
