"""Creating and editing initiatives and their metric links (MANAGE_INITIATIVES), through the services."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import Viewer, viewer_require
from tandem.core.scope import DomainError, PersonScope
from tandem.initiatives.models import Initiative
from tandem.initiatives.selectors import InitiativeSummary, initiative_get
from tandem.initiatives.services import (
    initiative_create,
    initiative_metric_link,
    initiative_metric_unlink,
    initiative_update,
)
from tandem.metrics.selectors import metric_list
from tandem.org.selectors import org_unit_choices
from tandem.web.viewer import viewer_of

STATUS_HELP = "Planned, active and completed follow the dates. Choose cancelled, or completed to close it before its end date."


def _unit_choices(blank: str) -> list[tuple[str, str]]:
    return [("", blank), *org_unit_choices()]


class InitiativeForm(forms.Form):
    code = forms.SlugField(
        max_length=60, help_text="Letters, digits and hyphens, e.g. cloud-migration. Kept for good."
    )
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    owner_employee_id = forms.CharField(
        max_length=40,
        required=False,
        label="Owner (employee id)",
        help_text="The person accountable, e.g. E1042",
    )
    sponsor_org_unit_code = forms.ChoiceField(label="Sponsor org unit", required=False)
    status = forms.ChoiceField(
        choices=Initiative.Status.choices, initial=Initiative.Status.ACTIVE, help_text=STATUS_HELP
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["sponsor_org_unit_code"]).choices = _unit_choices("— none —")
        if editing:
            del self.fields["code"]


class LinkForm(forms.Form):
    metric_code = forms.ChoiceField(label="Metric")
    org_unit_code = forms.ChoiceField(
        label="Measured at",
        required=False,
        help_text="Whose values show the progress; none: the company line",
    )
    baseline_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The baseline is the average of the three values up to this date on the line measured",
    )
    baseline = forms.FloatField(
        required=False,
        label="Baseline value",
        help_text="Only needed where the line has no values up to the date",
    )
    target = forms.FloatField(required=False)
    target_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["metric_code"]).choices = [
            (m.code, m.name) for m in metric_list()
        ]
        cast(forms.ChoiceField, self.fields["org_unit_code"]).choices = _unit_choices("Company")


def _viewer(request: HttpRequest) -> Viewer:
    viewer = viewer_of(request)
    viewer_require(viewer=viewer, capability=Capability.MANAGE_INITIATIVES)
    return viewer


def _form_page(
    request: HttpRequest,
    *,
    form: InitiativeForm,
    initiative: InitiativeSummary | None = None,
    link_form: LinkForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {"form": form, "initiative": initiative, "link_form": link_form or LinkForm()}
    return render(request, "web/initiatives/form.html", context, status=status)


def initiative_new(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if request.method != "POST":
        return _form_page(request, form=InitiativeForm())
    form = InitiativeForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form=form, status=400)
    data = form.cleaned_data
    try:
        initiative = initiative_create(
            actor_id=viewer.user_id,
            code=data["code"],
            name=data["name"],
            description=data["description"],
            start_date=data["start_date"],
            end_date=data["end_date"],
            owner_employee_id=data["owner_employee_id"] or None,
            sponsor_org_unit_code=data["sponsor_org_unit_code"] or None,
            status=data["status"],
        )
    except DomainError as error:
        form.add_error(None, str(error))
        return _form_page(request, form=form, status=400)
    messages.success(
        request, f"Initiative “{initiative.name}” created. Link the metrics that show its progress."
    )
    return redirect("initiative_edit", code=initiative.code)


def _edit_form(current: InitiativeSummary) -> InitiativeForm:
    return InitiativeForm(
        editing=True,
        initial={
            "name": current.name,
            "description": current.description,
            "start_date": current.start_date,
            "end_date": current.end_date,
            "owner_employee_id": current.owner_employee_id or "",
            "sponsor_org_unit_code": current.sponsor_code or "",
            "status": current.stored_status,
        },
    )


def _link_form(current: InitiativeSummary, metric_code: str) -> LinkForm:
    """The link form, filled in with the stored link when one is picked (?metric=code)."""
    link = next((link for link in current.links if link.metric_code == metric_code), None)
    if link is None:
        return LinkForm()
    return LinkForm(
        initial={
            "metric_code": link.metric_code,
            "org_unit_code": link.org_unit_code or "",
            "baseline_date": link.baseline_date,
            "baseline": link.baseline,
            "target": link.target,
            "target_date": link.target_date,
        }
    )


def initiative_edit(request: HttpRequest, code: str) -> HttpResponse:
    viewer = _viewer(request)
    current = initiative_get(scope=PersonScope.all(), code=code)
    if request.method != "POST":
        link_form = _link_form(current, request.GET.get("metric", ""))
        return _form_page(request, form=_edit_form(current), initiative=current, link_form=link_form)
    form = InitiativeForm(request.POST, editing=True)
    if not form.is_valid():
        return _form_page(request, form=form, initiative=current, status=400)
    data = form.cleaned_data
    try:
        initiative_update(
            actor_id=viewer.user_id,
            code=code,
            name=data["name"],
            description=data["description"],
            start_date=data["start_date"],
            end_date=data["end_date"],
            owner_employee_id=data["owner_employee_id"] or None,
            sponsor_org_unit_code=data["sponsor_org_unit_code"] or None,
            status=data["status"],
        )
    except DomainError as error:
        form.add_error(None, str(error))
        return _form_page(request, form=form, initiative=current, status=400)
    messages.success(request, "Initiative saved.")
    return redirect("initiative_detail", code=code)


@require_POST
def initiative_link(request: HttpRequest, code: str) -> HttpResponse:
    viewer = _viewer(request)
    current = initiative_get(scope=PersonScope.all(), code=code)
    link_form = LinkForm(request.POST)
    error = None
    if link_form.is_valid():
        data = link_form.cleaned_data
        try:
            initiative_metric_link(
                actor_id=viewer.user_id,
                initiative_code=code,
                metric_code=data["metric_code"],
                org_unit_code=data["org_unit_code"] or None,
                baseline=data["baseline"],
                baseline_date=data["baseline_date"],
                target=data["target"],
                target_date=data["target_date"],
            )
        except DomainError as exc:
            error = str(exc)
    if error or not link_form.is_valid():
        if error:
            link_form.add_error(None, error)
        return _form_page(
            request, form=_edit_form(current), initiative=current, link_form=link_form, status=400
        )
    messages.success(request, "Metric link saved.")
    return redirect("initiative_edit", code=code)


@require_POST
def initiative_unlink(request: HttpRequest, code: str, metric_code: str) -> HttpResponse:
    viewer = _viewer(request)
    try:
        initiative_metric_unlink(actor_id=viewer.user_id, initiative_code=code, metric_code=metric_code)
        messages.success(request, "Metric unlinked.")
    except DomainError as error:
        messages.error(request, str(error))
    return redirect("initiative_edit", code=code)


urlpatterns = [
    path("new/", initiative_new, name="initiative_new"),
    path("<slug:code>/edit/", initiative_edit, name="initiative_edit"),
    path("<slug:code>/metrics/", initiative_link, name="initiative_link"),
    path("<slug:code>/metrics/<slug:metric_code>/remove/", initiative_unlink, name="initiative_unlink"),
]
