"""Stakeholder reports: exports of a program's impact, its case study, and business cases.

Exports and case studies follow the impact page's access: the programs capability and a participant in
the viewer's scope (a department head sees only their department's programs). Drafting and editing are
for the L&D team; stakeholders read final case studies. Business cases are L&D's working papers.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path
from django.views.decorators.http import require_POST

from tandem.accounts.models import Role
from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import Viewer, viewer_require
from tandem.core.dates import today
from tandem.core.scope import AccessDenied, DomainError, PersonScope
from tandem.impact.records import ProgramDetail
from tandem.impact.selectors import program_list
from tandem.reports.case_study import Quote
from tandem.reports.exports import (
    business_case_xlsx,
    report_charts,
    report_csv,
    report_filename,
    report_rows,
    report_xlsx,
    roi_range_chart_svg,
)
from tandem.reports.pdf import business_case_pdf, case_study_pdf, report_pdf
from tandem.reports.records import TIER_BUSINESS, TIER_LEARNER, TIER_OPERATIONAL, BusinessCaseInput
from tandem.reports.selectors import (
    CaseStudyView,
    ProgramReport,
    business_case_get,
    business_case_list,
    business_case_metric_choices,
    case_study_get,
    program_report_get,
    program_visible_get,
)
from tandem.reports.services import (
    business_case_create,
    business_case_recompute,
    business_case_update,
    case_study_draft,
    case_study_update,
)
from tandem.web.viewer import viewer_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
QUOTE_SEPARATOR = " | "


def _viewer(request: HttpRequest) -> Viewer:
    viewer = viewer_of(request)
    viewer_require(viewer=viewer, capability=Capability.VIEW_PROGRAMS)
    return viewer


def _is_ld(viewer: Viewer) -> bool:
    return viewer.has_role(Role.LD_ADMIN) or viewer.has_role(Role.LD_TEAM)


def _ld(request: HttpRequest) -> Viewer:
    viewer = _viewer(request)
    if not _is_ld(viewer):
        raise AccessDenied("Only the L&D team drafts case studies and business cases")
    return viewer


def _download(content: str | bytes, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- program impact exports -----------------------------------------------------------------------


def _report(request: HttpRequest, code: str) -> ProgramReport:
    viewer = _viewer(request)
    return program_report_get(
        scope=viewer.scope,
        code=code,
        metric_code=request.GET.get("metric", ""),
        method=request.GET.get("method", "staggered"),
        comparison=request.GET.get("comparison", "never"),
    )


def _tier_sections(report: ProgramReport) -> list[dict[str, Any]]:
    if report.tiers is None:
        return []
    labels = ((TIER_OPERATIONAL, "Operational"), (TIER_LEARNER, "Learner"), (TIER_BUSINESS, "Business"))
    return [
        {"label": label, "figures": [f for f in report.tiers.overall if f.tier == tier]}
        for tier, label in labels
        if any(f.tier == tier for f in report.tiers.overall)
    ]


def program_export_html(request: HttpRequest, code: str) -> HttpResponse:
    report = _report(request, code)
    # Rendered without the request: a standalone document, no navigation, no CSRF token, no asset URLs.
    html = render_to_string(
        "web/reports/program_export.html",
        {
            "report": report,
            "charts": report_charts(report=report),
            "tier_sections": _tier_sections(report),
            "waves": [r for r in report_rows(report=report) if r.section == "wave"],
        },
    )
    return _download(
        html,
        content_type="text/html; charset=utf-8",
        filename=report_filename(report=report, extension="html"),
    )


def program_export_pdf(request: HttpRequest, code: str) -> HttpResponse:
    report = _report(request, code)
    return _download(
        report_pdf(report=report),
        content_type="application/pdf",
        filename=report_filename(report=report, extension="pdf"),
    )


def program_export_xlsx(request: HttpRequest, code: str) -> HttpResponse:
    report = _report(request, code)
    return _download(
        report_xlsx(report=report),
        content_type=XLSX,
        filename=report_filename(report=report, extension="xlsx"),
    )


def program_export_csv(request: HttpRequest, code: str) -> HttpResponse:
    report = _report(request, code)
    return _download(
        report_csv(report=report),
        content_type="text/csv; charset=utf-8",
        filename=report_filename(report=report, extension="csv"),
    )


# --- case studies ---------------------------------------------------------------------------------


def _quotes_text(quotes: tuple[Quote, ...]) -> str:
    return "\n".join(f"{q.text}{QUOTE_SEPARATOR}{q.who_label}" for q in quotes)


def _parse_quotes(text: str) -> list[Quote]:
    quotes = []
    for line in text.splitlines():
        if not line.strip():
            continue
        said, _sep, who = line.rpartition("|") if "|" in line else (line, "", "")
        quotes.append(Quote(text=said.strip(), who_label=who.strip() or "A participant"))
    return quotes


class CaseStudyForm(forms.Form):
    QUOTE_HELP = "One quote per line: the words, then “ | ” and who said it (never a name), e.g. “I use it daily | A participant in Sales”."

    title = forms.CharField(max_length=200)
    what_happened = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}), required=False, label="What happened"
    )
    impact = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, label="The impact")
    success_quotes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label="Quotes: most successful",
        help_text=QUOTE_HELP,
    )
    non_success_quotes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label="Quotes: least successful",
        help_text=QUOTE_HELP,
    )
    differently = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), required=False, label="What we’d do differently"
    )
    alternative_scenario = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, label="The alternative scenario"
    )
    status = forms.ChoiceField(
        choices=[("draft", "Draft (L&D only)"), ("final", "Final (stakeholders can read it)")]
    )


def _case_study_visible(
    request: HttpRequest, code: str
) -> tuple[Viewer, ProgramDetail, CaseStudyView | None]:
    viewer = _viewer(request)
    detail = program_visible_get(scope=viewer.scope, code=code)
    study = case_study_get(program_id=detail.summary.id)
    if study is not None and not study.is_final and not _is_ld(viewer):
        study = None  # a draft is L&D's work in progress
    return viewer, detail, study


def case_study(request: HttpRequest, code: str) -> HttpResponse:
    viewer, detail, study = _case_study_visible(request, code)
    return render(
        request,
        "web/reports/case_study.html",
        {"program": detail, "study": study, "can_edit": _is_ld(viewer)},
    )


@require_POST
def case_study_draft_view(request: HttpRequest, code: str) -> HttpResponse:
    viewer = _ld(request)
    detail = program_visible_get(scope=viewer.scope, code=code)
    regenerate = request.POST.get("regenerate") == "1"
    case_study_draft(program_id=detail.summary.id, actor_id=viewer.user_id, regenerate=regenerate)
    messages.success(
        request,
        "Redrafted every section from the data."
        if regenerate
        else "Drafted from the data; your edits were kept.",
    )
    return redirect("case_study_edit", code=code)


def case_study_edit(request: HttpRequest, code: str) -> HttpResponse:
    viewer = _ld(request)
    detail = program_visible_get(scope=viewer.scope, code=code)
    study = case_study_get(program_id=detail.summary.id)
    if study is None:
        messages.info(request, "Draft the case study from the data first.")
        return redirect("case_study", code=code)
    if request.method == "POST":
        form = CaseStudyForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                case_study_update(
                    case_study_id=study.id,
                    actor_id=viewer.user_id,
                    title=data["title"],
                    what_happened=data["what_happened"],
                    impact=data["impact"],
                    success_quotes=_parse_quotes(data["success_quotes"]),
                    non_success_quotes=_parse_quotes(data["non_success_quotes"]),
                    differently=data["differently"],
                    alternative_scenario=data["alternative_scenario"],
                    status=data["status"],
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Case study saved.")
                return redirect("case_study", code=code)
    else:
        form = CaseStudyForm(
            initial={
                "title": study.title,
                "what_happened": study.what_happened,
                "impact": study.impact,
                "success_quotes": _quotes_text(study.success_quotes),
                "non_success_quotes": _quotes_text(study.non_success_quotes),
                "differently": study.differently,
                "alternative_scenario": study.alternative_scenario,
                "status": study.status,
            }
        )
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "web/reports/case_study_edit.html",
        {"program": detail, "study": study, "form": form},
        status=status,
    )


def _study_or_404(request: HttpRequest, code: str) -> CaseStudyView:
    _, _, study = _case_study_visible(request, code)
    if study is None:
        raise AccessDenied("This program has no case study you can read yet")
    return study


def _study_filename(study: CaseStudyView, extension: str) -> str:
    return f"{study.program_code}-case-study-{today():%Y-%m-%d}.{extension}"


def case_study_export_html(request: HttpRequest, code: str) -> HttpResponse:
    study = _study_or_404(request, code)
    html = render_to_string("web/reports/case_study_export.html", {"study": study, "generated_on": today()})
    return _download(html, content_type="text/html; charset=utf-8", filename=_study_filename(study, "html"))


def case_study_export_pdf(request: HttpRequest, code: str) -> HttpResponse:
    study = _study_or_404(request, code)
    return _download(
        case_study_pdf(study=study, generated_on=today()),
        content_type="application/pdf",
        filename=_study_filename(study, "pdf"),
    )


# --- business cases -------------------------------------------------------------------------------


class BusinessCaseForm(forms.Form):
    name = forms.CharField(max_length=200, label="Proposed program")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    audience_size = forms.IntegerField(min_value=1, label="People it would reach")
    metric = forms.ChoiceField(label="Target metric (measured per person)")
    value_per_unit = forms.DecimalField(
        min_value=Decimal(0),
        max_digits=14,
        decimal_places=2,
        label="Money value of one unit per person and month",
    )
    benefit_months = forms.IntegerField(
        min_value=1,
        max_value=120,
        initial=12,
        label="Months of benefit to count",
        help_text="12: first year only (Phillips).",
    )
    cost_items = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label="Cost items",
        help_text="One per line: name: amount, e.g. “Vendor fee: 12000”. Leave empty to give a total.",
    )
    cost_total = forms.DecimalField(
        min_value=Decimal(0), max_digits=14, decimal_places=2, required=False, label="Total cost"
    )
    comparables = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, label="Comparable past programs", required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = business_case_metric_choices()  # type: ignore[attr-defined]
        # Business cases are L&D's (every program in scope): the pages check that before building the form.
        programs = program_list(scope=PersonScope.all())
        self.fields["comparables"].choices = [(p.code, f"{p.name} ({p.code})") for p in programs]  # type: ignore[attr-defined]

    def clean_cost_items(self) -> list[tuple[str, Decimal]]:
        items = []
        for line in str(self.cleaned_data.get("cost_items") or "").splitlines():
            if not line.strip():
                continue
            name, _sep, amount = line.rpartition(":")
            try:
                value = Decimal(amount.strip().replace(",", ""))
            except ArithmeticError:
                raise forms.ValidationError(f"“{line.strip()}” does not end with “: amount”") from None
            items.append((name.strip() or "Cost", value))
        return items


def _case_input(form: BusinessCaseForm) -> BusinessCaseInput:
    data = form.cleaned_data
    return BusinessCaseInput(
        name=data["name"],
        description=data["description"],
        audience_size=data["audience_size"],
        metric_code=data["metric"],
        value_per_unit=data["value_per_unit"],
        benefit_months=data["benefit_months"],
        cost_items=tuple(data["cost_items"]),
        cost_total=data["cost_total"],
        comparable_codes=tuple(data["comparables"]),
    )


def business_cases(request: HttpRequest) -> HttpResponse:
    _ld(request)
    return render(request, "web/reports/business_cases.html", {"cases": business_case_list()})


def business_case_new(request: HttpRequest) -> HttpResponse:
    viewer = _ld(request)
    form = BusinessCaseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            case = business_case_create(actor_id=viewer.user_id, case=_case_input(form))
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Business case saved and valued from the comparable programs.")
            return redirect("business_case_detail", case_id=case.id)
    status = 400 if request.method == "POST" else 200
    return render(request, "web/reports/business_case_form.html", {"form": form, "case": None}, status=status)


def business_case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    _ld(request)
    case = business_case_get(business_case_id=case_id)
    chart = roi_range_chart_svg(result=case.result) if case.result is not None else None
    return render(request, "web/reports/business_case_detail.html", {"case": case, "chart": chart})


def _case_filename(case_name: str, case_id: int, extension: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", case_name).strip("-").lower()[:60] or f"case-{case_id}"
    return f"{slug}-business-case-{today():%Y-%m-%d}.{extension}"


def business_case_export_pdf(request: HttpRequest, case_id: int) -> HttpResponse:
    _ld(request)
    case = business_case_get(business_case_id=case_id)
    return _download(
        business_case_pdf(case=case, generated_on=today()),
        content_type="application/pdf",
        filename=_case_filename(case.name, case.id, "pdf"),
    )


def business_case_export_xlsx(request: HttpRequest, case_id: int) -> HttpResponse:
    _ld(request)
    case = business_case_get(business_case_id=case_id)
    return _download(
        business_case_xlsx(case=case, generated_on=today()),
        content_type=XLSX,
        filename=_case_filename(case.name, case.id, "xlsx"),
    )


def business_case_edit(request: HttpRequest, case_id: int) -> HttpResponse:
    viewer = _ld(request)
    case = business_case_get(business_case_id=case_id)
    if request.method == "POST":
        form = BusinessCaseForm(request.POST)
        if form.is_valid():
            try:
                business_case_update(
                    business_case_id=case.id, actor_id=viewer.user_id, case=_case_input(form)
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Business case saved and revalued.")
                return redirect("business_case_detail", case_id=case.id)
    else:
        form = BusinessCaseForm(
            initial={
                "name": case.name,
                "description": case.description,
                "audience_size": case.audience_size,
                "metric": case.metric_code,
                "value_per_unit": case.value_per_unit,
                "benefit_months": case.benefit_months,
                "cost_items": "\n".join(f"{c.name}: {c.amount}" for c in case.cost_items),
                "cost_total": None if case.cost_items else case.cost_total,
                "comparables": list(case.comparable_codes),
            }
        )
    status = 400 if request.method == "POST" else 200
    return render(request, "web/reports/business_case_form.html", {"form": form, "case": case}, status=status)


@require_POST
def business_case_recompute_view(request: HttpRequest, case_id: int) -> HttpResponse:
    viewer = _ld(request)
    business_case_recompute(business_case_id=case_id, actor_id=viewer.user_id)
    messages.success(request, "Revalued with today's estimates of the comparable programs.")
    return redirect("business_case_detail", case_id=case_id)


urlpatterns = [
    path("programs/<slug:code>/export.html", program_export_html, name="program_export_html"),
    path("programs/<slug:code>/export.pdf", program_export_pdf, name="program_export_pdf"),
    path("programs/<slug:code>/export.xlsx", program_export_xlsx, name="program_export_xlsx"),
    path("programs/<slug:code>/export.csv", program_export_csv, name="program_export_csv"),
    path("programs/<slug:code>/case-study/", case_study, name="case_study"),
    path("programs/<slug:code>/case-study/draft/", case_study_draft_view, name="case_study_draft"),
    path("programs/<slug:code>/case-study/edit/", case_study_edit, name="case_study_edit"),
    path(
        "programs/<slug:code>/case-study/export.html", case_study_export_html, name="case_study_export_html"
    ),
    path("programs/<slug:code>/case-study/export.pdf", case_study_export_pdf, name="case_study_export_pdf"),
    path("reports/business-cases/", business_cases, name="business_cases"),
    path("reports/business-cases/new/", business_case_new, name="business_case_new"),
    path("reports/business-cases/<int:case_id>/", business_case_detail, name="business_case_detail"),
    path("reports/business-cases/<int:case_id>/edit/", business_case_edit, name="business_case_edit"),
    path(
        "reports/business-cases/<int:case_id>/export.pdf",
        business_case_export_pdf,
        name="business_case_export_pdf",
    ),
    path(
        "reports/business-cases/<int:case_id>/export.xlsx",
        business_case_export_xlsx,
        name="business_case_export_xlsx",
    ),
    path(
        "reports/business-cases/<int:case_id>/recompute/",
        business_case_recompute_view,
        name="business_case_recompute",
    ),
]
