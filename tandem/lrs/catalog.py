"""The seam between xAPI activities and the learning catalog (which arrives in a later issue).

An xAPI activity is identified by an IRI; a catalog item (a course, a module, a video) may list the IRIs its
content sends. `activity_catalog_match` turns activity IRIs into catalog keys. Until a catalog exists no
matcher is registered and it returns {}: pages then show the activity's own name, and nothing else changes.

How the catalog issue plugs in (the LRS must not import the catalog app, which sits above it):

1. The catalog app writes a matcher, a function `(activity_iris: Collection[str]) -> dict[str, str]`
   answering from its own table (one query for all IRIs: e.g. `CatalogItemActivity(iri, item_key)`).
2. Its `AppConfig.ready()` calls `activity_catalog_matcher_register(matcher=...)`.
3. Optionally it stores the match in `ActivityDefinition.catalog_item_key` (the column exists for this), so
   LRS reads can join it without calling out; the matcher stays the source of truth.

Readers call `activity_catalog_match` with every IRI of a page at once, never per row.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol


class ActivityCatalogMatcher(Protocol):
    def __call__(self, activity_iris: Collection[str]) -> dict[str, str]: ...


_matchers: list[ActivityCatalogMatcher] = []


def activity_catalog_matcher_register(*, matcher: ActivityCatalogMatcher) -> None:
    """Add a matcher (idempotent: registering the same function twice keeps one)."""
    if matcher not in _matchers:
        _matchers.append(matcher)


def activity_catalog_matcher_clear() -> None:
    """Forget every matcher (tests)."""
    _matchers.clear()


def activity_catalog_match(*, activity_iris: Collection[str]) -> dict[str, str]:
    """Catalog item key per activity IRI, for the IRIs a catalog item claims; IRIs without one are left out.

    Exact IRI match: xAPI compares activity ids as strings (Data 2.4.4.1), so no normalisation here. With
    several matchers the first that claims an IRI wins.
    """
    iris = [iri for iri in dict.fromkeys(activity_iris) if iri]
    if not iris or not _matchers:
        return {}
    asked = set(iris)
    found: dict[str, str] = {}
    for matcher in _matchers:
        for iri, key in matcher(iris).items():
            if iri in asked:
                found.setdefault(iri, key)
    return found
