"""Creating and editing org units, job families and job roles (MANAGE_ORG), through tandem.org.services."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import Viewer, viewer_require
from tandem.core.dates import today
from tandem.core.scope import DomainError, PersonScope
from tandem.org.models import JobFamily, JobRole, OrgUnit
from tandem.org.selectors import (
    job_family_get,
    job_family_list,
    job_role_get,
    job_role_list,
    org_unit_choices,
    org_unit_get,
)
from tandem.org.services import (
    job_family_create,
    job_family_update,
    job_role_create,
    job_role_update,
    org_unit_create,
    org_unit_update,
)
from tandem.web.viewer import viewer_of

DATE = forms.DateInput(attrs={"type": "date"})


class OrgUnitForm(forms.Form):
    code = forms.CharField(
        max_length=40, help_text="As in your HR system, e.g. CS-TIER1. Imports match on it."
    )
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=OrgUnit.Kind.choices)
    parent_code = forms.ChoiceField(label="Parent", required=False)
    cost_centre = forms.CharField(max_length=40, required=False)
    valid_from = forms.DateField(widget=DATE, label="Opened on")
    valid_to = forms.DateField(
        widget=DATE, label="Closed on", required=False, help_text="Leave empty while it exists"
    )
    effective = forms.DateField(
        widget=DATE,
        label="Changes take effect on",
        help_text="A new name, parent or cost centre applies from this day; its history keeps what it was before",
    )

    def __init__(self, *args: Any, unit: OrgUnit | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = org_unit_choices()
        if unit is None:
            del self.fields["effective"]
        else:
            del self.fields["code"]
            # A unit cannot move under itself: its own subtree is not offered.
            below = set(OrgUnit.objects.filter(path__startswith=unit.path).values_list("code", flat=True))
            choices = [choice for choice in choices if choice[0] not in below]
        cast(forms.ChoiceField, self.fields["parent_code"]).choices = [("", "— top level —"), *choices]


class JobFamilyForm(forms.Form):
    code = forms.CharField(max_length=40)
    name = forms.CharField(max_length=200)


class JobRoleForm(forms.Form):
    code = forms.CharField(max_length=40, help_text="As in your HR system; imports match on it")
    name = forms.CharField(max_length=200)
    family_code = forms.ChoiceField(label="Job family")
    level = forms.IntegerField(
        min_value=1, max_value=20, initial=1, help_text="1 = entry level; higher is more senior"
    )
    is_people_manager = forms.BooleanField(required=False, label="Manages people")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["family_code"]).choices = [
            (f.code, f.name) for f in job_family_list()
        ]


def _viewer(request: HttpRequest) -> Viewer:
    viewer = viewer_of(request)
    viewer_require(viewer=viewer, capability=Capability.MANAGE_ORG)
    return viewer


def _render(request: HttpRequest, template: str, status: int = 200, **context: Any) -> HttpResponse:
    return render(request, f"web/org/{template}", context, status=status)


def _refused(form: forms.Form, error: DomainError) -> None:
    form.add_error(None, str(error))


def org_unit_new(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if request.method != "POST":
        form = OrgUnitForm(initial={"valid_from": today(), "parent_code": request.GET.get("parent", "")})
        return _render(request, "unit_form.html", form=form, unit=None)
    form = OrgUnitForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            unit = org_unit_create(
                actor_id=viewer.user_id,
                code=data["code"],
                name=data["name"],
                kind=data["kind"],
                parent_code=data["parent_code"] or None,
                cost_centre=data["cost_centre"],
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
            )
            messages.success(request, f"Org unit {unit.code} created.")
            return redirect("org_unit_detail", code=unit.code)
        except DomainError as error:
            _refused(form, error)
    return _render(request, "unit_form.html", status=400, form=form, unit=None)


def org_unit_edit(request: HttpRequest, code: str) -> HttpResponse:
    viewer = _viewer(request)
    unit = org_unit_get(scope=PersonScope.all(), code=code)
    if request.method != "POST":
        initial = {
            "name": unit.name,
            "kind": unit.kind,
            "parent_code": unit.parent.code if unit.parent else "",
            "cost_centre": unit.cost_centre,
            "valid_from": unit.valid_from,
            "valid_to": unit.valid_to,
            "effective": today(),
        }
        return _render(request, "unit_form.html", form=OrgUnitForm(initial=initial, unit=unit), unit=unit)
    form = OrgUnitForm(request.POST, unit=unit)
    if form.is_valid():
        data = form.cleaned_data
        try:
            org_unit_update(
                actor_id=viewer.user_id,
                code=code,
                effective=data["effective"],
                name=data["name"],
                parent_code=data["parent_code"],
                cost_centre=data["cost_centre"],
                kind=data["kind"],
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
            )
            messages.success(request, f"Org unit {code} saved.")
            return redirect("org_unit_detail", code=code)
        except DomainError as error:
            _refused(form, error)
    return _render(request, "unit_form.html", status=400, form=form, unit=unit)


def job_roles(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    viewer_require(viewer=viewer, capability=Capability.VIEW_ORG)
    return _render(
        request,
        "job_roles.html",
        families=list(job_family_list()),
        roles=list(job_role_list()),
        can_edit=viewer.can(Capability.MANAGE_ORG),
    )


def job_family_edit(request: HttpRequest, code: str = "") -> HttpResponse:
    viewer = _viewer(request)
    family: JobFamily | None = job_family_get(code=code) if code else None
    if request.method != "POST":
        initial = {"code": family.code, "name": family.name} if family else {}
        return _render(request, "family_form.html", form=JobFamilyForm(initial=initial), family=family)
    form = JobFamilyForm(request.POST)
    if family is not None:
        form.fields["code"].required = False
    if form.is_valid():
        try:
            if family is None:
                job_family_create(
                    actor_id=viewer.user_id, code=form.cleaned_data["code"], name=form.cleaned_data["name"]
                )
            else:
                job_family_update(actor_id=viewer.user_id, code=family.code, name=form.cleaned_data["name"])
            messages.success(request, "Job family saved.")
            return redirect("job_roles")
        except DomainError as error:
            _refused(form, error)
    return _render(request, "family_form.html", status=400, form=form, family=family)


def job_role_edit(request: HttpRequest, code: str = "") -> HttpResponse:
    viewer = _viewer(request)
    role: JobRole | None = job_role_get(code=code) if code else None
    if request.method != "POST":
        initial: dict[str, Any] = {}
        if role is not None:
            initial = {
                "code": role.code,
                "name": role.name,
                "family_code": role.family.code,
                "level": role.level,
                "is_people_manager": role.is_people_manager,
            }
        return _render(request, "role_form.html", form=JobRoleForm(initial=initial), role=role)
    form = JobRoleForm(request.POST)
    if role is not None:
        form.fields["code"].required = False
    if form.is_valid():
        data = form.cleaned_data
        values = {
            "name": data["name"],
            "family_code": data["family_code"],
            "level": data["level"],
            "is_people_manager": data["is_people_manager"],
        }
        try:
            if role is None:
                job_role_create(actor_id=viewer.user_id, code=data["code"], **values)
            else:
                job_role_update(actor_id=viewer.user_id, code=role.code, **values)
            messages.success(request, "Job role saved.")
            return redirect("job_roles")
        except DomainError as error:
            _refused(form, error)
    return _render(request, "role_form.html", status=400, form=form, role=role)


# Before the org unit pages' <str:code>/: units coded "new" or "job-roles" would otherwise be shadowed the
# other way round, and these pages are the ones a person looks for.
urlpatterns = [
    path("new/", org_unit_new, name="org_unit_new"),
    path("job-roles/", job_roles, name="job_roles"),
    path("job-roles/new/", job_role_edit, name="job_role_new"),
    path("job-roles/families/new/", job_family_edit, name="job_family_new"),
    path("job-roles/families/<str:code>/", job_family_edit, name="job_family_edit"),
    path("job-roles/<str:code>/", job_role_edit, name="job_role_edit"),
    path("<str:code>/edit/", org_unit_edit, name="org_unit_edit"),
]
