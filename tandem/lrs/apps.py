from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _sqlite_text_tolerant(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Every SQLite connection reads TEXT through config.sqlite.sqlite_text: statements and documents stored by
    an earlier release with lone surrogates read as U+FFFD instead of failing the page (PostgreSQL never
    stored them: its JSON and UTF-8 text refuse them)."""
    if connection.vendor == "sqlite":
        from config.sqlite import sqlite_text

        connection.connection.text_factory = sqlite_text


class LrsConfig(AppConfig):
    name = "tandem.lrs"
    label = "lrs"

    def ready(self) -> None:
        connection_created.connect(_sqlite_text_tolerant, dispatch_uid="tandem.lrs.sqlite_text")
        from tandem.core.events import PEOPLE_IMPORTED, event_subscribe
        from tandem.lrs.tasks import on_people_imported

        # Learning records link to people by themselves after a people import (tandem.imports publishes).
        event_subscribe(name=PEOPLE_IMPORTED, handler=on_people_imported)
