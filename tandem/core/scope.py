"""Who may see which people: a plain value computed by accounts and applied by every selector.

Defined here (the lowest layer) so that org, metrics and later apps can filter by it without
importing accounts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PersonScope:
    """The set of people (and org units) a viewer may see individual records for.

    everyone: L&D roles see the whole workforce.
    org_unit_ids: stakeholder scope, descendants already expanded.
    person_ids: managers' reporting line (direct and indirect) and the viewer's own record.
    """

    everyone: bool = False
    org_unit_ids: frozenset[int] = frozenset()
    person_ids: frozenset[int] = frozenset()

    @property
    def is_empty(self) -> bool:
        return not self.everyone and not self.org_unit_ids and not self.person_ids

    @classmethod
    def all(cls) -> PersonScope:
        return cls(everyone=True)

    @classmethod
    def nobody(cls) -> PersonScope:
        return cls()


class AccessDenied(Exception):
    """A viewer asked for something outside their scope. Views answer 403 (or 404 to hide existence).

    The message says in words what is missing; `ask` (optional) whom to ask for it. str() is both, so the
    JSON API's reason and the 403 page say the same.
    """

    def __init__(self, message: str = "", *, ask: str = "") -> None:
        super().__init__(message)
        self.reason = message
        self.ask = ask

    def __str__(self) -> str:
        return f"{self.reason} {self.ask}".strip()


class DomainError(Exception):
    """A rule of the domain was broken by the input; the message is shown to the person as is."""
