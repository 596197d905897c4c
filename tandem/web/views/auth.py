"""Log in/out, password change and reset: Django's views with our templates, plus security audit events.

Reset emails go out through the configured email transport (SMTP in production). The "email sent" page
is the same whether or not the address has an account, so the form cannot be used to probe for users.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse_lazy

from tandem.accounts.authentication import email_normalise
from tandem.accounts.services import security_event_record
from tandem.accounts.signals import request_ip


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "web/auth/form.html"
    extra_context = {"title": "Change your password", "submit": "Change password"}

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        security_event_record(
            event="password_changed", user_id=self.request.user.pk, ip_address=request_ip(self.request)
        )
        return response


def _reset_allowed(*, key: str, limit: int) -> bool:
    """Counts one request under key in the cache window; False once the window holds more than limit."""
    window = settings.TANDEM_PASSWORD_RESET_WINDOW_SECONDS
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count <= limit


class PasswordResetView(auth_views.PasswordResetView):
    """Sending is throttled per address and per client (counted whether or not the address has an account, so
    the answer never tells who has one): beyond the limits the form answers 429 and says when to try again."""

    template_name = "web/auth/password_reset_form.html"
    email_template_name = "web/auth/password_reset_email.txt"
    subject_template_name = "web/auth/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        address = email_normalise(form.cleaned_data["email"])
        digest = hashlib.sha256(address.encode()).hexdigest()
        client = request_ip(self.request) or "unknown"
        allowed = _reset_allowed(
            key=f"password-reset:client:{client}", limit=settings.TANDEM_PASSWORD_RESET_PER_CLIENT
        ) and _reset_allowed(
            key=f"password-reset:email:{digest}", limit=settings.TANDEM_PASSWORD_RESET_PER_EMAIL
        )
        if not allowed:
            security_event_record(event="password_reset_throttled", email=address, ip_address=client)
            minutes = max(1, settings.TANDEM_PASSWORD_RESET_WINDOW_SECONDS // 60)
            form.add_error(
                None,
                "Too many reset requests for this address or from your network. A link already sent stays "
                f"valid: check your inbox (and spam folder), or try again in {minutes} minutes.",
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        response = super().form_valid(form)
        # Recorded whatever the address: the audit log is for L&D admins, not for the person asking.
        security_event_record(
            event="password_reset_requested",
            email=form.cleaned_data["email"],
            ip_address=request_ip(self.request),
        )
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "web/auth/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        security_event_record(
            event="password_reset_completed", user_id=form.user.pk, ip_address=request_ip(self.request)
        )
        return response


urlpatterns = [
    path(
        "login/",
        login_not_required(
            auth_views.LoginView.as_view(
                template_name="web/auth/login.html", redirect_authenticated_user=True
            )
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),  # POST only (Django 5)
    path("password/change/", PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="web/auth/message.html",
            extra_context={"title": "Password changed", "text": "Your password has been changed."},
        ),
        name="password_change_done",
    ),
    path("password/reset/", login_not_required(PasswordResetView.as_view()), name="password_reset"),
    path(
        "password/reset/sent/",
        login_not_required(
            auth_views.PasswordResetDoneView.as_view(
                template_name="web/auth/password_reset_done.html",
                extra_context={"timeout_hours": max(1, settings.PASSWORD_RESET_TIMEOUT // 3600)},
            )
        ),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        login_not_required(PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        login_not_required(
            auth_views.PasswordResetCompleteView.as_view(
                template_name="web/auth/message.html",
                extra_context={
                    "title": "Password set",
                    "text": "Your new password is set. You can log in with it now.",
                    "link_url": reverse_lazy("login"),
                    "link_text": "Log in",
                },
            )
        ),
        name="password_reset_complete",
    ),
]


def lockout_response(request: Any, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """django-axes calls this once a username and address have failed too often (AXES_LOCKOUT_CALLABLE)."""
    from axes.helpers import get_cool_off, get_failure_limit

    cool_off = get_cool_off(request)
    minutes = max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else None
    return render(
        request,
        "web/auth/locked_out.html",
        {"minutes": minutes, "failure_limit": get_failure_limit(request, credentials)},
        status=429,
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a readable 403 (usually a form left open past its session) instead of Django's page."""
    return render(
        request,
        "web/403.html",
        {"reason": "This form has expired or did not come from Tandem. Reload the page and try again."},
        status=403,
    )
