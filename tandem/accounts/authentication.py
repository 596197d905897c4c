"""Log-in by email address, case-insensitively: the address typed is normalised the way accounts store it.

Accounts store their email in lower case (UserManager), so "Ann@Example.COM " signs in as ann@example.com.
The lockout (django-axes) counts failures under the same normalised address (AXES_USERNAME_CALLABLE), so
changing the case of the address does not buy an attacker fresh attempts.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest


def email_normalise(value: object) -> str:
    return str(value or "").strip().lower()


class EmailBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        return super().authenticate(
            request,
            username=email_normalise(username) if username is not None else None,
            password=password,
            **kwargs,
        )


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """AXES_USERNAME_CALLABLE: the address the lockout counts failures under."""
    if credentials and credentials.get("username") is not None:
        return email_normalise(credentials.get("username"))
    return email_normalise(request.POST.get("username", "") if request is not None else "")
