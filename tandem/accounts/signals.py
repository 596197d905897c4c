"""Security events for the audit log, from Django's and django-axes' authentication signals.

These receivers only write audit rows (a side effect of logging in); no domain logic runs in a signal.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from tandem.accounts.services import security_event_record


def request_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # axes has already resolved the client address (proxy-aware when configured); reuse it.
    return getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR")


@receiver(user_logged_in, dispatch_uid="tandem_audit_login")
def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    security_event_record(event="login", user_id=user.pk, email=user.email, ip_address=request_ip(request))


@receiver(user_logged_out, dispatch_uid="tandem_audit_logout")
def _logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None and user.pk is not None:
        security_event_record(
            event="logout", user_id=user.pk, email=user.email, ip_address=request_ip(request)
        )


@receiver(user_login_failed, dispatch_uid="tandem_audit_login_failed")
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Django has already masked the password in `credentials`; only the typed username is kept.
    email = str(credentials.get("username") or credentials.get("email") or "")
    security_event_record(event="login_failed", email=email, ip_address=request_ip(request))


@receiver(user_locked_out, dispatch_uid="tandem_audit_locked_out")
def _locked_out(
    sender: Any, request: HttpRequest | None, username: str | None, ip_address: str | None, **kwargs: Any
) -> None:
    security_event_record(event="locked_out", email=username or "", ip_address=ip_address)
