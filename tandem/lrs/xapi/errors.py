"""The one exception the xAPI validation layer raises."""

from __future__ import annotations


class XapiValidationError(ValueError):
    """A statement (or a value in it) breaks an xAPI requirement.

    ``field`` is a JSON path into the statement ("actor.mbox",
    "context.contextActivities.parent[0].id", "[3].verb.id" in a batch); ``rule`` is the short
    human-readable requirement that was broken. The HTTP layer maps this to 400 Bad Request.
    """

    def __init__(self, *, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")

    def __str__(self) -> str:
        return f"{self.field}: {self.rule}"
