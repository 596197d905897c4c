"""The LRS credential Tandem's own apps (surveys, ...) store their statements under.

It has no usable secret, so it can never be used over HTTP: it only names the `authority` of the
statements an app writes through tandem.lrs.services.statements_store.
"""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction

from tandem.audit.services import audit_record
from tandem.lrs.models import LrsClient, LrsScope
from tandem.lrs.selectors import agent_key
from tandem.lrs.services import AUTHORITY_HOME_PAGE


def lrs_internal_client_get(*, app: str) -> LrsClient:
    """The internal client of one app ("surveys"), created on first use; safe when two callers race."""
    key = f"tandem-{app}"[:64]
    client = LrsClient.objects.filter(key=key).first()
    if client is not None:
        return client
    authority = {
        "objectType": "Agent",
        "name": f"Tandem {app}",
        "account": {"homePage": AUTHORITY_HOME_PAGE, "name": key},
    }
    try:
        with transaction.atomic():
            client = LrsClient.objects.create(
                name=f"Tandem {app} (internal)",
                key=key,
                secret_hash=make_password(None),  # unusable: no secret opens it
                scopes=[LrsScope.STATEMENTS_WRITE.value],
                authority=authority,
                authority_ifi=agent_key(authority) or f"account:{AUTHORITY_HOME_PAGE}|{key}",
            )
            audit_record(
                actor_id=None,
                action="create",
                entity_type="lrs_client",
                entity_id=client.pk,
                entity_label=client.name,
                changes={"scopes": client.scopes},
                summary=f"Internal LRS credential {key} created for Tandem's {app}",
            )
    except IntegrityError:
        # Another request created it between our read and our insert.
        return LrsClient.objects.get(key=key)
    return client
