"""Invitation links: the token in a link is derived from a stored salt with the secret key; the database
keeps only the token's SHA-256, so a copy of the database alone opens no survey."""

from __future__ import annotations

import base64
import hashlib

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import salted_hmac

TOKEN_SALT = "tandem.surveys.invitation"  # noqa: S105 (an HMAC key salt, not a secret)


def invitation_token(*, salt: str) -> str:
    """The secret in an invitation's link: derived from its stored salt with the secret key, so it can be
    written into every reminder while the database itself holds only its hash."""
    digest = salted_hmac(TOKEN_SALT, salt, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def token_hash(*, token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invitation_link(*, salt: str) -> str:
    path = reverse("survey_answer", kwargs={"token": invitation_token(salt=salt)})
    return f"{settings.TANDEM_BASE_URL}{path}"
