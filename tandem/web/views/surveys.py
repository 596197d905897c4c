"""Surveys for the L&D team: response rates, per-question results, creating a survey, sending it now.

L&D roles only (Capability.VIEW_LEARNING_DATA): answers are learning data. Results are group figures;
groups under the minimum size get none, and comments are shown without names, only for surveys with
enough responses.
"""

from __future__ import annotations

from itertools import groupby

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import Viewer, viewer_require
from tandem.core.charts import Bar, bar_chart_svg
from tandem.core.scope import DomainError
from tandem.surveys.knowledge import (
    knowledge_answered,
    knowledge_questions_parse,
    knowledge_questions_set,
    knowledge_questions_text,
)
from tandem.surveys.questions import DEFAULT_SEND_AFTER_DAYS, KIND_LABELS
from tandem.surveys.results import ProgramChoice, QuestionSummary, SurveyDetail, SurveyListItem
from tandem.surveys.selectors import survey_detail, survey_list, survey_program_choices
from tandem.surveys.services import survey_close, survey_create, survey_send_now
from tandem.web.viewer import viewer_of

CHARTED_SURVEYS = 20


def _viewer(request: HttpRequest) -> Viewer:
    viewer = viewer_of(request)
    viewer_require(viewer=viewer, capability=Capability.VIEW_LEARNING_DATA)
    return viewer


class SurveyForm(forms.Form):
    program = forms.TypedChoiceField(coerce=int, choices=())
    cohort = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, choices=(), help_text="Leave empty for every cohort."
    )
    kind = forms.ChoiceField(choices=list(KIND_LABELS.items()))
    title = forms.CharField(max_length=200, required=False, help_text="Leave empty for a standard title.")
    intro = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    anonymous = forms.BooleanField(required=False, help_text="Answers are stored without the person.")
    send_after_days = forms.IntegerField(
        min_value=0,
        max_value=730,
        required=False,
        help_text=(
            "Days after each person took part (reaction, knowledge check after) or after each cohort "
            "starts (knowledge check before, follow-ups). Leave empty for the default."
        ),
    )
    reminder_every_days = forms.IntegerField(min_value=1, max_value=60, initial=2)
    max_reminders = forms.IntegerField(min_value=0, max_value=10, initial=3)
    closes_after_days = forms.IntegerField(min_value=1, max_value=365, initial=14)

    def __init__(self, *args: object, programs: list[ProgramChoice], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["program"].choices = [(p.id, f"{p.name} ({p.code})") for p in programs]  # type: ignore[attr-defined]
        self.fields["cohort"].choices = [("", "Every cohort")] + [  # type: ignore[attr-defined]
            (p.name, [(cid, name) for cid, name in p.cohorts]) for p in programs if p.cohorts
        ]


def _rate_chart(items: list[SurveyListItem]) -> SafeString:
    bars = [
        Bar(category=f"#{item.id} {item.title[:40]}", value=round(100 * (item.rate or 0), 1))
        for item in items[:CHARTED_SURVEYS]
        if item.invited
    ]
    return bar_chart_svg(
        bars=bars,
        horizontal=True,
        y_title="Response rate (%)",
        width=520,
        height=max(60, 26 * len(bars)),
        description="Response rate of each survey that has sent invitations",
        empty_message="No invitations sent yet.",
    )


def surveys(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    items = survey_list()
    return render(request, "web/surveys/list.html", {"surveys": items, "chart": _rate_chart(items)})


def survey_new(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    programs = survey_program_choices()
    if request.method != "POST":
        initial = {"program": request.GET.get("program", "")}
        form = SurveyForm(initial=initial, programs=programs)
        context = {"form": form, "defaults": DEFAULT_SEND_AFTER_DAYS, "programs": programs}
        return render(request, "web/surveys/form.html", context)
    form = SurveyForm(request.POST, programs=programs)
    if form.is_valid():
        data = form.cleaned_data
        try:
            created = survey_create(
                actor_id=viewer.user_id,
                program_id=data["program"],
                cohort_id=data["cohort"],
                kind=data["kind"],
                title=data["title"],
                intro=data["intro"],
                anonymous=data["anonymous"],
                send_after_days=data["send_after_days"],
                reminder_every_days=data["reminder_every_days"],
                max_reminders=data["max_reminders"],
                closes_after_days=data["closes_after_days"],
                now=timezone.now(),
            )
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            note = (
                f" {created.without_manager} participants have no manager to ask."
                if created.without_manager
                else ""
            )
            messages.success(request, f"Survey created with {created.invitations} invitations.{note}")
            return redirect("survey_detail", survey_id=created.survey_id)
    context = {"form": form, "defaults": DEFAULT_SEND_AFTER_DAYS, "programs": programs}
    return render(request, "web/surveys/form.html", context, status=400)


def _question_chart(question: QuestionSummary) -> SafeString:
    return bar_chart_svg(
        bars=[Bar(category=label, value=n) for label, n in question.distribution],
        y_title="Answers",
        width=300 if question.scale != "nps" else 420,
        height=140,
        description=f"Answers to: {question.text}",
    )


def _rate_groups_chart(detail: SurveyDetail) -> SafeString:
    bars = [
        Bar(category=group.label, value=round(100 * (group.rate or 0), 1))
        for group in detail.by_cohort
        if not group.suppressed
    ]
    return bar_chart_svg(
        bars=bars,
        y_title="Response rate (%)",
        width=420,
        height=180,
        description="Response rate by cohort",
        empty_message="No cohort is large enough to show.",
    )


def survey_detail_page(request: HttpRequest, survey_id: int) -> HttpResponse:
    _viewer(request)
    detail = survey_detail(survey_id=survey_id)
    if detail is None:
        raise Http404("No such survey")
    charts = {q.key: _question_chart(q) for q in detail.questions if not q.suppressed}
    questions = [{"q": q, "chart": charts.get(q.key)} for q in detail.questions]
    # The same words from many people read as one line with a count, not as a wall of repeats.
    comments = [(text, len(list(same))) for text, same in groupby(detail.comments)]
    context = {
        "detail": detail,
        "questions": questions,
        "rate_chart": _rate_groups_chart(detail),
        "comments": comments,
    }
    return render(request, "web/surveys/detail.html", context)


@require_POST
def survey_send(request: HttpRequest, survey_id: int) -> HttpResponse:
    viewer = _viewer(request)
    try:
        moved = survey_send_now(actor_id=viewer.user_id, survey_id=survey_id, now=timezone.now())
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Sending {moved} invitations now; reminders follow the schedule.")
    return redirect("survey_detail", survey_id=survey_id)


@require_POST
def survey_close_page(request: HttpRequest, survey_id: int) -> HttpResponse:
    viewer = _viewer(request)
    try:
        survey_close(actor_id=viewer.user_id, survey_id=survey_id)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The survey is closed: no more emails, no more answers.")
    return redirect("survey_detail", survey_id=survey_id)


class KnowledgeForm(forms.Form):
    questions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 18}),
        max_length=60_000,
        help_text=(
            "A question on one line, then its options, one a line: “* ” before a right answer, “- ” before "
            "a wrong one. More than one right answer: learners tick every right one. A blank line between "
            "questions."
        ),
    )


def survey_knowledge(request: HttpRequest, program_id: int) -> HttpResponse:
    """The program's knowledge-check questions, asked before and after and scored by Tandem."""
    viewer = _viewer(request)
    program = next((p for p in survey_program_choices() if p.id == program_id), None)
    if program is None:
        raise Http404("No such program")
    answered = knowledge_answered(program_id=program_id)
    form = KnowledgeForm(
        request.POST or None, initial={"questions": knowledge_questions_text(program_id=program_id)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            count = knowledge_questions_set(
                actor_id=viewer.user_id,
                program_id=program_id,
                questions=knowledge_questions_parse(text=form.cleaned_data["questions"]),
            )
        except DomainError as error:
            form.add_error("questions", str(error))
        else:
            messages.success(request, f"The knowledge check of {program.name} has {count} questions.")
            return redirect("survey_knowledge", program_id=program_id)
    context = {"program": program, "form": form, "answered": answered}
    return render(request, "web/surveys/knowledge.html", context, status=400 if form.errors else 200)


urlpatterns = [
    path("", surveys, name="surveys"),
    path("new/", survey_new, name="survey_new"),
    path("knowledge/<int:program_id>/", survey_knowledge, name="survey_knowledge"),
    path("<int:survey_id>/", survey_detail_page, name="survey_detail"),
    path("<int:survey_id>/send/", survey_send, name="survey_send"),
    path("<int:survey_id>/close/", survey_close_page, name="survey_close"),
]
