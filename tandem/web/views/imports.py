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
from tandem.imports.mappings import TRANSFORMS
from tandem.imports.models import ImportKind, ImportRun
from tandem.imports.reporting import errors_csv
from tandem.imports.selectors import (
    column_mapping_list,
    import_run_errors,
    import_run_get,
    import_run_list,
    import_run_progress,
    mapping_choices,
    mapping_file_export,
    org_unit_choices,
)
from tandem.imports.services import (
    column_mapping_create,
    column_mapping_import,
    import_run_confirm,
    import_run_submit,
)
from tandem.web.viewer import viewer_of

MAX_UPLOAD_BYTES = 100 * 1024 * 1024
MAX_MAPPING_BYTES = 256 * 1024
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
    export_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

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
                export_date=form.cleaned_data["export_date"],
                create_references=viewer.can(Capability.ADMIN_SITE),
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
    references = run.summary.get("references") or {}
    context = {
        "run": run,
        "busy": run.status in BUSY,
        "columns": columns,
        "error_groups": run.summary.get("error_groups", []),
        "warning_groups": run.summary.get("warning_groups", []),
        "error_count": run.summary.get("errors", len(run.errors)),
        "diffs": run.diffs,
        "can_confirm": run.status == ImportRun.Status.PREVIEWED and run.purged_at is None,
        "new_org_units": references.get("org_units", []),
        "new_job_roles": references.get("job_roles", []),
        "parents": org_unit_choices() if references.get("org_units") else [],
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


def import_errors_csv(request: HttpRequest, run_id: int) -> HttpResponse:
    """Every kept error of a run, as CSV (the page shows them grouped by cause)."""
    _require(request)
    run = import_run_errors(run_id=run_id)
    if run is None:
        raise Http404("No such import")
    missing = max(run.summary.get("errors", 0) - len(run.errors), 0)
    response = HttpResponse(
        errors_csv(errors=run.errors, missing=missing), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-errors.csv"'
    return response


def _reference_choices(request: HttpRequest) -> dict[str, dict[str, dict[str, str]]]:
    """The names and parents typed on the preview: unit-N-code/-name/-parent and role-N-code/-name."""
    chosen: dict[str, dict[str, dict[str, str]]] = {"org_units": {}, "job_roles": {}}
    for prefix, kind in (("unit", "org_units"), ("role", "job_roles")):
        for key in request.POST:
            code = request.POST.get(key, "")
            if key.startswith(f"{prefix}-") and key.endswith("-code"):
                index = key[len(prefix) + 1 : -len("-code")]
                chosen[kind][code] = {
                    "name": request.POST.get(f"{prefix}-{index}-name", ""),
                    "parent": request.POST.get(f"{prefix}-{index}-parent", ""),
                }
    return chosen


@require_POST
def import_confirm(request: HttpRequest, run_id: int) -> HttpResponse:
    viewer = _require(request)
    _run_or_404(run_id)
    try:
        run = import_run_confirm(
            run_id=run_id, actor_id=viewer.user_id, references=_reference_choices(request)
        )
    except DomainError as error:
        messages.error(request, str(error))
    else:
        if run.status == ImportRun.Status.DONE:
            messages.success(request, "Imported.")
    return redirect("import_detail", run_id=run_id)


HOW = (("column", "column"), ("constant", "constant"), ("template", "template"), ("off", "not imported"))


def _values_map(text: str) -> dict[str, str]:
    """One "their value = our value" per line (or ";"-separated)."""
    pairs = [line.split("=", 1) for line in text.replace(";", "\n").splitlines() if "=" in line]
    return {theirs.strip(): ours.strip() for theirs, ours in pairs if theirs.strip()}


def _form_rule(request: HttpRequest, name: str) -> object:
    """One field of the mapping form as a mapping entry: "" (found by name), None (off), a column or a rule."""
    how = request.POST.get(f"how_{name}", "column")
    text = request.POST.get(f"column_{name}", "").strip()
    transform = request.POST.get(f"transform_{name}", "")
    values = _values_map(request.POST.get(f"values_{name}", ""))
    if how == "off":
        return None
    if how == "constant":
        return {"constant": text}
    if not text:
        return ""
    rule: dict[str, object] = {"template" if how == "template" else "column": text}
    if transform:
        rule["transform"] = transform
    if values:
        rule["values"] = values
    return rule if len(rule) > 1 or how == "template" else text


def import_mapping_create(request: HttpRequest) -> HttpResponse:
    viewer = _require(request)
    kind = request.POST.get("kind") or request.GET.get("kind") or ImportKind.PEOPLE
    if kind not in KINDS:
        raise Http404("Unknown import kind")
    spec = KINDS[kind]
    name = request.POST.get("name", "")
    date_format = request.POST.get("date_format", DATE_FORMATS[0][0])
    ignore = request.POST.get("ignore", "")
    error = ""
    if request.method == "POST":
        try:
            mapping = column_mapping_create(
                actor_id=viewer.user_id,
                kind=kind,
                name=name,
                columns={f.name: _form_rule(request, f.name) for f in spec.fields},
                date_format=date_format,
                ignore=[column for column in ignore.replace(",", "\n").splitlines()],
            )
        except DomainError as problem:
            error = str(problem)
        else:
            messages.success(request, f"Mapping {mapping.name!r} saved: choose it when you upload a file.")
            return redirect("imports")
    fields = [
        {
            "spec": f,
            "value": request.POST.get(f"column_{f.name}", ""),
            "how": request.POST.get(f"how_{f.name}", "column"),
            "transform": request.POST.get(f"transform_{f.name}", ""),
            "values": request.POST.get(f"values_{f.name}", ""),
        }
        for f in spec.fields
    ]
    context = {
        "kind": spec,
        "kinds": list(KINDS.values()),
        "fields": fields,
        "name": name,
        "date_format": date_format,
        "date_formats": DATE_FORMATS,
        "ignore": ignore,
        "hows": HOW,
        "transforms": [(key, label) for key, (label, _function) in TRANSFORMS.items()],
        "error": error,
    }
    return render(request, "web/imports/mapping_form.html", context, status=400 if error else 200)


@require_POST
def import_mapping_upload(request: HttpRequest) -> HttpResponse:
    """Save a mapping from a YAML or JSON mapping file (as exported by another installation)."""
    viewer = _require(request)
    upload = request.FILES.get("mapping_file")
    if upload is None or (upload.size or 0) > MAX_MAPPING_BYTES:
        messages.error(
            request, f"Choose a mapping file (YAML or JSON, at most {MAX_MAPPING_BYTES // 1024} KB)."
        )
        return redirect("imports")
    try:
        mapping = column_mapping_import(
            actor_id=viewer.user_id, content=upload.read(), name=request.POST.get("name", "")
        )
    except DomainError as problem:
        messages.error(request, f"The mapping file was not saved: {problem}")
    else:
        messages.success(request, f"Mapping {mapping.name!r} imported: choose it when you upload a file.")
    return redirect("imports")


def import_mapping_export(request: HttpRequest, kind: str, name: str) -> HttpResponse:
    """A preset or saved mapping as a YAML (or ?format=json) file another installation can import."""
    _require(request)
    file_format = "json" if request.GET.get("format") == "json" else "yaml"
    try:
        filename, content = mapping_file_export(kind=kind, name=name, format=file_format)
    except DomainError as problem:
        raise Http404(str(problem)) from problem
    content_type = "application/json" if file_format == "json" else "application/yaml"
    response = HttpResponse(content, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


urlpatterns = [
    path("", imports, name="imports"),
    path("mappings/new/", import_mapping_create, name="import_mapping_create"),
    path("<int:run_id>/", import_detail, name="import_detail"),
    path("<int:run_id>/progress/", import_progress, name="import_progress"),
    path("<int:run_id>/confirm/", import_confirm, name="import_confirm"),
    path("<int:run_id>/errors.csv", import_errors_csv, name="import_errors_csv"),
    path("mappings/import/", import_mapping_upload, name="import_mapping_upload"),
    path("mappings/<str:kind>/<str:name>/export/", import_mapping_export, name="import_mapping_export"),
]
