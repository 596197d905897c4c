"""LRS test data: credentials (with a known secret) and valid statements."""

from __future__ import annotations

import base64
import copy
import uuid
from typing import Any

import factory
from django.contrib.auth.hashers import make_password

from tandem.lrs.models import LrsClient
from tandem.lrs.services import AUTHORITY_HOME_PAGE

SECRET = "s3cret-for-tests"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
ATTEMPTED = "http://adlnet.gov/expapi/verbs/attempted"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
COURSE = "http://example.com/activities/course-1"


class LrsClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LrsClient

    name = factory.Sequence(lambda n: f"Client {n}")
    key = factory.Sequence(lambda n: f"key{n:04d}")
    secret_hash = factory.LazyFunction(lambda: make_password(SECRET))
    scopes = factory.LazyFunction(lambda: ["statements/write", "statements/read"])
    authority = factory.LazyAttribute(
        lambda c: {
            "objectType": "Agent",
            "name": c.name,
            "account": {"homePage": AUTHORITY_HOME_PAGE, "name": c.key},
        }
    )
    authority_ifi = factory.LazyAttribute(lambda c: f"account:{AUTHORITY_HOME_PAGE}|{c.key}")


def basic_auth(key: str, secret: str = SECRET) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def agent(email: str = "ann@example.com", name: str = "Ann") -> dict[str, Any]:
    return {"objectType": "Agent", "mbox": f"mailto:{email}", "name": name}


def statement(
    *,
    actor: dict[str, Any] | None = None,
    verb: str = COMPLETED,
    activity: str = COURSE,
    obj: dict[str, Any] | None = None,
    with_id: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """A valid statement under both 1.0.3 and 2.0.0."""
    data: dict[str, Any] = {
        "actor": copy.deepcopy(actor) if actor else agent(),
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[-1]}},
        "object": obj or {"objectType": "Activity", "id": activity},
        **extra,
    }
    if with_id:
        data = {"id": str(uuid.uuid4()), **data}
    return data


def voiding(target_id: str, **extra: Any) -> dict[str, Any]:
    return statement(verb=VOIDED, obj={"objectType": "StatementRef", "id": target_id}, **extra)
