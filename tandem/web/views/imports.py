"""Import pages (L&D admins): upload, preview with every error, confirm, progress, custom column mappings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import viewer_require
from tandem.core.dates import today
from tandem.core.scope import DomainError
from tandem.imports.fields import DATE_FORMATS, DEFAULT_PRESET, KINDS
from tandem.imports.models import ImportKind, ImportRun
from tandem.imports.selectors import (
    column_mapping_list,
    import_run_get,
    import_run_list,
    import_run_progress,
    mapping_choices,
)
from tandem.imports.services import column_mapping_create, import_run_confirm, import_run_submit
from tandem.web.viewer import viewer_of

MAX_UPLOAD_BYTES = 100 * 1024 * 1024
ERRORS_SHOWN = 500
BUSY = (
    ImportRun.Status.UPLOADED,
    ImportRun.Status.VALIDATING,
    ImportRun.Status.QUEUED,
    ImportRun.Status.RUNNING,
)


class UploadForm(forms.Form):
    kind = forms.ChoiceField(choices=ImportKind.choices)
    file = forms.FileField()
    mapping = forms.CharField(required=False, initial=DEFAULT_PRESET)
    as_of = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_UPLOAD_BYTES // 1024 // 1024} MB")
        return upload


def _require(request: HttpRequest) -> Any:
    viewer = viewer_of(request)
    viewer_require(viewer=viewer, capability=Capability.RUN_IMPORTS)
    return viewer


def imports(request: HttpRequest) -> HttpResponse:
    viewer = _require(request)
    form = UploadForm(request.POST or None, request.FILES or None, initial={"as_of": today()})
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            run = import_run_submit(
                actor_id=viewer.user_id,
                kind=form.cleaned_data["kind"],
                filename=upload.name or "upload",
                content=upload.read(),
                mapping_name=form.cleaned_data["mapping"],
                as_of=form.cleaned_data["as_of"],
            )
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            return redirect("import_detail", run_id=run.pk)
    context = {
        "form": form,
        "runs": import_run_list(),
        "mapping_choices": [(KINDS[kind].label, choices) for kind, choices in mapping_choices().items()],
        "mappings": column_mapping_list(),
        "kinds": list(KINDS.values()),
    }
    return render(request, "web/imports/list.html", context, status=400 if form.errors else 200)


def _run_or_404(run_id: int) -> ImportRun:
    run = import_run_get(run_id=run_id)
    if run is None:
        raise Http404("No such import")
    return run


def import_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    _require(request)
    run = _run_or_404(run_id)
    used = run.options.get("used_columns") or {}
    spec = KINDS[run.kind]
    columns = [
        {
            "field": f.name,
            "required": f.required,
            "mapped": run.columns.get(f.name, ""),
            "used": used.get(f.name),
        }
        for f in spec.fields
    ]
    context = {
        "run": run,
        "busy": run.status in BUSY,
        "columns": columns,
        "errors": run.errors[:ERRORS_SHOWN],
        "error_count": run.summary.get("errors", len(run.errors)),
        "errors_shown": ERRORS_SHOWN,
        "diffs": run.diffs,
        "can_confirm": run.status == ImportRun.Status.PREVIEWED,
    }
    return render(request, "web/imports/detail.html", context)


def import_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    _require(request)
    run = import_run_progress(run_id=run_id)
    if run is None:
        raise Http404("No such import")
    response = render(request, "web/imports/_progress.html", {"run": run, "busy": run.status in BUSY})
    if run.status not in BUSY:
        response["HX-Refresh"] = "true"  # reload the page once to show the preview or the result
    return response


@require_POST
def import_confirm(request: HttpRequest, run_id: int) -> HttpResponse:
    viewer = _require(request)
    _run_or_404(run_id)
    try:
        run = import_run_confirm(run_id=run_id, actor_id=viewer.user_id)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        if run.status == ImportRun.Status.DONE:
            messages.success(request, "Imported.")
    return redirect("import_detail", run_id=run_id)


def import_mapping_create(request: HttpRequest) -> HttpResponse:
    viewer = _require(request)
    kind = request.POST.get("kind") or request.GET.get("kind") or ImportKind.PEOPLE
    if kind not in KINDS:
        raise Http404("Unknown import kind")
    spec = KINDS[kind]
    values = {f.name: request.POST.get(f"column_{f.name}", "") for f in spec.fields}
    name = request.POST.get("name", "")
    date_format = request.POST.get("date_format", DATE_FORMATS[0][0])
    error = ""
    if request.method == "POST":
        try:
            mapping = column_mapping_create(
                actor_id=viewer.user_id, kind=kind, name=name, columns=values, date_format=date_format
            )
        except DomainError as problem:
            error = str(problem)
        else:
            messages.success(request, f"Mapping {mapping.name!r} saved: choose it when you upload a file.")
            return redirect("imports")
    context = {
        "kind": spec,
        "kinds": list(KINDS.values()),
        "fields": [{"spec": f, "value": values[f.name]} for f in spec.fields],
        "name": name,
        "date_format": date_format,
        "date_formats": DATE_FORMATS,
        "error": error,
    }
    return render(request, "web/imports/mapping_form.html", context, status=400 if error else 200)


urlpatterns = [
    path("", imports, name="imports"),
    path("mappings/new/", import_mapping_create, name="import_mapping_create"),
    path("<int:run_id>/", import_detail, name="import_detail"),
    path("<int:run_id>/progress/", import_progress, name="import_progress"),
    path("<int:run_id>/confirm/", import_confirm, name="import_confirm"),
]
