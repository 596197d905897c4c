"""The answer page behind an invitation link: no log-in (the personal token is the key), works on a phone
without JavaScript. CSRF still applies: the form carries the token like every other form."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.cache import never_cache

from tandem.core.scope import DomainError
from tandem.surveys.results import AnswersInvalid, AnswerValue, PublicSurvey, SurveyLinkError
from tandem.surveys.selectors import survey_invitation_open
from tandem.surveys.services import survey_response_submit

logger = logging.getLogger(__name__)

MAX_TOKEN_LENGTH = 100


def _unavailable(request: HttpRequest, error: SurveyLinkError) -> HttpResponse:
    return render(
        request,
        "web/surveys/public/unavailable.html",
        {"title": error.title, "message": str(error)},
        status=error.status,
    )


def _picked(value: AnswerValue | None) -> list[str]:
    """The options ticked before a form comes back with errors (as the strings the inputs carry)."""
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [] if value in (None, "") else [str(value)]


def _form(
    request: HttpRequest,
    survey: PublicSurvey,
    *,
    values: dict[str, AnswerValue],
    errors: dict[str, str],
    status: int = 200,
) -> HttpResponse:
    questions = [
        {
            "q": q,
            "value": values.get(q.key, ""),
            "picked": _picked(values.get(q.key)),
            "error": errors.get(q.key, ""),
        }
        for q in survey.questions
    ]
    context = {"survey": survey, "questions": questions, "errors": errors}
    return render(request, "web/surveys/public/answer.html", context, status=status)


@login_not_required
@never_cache  # a personal page: not for shared caches or the back button of a shared phone
def answer(request: HttpRequest, token: str) -> HttpResponse:
    if len(token) > MAX_TOKEN_LENGTH:
        return render(
            request,
            "web/surveys/public/unavailable.html",
            {"title": SurveyLinkError.title, "message": "This link is not a survey link."},
            status=404,
        )
    now = timezone.now()
    try:
        survey = survey_invitation_open(token=token, now=now)
    except SurveyLinkError as error:
        return _unavailable(request, error)
    if request.method != "POST":
        return _form(request, survey, values={}, errors={})
    values: dict[str, AnswerValue] = {
        q.key: request.POST.getlist(q.key) if q.multiple else request.POST.get(q.key, "")
        for q in survey.questions
    }
    try:
        survey_response_submit(token=token, answers=values, now=now)
    except AnswersInvalid as error:
        return _form(request, survey, values=values, errors=error.errors, status=400)
    except SurveyLinkError as error:
        return _unavailable(request, error)
    except DomainError:
        # E.g. the LRS refused the statement (a misconfigured TANDEM_BASE_URL): nothing was stored.
        logger.exception("A survey response could not be recorded")
        return render(
            request,
            "web/surveys/public/unavailable.html",
            {
                "title": "Your answers could not be saved",
                "message": "Nothing was lost on your side: please try again in a little while.",
            },
            status=503,
        )
    return render(request, "web/surveys/public/done.html", {"survey": survey})


urlpatterns = [
    path("<str:token>/", answer, name="survey_answer"),
]
