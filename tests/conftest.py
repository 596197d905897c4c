from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import Client

from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def make_user(db: Any):
    """make_user(roles=[...], person=..., org_units=[...]) -> a saved user with those role grants."""
    from tandem.accounts.models import RoleGrant

    def _make(
        *,
        roles: list[str] | None = None,
        person: Any = None,
        org_units: list[Any] | None = None,
        email: str | None = None,
    ) -> Any:
        kwargs: dict[str, Any] = {"roles": roles or [], "person": person}
        if email:
            kwargs["email"] = email
        user = UserFactory(**kwargs)
        if org_units:
            for grant in RoleGrant.objects.filter(user=user, role="stakeholder"):
                grant.org_units.set(org_units)
        return user

    return _make


@pytest.fixture
def login(client: Client):
    def _login(user: Any) -> Client:
        client.force_login(user)
        return client

    return _login


@dataclass
class SmtpSink:
    """A real SMTP server in this process; messages land in .messages."""

    host: str
    port: int
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpSink]:
    """Runs aiosmtpd on a free port and points Django's SMTP backend at it."""
    sink = SmtpSink(host="127.0.0.1", port=_free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = sink.host
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    try:
        yield sink
    finally:
        controller.stop()
