"""Which person an xAPI actor is: mbox by work email, account actors through ActorAccountMapping.

Used when statements are stored (learning records carry the person) and afterwards, when a mapping is
added or people are imported, to link what was stored unmatched (statements_relink).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Case, Count, IntegerField, Max, Q, Value, When
from django.db.models.functions import Lower

from tandem.audit.services import audit_record
from tandem.lrs.models import ActorAccountMapping, LearningRecord, Statement
from tandem.lrs.records import LrsBadRequest
from tandem.lrs.xapi import account_ifi_parts
from tandem.org.models import Person

MBOX_PREFIX = "mbox:mailto:"
ACCOUNT_PREFIX = "account:"
# Tandem's anonymous survey respondents: an account actor with homePage <TANDEM_BASE_URL>/xapi/anonymous and
# a fresh random name per response (tandem.surveys), so that no response can be linked to a person or to
# another. Matched by the path, not the whole homePage: the base URL may have changed since they were stored.
ANONYMOUS_HOME_PATH = "/xapi/anonymous"
# Actors per CASE update: one UPDATE per chunk whatever the number of people.
_RELINK_CHUNK = 500


def _unique(rows: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Key to person id, dropping keys two people share (matching either would be a guess)."""
    found: dict[str, int] = {}
    shared: set[str] = set()
    for key, person_id in rows:
        if key in found and found[key] != person_id:
            shared.add(key)
        found[key] = person_id
    return {key: person_id for key, person_id in found.items() if key not in shared}


def actor_person_ids(*, actor_ifis: Iterable[str]) -> dict[str, int]:
    """Actor IFI ("mbox:mailto:…", "account:<homePage>|<name>") to person id, for those that match.

    At most three queries: mappings, people by email, people by employee id.
    """
    emails: dict[str, str] = {}  # ifi -> lower-case email
    employee_ids: dict[str, str] = {}
    accounts: list[tuple[str, str, str]] = []
    for ifi in set(actor_ifis):
        if ifi.startswith(MBOX_PREFIX):
            emails[ifi] = ifi[len(MBOX_PREFIX) :].strip().lower()
        elif ifi.startswith(ACCOUNT_PREFIX):
            home_page, name = account_ifi_parts(value=ifi[len(ACCOUNT_PREFIX) :])
            accounts.append((ifi, home_page, name))
    if accounts:
        mappings = dict(
            ActorAccountMapping.objects.filter(home_page__in={home for _i, home, _n in accounts}).values_list(
                "home_page", "match_by"
            )
        )
        for ifi, home_page, name in accounts:
            match_by = mappings.get(home_page)
            if match_by == ActorAccountMapping.MatchBy.WORK_EMAIL:
                emails[ifi] = name.strip().lower()
            elif match_by == ActorAccountMapping.MatchBy.EMPLOYEE_ID:
                employee_ids[ifi] = name.strip()
    by_email: dict[str, int] = {}
    if emails:
        # in_array, and the org_person_email_lower index: matched on every stored batch.
        by_email = _unique(
            Person.objects.annotate(email_lower=Lower("work_email"))
            .filter(email_lower__in_array=set(emails.values()))
            .values_list("email_lower", "id")
        )
    by_employee: dict[str, int] = {}
    if employee_ids:
        by_employee = dict(
            Person.objects.filter(employee_id__in=set(employee_ids.values())).values_list("employee_id", "id")
        )
    found = {ifi: by_email[email] for ifi, email in emails.items() if email in by_email}
    found.update({ifi: by_employee[eid] for ifi, eid in employee_ids.items() if eid in by_employee})
    return found


@dataclass(frozen=True)
class RelinkResult:
    actors: int  # unmatched actors looked at
    matched: int  # of those, now linked to a person
    statements: int
    records: int


def _link(
    model: type[Statement] | type[LearningRecord],
    links: dict[str, int],
    *,
    pks: Collection[Any] | None = None,
) -> int:
    """Set person on the rows of the linked actors that have none (only rows `pks` when given)."""
    changed = 0
    items = sorted(links.items())
    for start in range(0, len(items), _RELINK_CHUNK):
        chunk = items[start : start + _RELINK_CHUNK]
        person = Case(
            *[When(actor_ifi=ifi, then=Value(person_id)) for ifi, person_id in chunk],
            output_field=IntegerField(),
        )
        rows = model.objects.filter(actor_ifi__in=[ifi for ifi, _p in chunk], person__isnull=True)
        if pks is not None:
            rows = rows.filter(pk__in=list(pks))
        changed += rows.update(person_id=person)
    return changed


@transaction.atomic
def statements_relink(
    *, home_page: str | None = None, actor_id: int | None = None, source: str = ""
) -> RelinkResult:
    """Link statements and learning records stored without a person, now that a mapping or person exists.

    home_page limits it to the account actors of one system. Bulk: one read of the unmatched actors, the
    matching queries, then one UPDATE per 500 actors per table. Audited when a person asked for it
    (actor_id) or when run for a `source` (e.g. after a people import) and something was linked.
    """
    unmatched = Statement.objects.filter(person__isnull=True).exclude(actor_ifi="")
    if home_page is not None:
        unmatched = unmatched.filter(actor_ifi__startswith=f"{ACCOUNT_PREFIX}{home_page}|")
    actors = set(unmatched.values_list("actor_ifi", flat=True).distinct())
    records = LearningRecord.objects.filter(person__isnull=True)
    if home_page is not None:
        records = records.filter(actor_ifi__startswith=f"{ACCOUNT_PREFIX}{home_page}|")
    actors |= set(records.values_list("actor_ifi", flat=True).distinct())
    links = actor_person_ids(actor_ifis=actors)
    result = RelinkResult(
        actors=len(actors),
        matched=len(links),
        statements=_link(Statement, links),
        records=_link(LearningRecord, links),
    )
    # A mapping's own relink is audited with the mapping; an automatic one only when it changed something.
    if actor_id is not None or (source and (result.statements or result.records)):
        audit_record(
            actor_id=actor_id,
            action="update",
            entity_type="lrs_statements",
            entity_id="relink",
            entity_label="Statements linked to people",
            changes={"matched": result.matched, "statements": result.statements, "records": result.records},
            summary=f"{result.statements} statement(s) and {result.records} learning record(s) linked to people"
            + (f" after {source}" if source else ""),
        )
    return result


@transaction.atomic
def actor_account_mapping_create(
    *, home_page: str, source_name: str, match_by: str, actor_id: int | None = None
) -> tuple[ActorAccountMapping, RelinkResult]:
    """Add a mapping, then link what its accounts already stored."""
    home_page = home_page.strip()
    if not home_page or "|" in home_page or ":" not in home_page:
        raise LrsBadRequest("Give the account homePage as an IRL, e.g. https://lms.example.com")
    if match_by not in ActorAccountMapping.MatchBy.values:
        raise LrsBadRequest(f"Match by one of {', '.join(ActorAccountMapping.MatchBy.values)}")
    if ActorAccountMapping.objects.filter(home_page=home_page).exists():
        raise LrsBadRequest(f"{home_page} is already mapped")
    mapping = ActorAccountMapping.objects.create(
        home_page=home_page, source_name=source_name.strip()[:200] or home_page[:200], match_by=match_by
    )
    result = statements_relink(home_page=home_page)
    audit_record(
        actor_id=actor_id,
        action="create",
        entity_type="lrs_account_mapping",
        entity_id=mapping.pk,
        entity_label=mapping.source_name,
        changes={"home_page": home_page, "match_by": match_by},
        summary=f"xAPI accounts from {home_page} mapped by {match_by}; {result.statements} statement(s) linked",
    )
    return mapping, result


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnmatchedActor:
    actor_ifi: str
    statements: int
    last_stored: dt.datetime
    home_page: str  # for account actors: the system to map; else ""
    mapped: bool  # a mapping exists for home_page, yet no person matched


def _home_page(ifi: str) -> str:
    """An account IFI's homePage ("" for other IFIs)."""
    if not ifi.startswith(ACCOUNT_PREFIX):
        return ""
    return account_ifi_parts(value=ifi[len(ACCOUNT_PREFIX) :])[0]


def anonymous_actor_q() -> Q:
    """Rows (statements, learning records) of anonymous survey respondents ("account:<base>/xapi/anonymous|<random>")."""
    return Q(actor_ifi__startswith=ACCOUNT_PREFIX, actor_ifi__contains=f"{ANONYMOUS_HOME_PATH}|")


def actor_is_anonymous(*, actor_ifi: str) -> bool:
    return actor_ifi.startswith(ACCOUNT_PREFIX) and _home_page(actor_ifi).endswith(ANONYMOUS_HOME_PATH)


def unmatched_actor_list(*, limit: int = 100) -> list[UnmatchedActor]:
    """Actors with statements but no person, most statements first, leaving out anonymous survey respondents
    (unmatched by design: anonymous_actor_summary counts them). One aggregate query, plus mappings."""
    rows = list(
        Statement.objects.filter(person__isnull=True)
        .exclude(actor_ifi="")
        .exclude(anonymous_actor_q())
        .values("actor_ifi")
        .annotate(statements=Count("id"), last_stored=Max("stored"))
        .order_by("-statements", "actor_ifi")[:limit]
    )
    homes = {_home_page(row["actor_ifi"]) for row in rows if row["actor_ifi"].startswith(ACCOUNT_PREFIX)}
    mapped = (
        set(ActorAccountMapping.objects.filter(home_page__in=homes).values_list("home_page", flat=True))
        if homes
        else set()
    )
    found = []
    for row in rows:
        ifi = row["actor_ifi"]
        home = _home_page(ifi)
        found.append(
            UnmatchedActor(
                actor_ifi=ifi,
                statements=row["statements"],
                last_stored=row["last_stored"],
                home_page=home,
                mapped=home in mapped,
            )
        )
    return found


@dataclass(frozen=True)
class UnmatchedSummary:
    """All actors without a person, split into people to match and anonymous survey respondents."""

    actors: int  # unmatched actors that could be people (mbox, accounts, other identifiers)
    statements: int
    anonymous_actors: int  # anonymous survey respondents: one per response, never matched
    anonymous_statements: int


def unmatched_actor_summary() -> UnmatchedSummary:
    """Counts of the actors no person matches, anonymous survey respondents apart (one aggregate query)."""
    anonymous = anonymous_actor_q()
    totals = (
        Statement.objects.filter(person__isnull=True)
        .exclude(actor_ifi="")
        .aggregate(
            actors=Count("actor_ifi", distinct=True, filter=~anonymous),
            statements=Count("id", filter=~anonymous),
            anonymous_actors=Count("actor_ifi", distinct=True, filter=anonymous),
            anonymous_statements=Count("id", filter=anonymous),
        )
    )
    return UnmatchedSummary(**totals)


def actor_account_mapping_list() -> list[ActorAccountMapping]:
    return list(ActorAccountMapping.objects.order_by("source_name", "home_page"))
