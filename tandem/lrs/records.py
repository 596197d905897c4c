"""Plain values passed between the LRS services, selectors and the xAPI views."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from tandem.core.scope import DomainError

DEFAULT_LIMIT = 100
MAX_LIMIT = 500


class LrsError(DomainError):
    """A request the LRS refuses; `status` is the HTTP status the xAPI views answer with."""

    status = 400

    def __init__(self, message: str, *, field: str = "", rule: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule


class LrsBadRequest(LrsError):
    status = 400


class LrsNotFound(LrsError):
    status = 404


class LrsConflict(LrsError):
    status = 409


@dataclass(slots=True)
class StoredStatement:
    """A statement as the write path has just stored it: what the steps after the insert read (activity
    definitions, learning records). A plain row, not a Statement instance: building the model instances
    took about 12% of the bulk preload's time."""

    id: uuid.UUID
    seq: int
    exact: dict[str, Any]
    stored: dt.datetime
    timestamp: dt.datetime
    version: str
    actor_ifi: str
    verb_id: str
    object_activity_id: str | None
    object_statement_ref: uuid.UUID | None
    registration: uuid.UUID | None
    voided: bool
    person_id: int | None = None


@dataclass(frozen=True)
class ClientCredentials:
    """What lrs_client_create/rotate hand back once: the secret is never stored in clear."""

    key: str
    secret: str


@dataclass(frozen=True)
class StatementFilter:
    """The filtering part of GET /statements (everything that `more` must carry to the next page)."""

    agent_ifi: str | None = None
    verb: str | None = None
    activity: str | None = None
    registration: uuid.UUID | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    ascending: bool = False
    limit: int = DEFAULT_LIMIT
    format: str = "exact"
    # statements/read/mine: only statements with this authority.
    authority_ifi: str | None = None
    # Paging state: statements with seq beyond `after_seq` (in the query's direction), none above `max_seq`.
    after_seq: int | None = None
    max_seq: int | None = None


@dataclass(frozen=True)
class StatementPage:
    statements: list[dict[str, Any]]
    more: StatementFilter | None
    consistent_through: dt.datetime
    last_stored: dt.datetime | None = field(default=None)
