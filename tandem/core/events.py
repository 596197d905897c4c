"""A small in-process event registry: how one domain layer tells a sibling that something happened.

Sibling layers (tandem.imports and tandem.lrs) may not import each other, yet the LRS must link learning
records to people once a people import has written them. The publisher names an event here; the
subscriber registers a handler from its AppConfig.ready. Handlers run after the publishing transaction
commits (never for a rolled-back write), each on its own: one failing handler is logged and does not stop
the others or the publisher. A handler should only queue work (a django-tasks task taking ids), never do it
inline, so that the publisher's request is not held up.

Payloads are plain JSON values (ids, counts), because handlers pass them on to tasks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)

Payload = Mapping[str, int | str | None]
Handler = Callable[[Payload], None]

# People were created or updated by an import: {"import_run_id": int}.
PEOPLE_IMPORTED = "people.imported"

_handlers: dict[str, list[Handler]] = {}


def event_subscribe(*, name: str, handler: Handler) -> None:
    """Call handler(payload) after each commit that published `name` (registering twice is a no-op)."""
    handlers = _handlers.setdefault(name, [])
    if handler not in handlers:
        handlers.append(handler)


def event_unsubscribe(*, name: str, handler: Handler) -> None:
    handlers = _handlers.get(name, [])
    if handler in handlers:
        handlers.remove(handler)


def event_handlers(*, name: str) -> list[Handler]:
    return list(_handlers.get(name, []))


def _run(name: str, handler: Handler, payload: Payload) -> None:
    try:
        handler(payload)
    except Exception:  # a subscriber's failure must not undo or break the publisher's committed write
        logger.exception("Handler %r of event %s failed", handler, name)


def event_publish(*, name: str, payload: Payload) -> None:
    """Schedule every handler of `name` for after the current transaction commits (now outside one)."""
    for handler in event_handlers(name=name):
        transaction.on_commit(partial(_run, name, handler, dict(payload)))
