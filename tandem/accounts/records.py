"""Plain values the accounts app hands to pages (models stay inside accounts)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class RoleGrantRecord:
    role: str
    role_label: str
    org_unit_codes: tuple[str, ...]
    org_unit_names: tuple[str, ...]
    granted_at: dt.datetime


@dataclass(frozen=True)
class UserRecord:
    id: int
    email: str
    name: str
    is_active: bool
    is_superuser: bool
    last_login: dt.datetime | None
    date_joined: dt.datetime
    person_employee_id: str | None
    person_name: str | None
    grants: tuple[RoleGrantRecord, ...]

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(grant.role for grant in self.grants)


@dataclass(frozen=True)
class UserPage:
    rows: tuple[UserRecord, ...]
    number: int
    num_pages: int
    count: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages
