"""statements_browse (the L&D statements browser and "My learning"): filtered by agent it walks the agent's
relation rows newest first, as GET /statements does, and pages exactly as the plain pk__in query did."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tandem.lrs.models import Statement, StatementRelation
from tandem.lrs.selectors import statements_browse
from tandem.lrs.services import statements_store
from tests.factories import PersonFactory
from tests.lrs.factories import ATTEMPTED, COMPLETED, LrsClientFactory, agent, statement, voiding

pytestmark = pytest.mark.django_db

ANN = "mbox:mailto:ann@example.com"
MENTORED = "http://id.tincanapi.com/verb/mentored"


def _store(*statements: dict[str, Any]) -> list[uuid.UUID]:
    stored = statements_store(statements=list(statements), version="1.0.3", client=LrsClientFactory())
    return [uuid.UUID(statement_id) for statement_id in stored]


def _reference(
    *,
    person_id: int | None = None,
    agent_ifi: str | None = None,
    verb: str | None = None,
    activity: str | None = None,
    since: dt.datetime | None = None,
) -> list[uuid.UUID]:
    """What statements_browse returned before the relation walk: every match newest first, by pk__in."""
    statements = Statement.objects.filter(voided=False)
    if person_id is not None:
        statements = statements.filter(person_id=person_id)
    if agent_ifi:
        statements = statements.filter(
            pk__in=StatementRelation.objects.filter(
                kind=StatementRelation.Kind.AGENT,
                value=agent_ifi,
                relation__in=[StatementRelation.Relation.ACTOR, StatementRelation.Relation.OBJECT],
            ).values("statement_id")
        )
    if verb:
        statements = statements.filter(verb_id=verb)
    if activity:
        statements = statements.filter(object_activity_id=activity)
    if since is not None:
        statements = statements.filter(stored__gt=since)
    return list(statements.order_by("-seq").values_list("id", flat=True))


def _walk(*, limit: int, **filters: Any) -> list[uuid.UUID]:
    """Every page from the first, following `before`, concatenated."""
    found: list[uuid.UUID] = []
    before = None
    for _ in range(1000):
        page = statements_browse(limit=limit, before=before, **filters)
        assert len(page.rows) <= limit
        found += [row.id for row in page.rows]
        if page.before is None:
            return found
        assert page.before == page.rows[-1].seq
        before = page.before
    raise AssertionError("paging does not end")


@pytest.fixture
def history() -> dict[str, Any]:
    """Ann as actor, as object (Bob mentored Ann), as both (Ann mentored Ann), a voided statement of hers,
    and other people's statements in between; stored one batch after another, so seq follows this order."""
    ann = PersonFactory(work_email="ann@example.com")
    PersonFactory(work_email="bob@example.com")
    ids: dict[str, Any] = {"ann_person": ann.pk, "both": [], "object": [], "actor": []}
    for i in range(12):
        if i % 3 == 0:
            ids["both"] += _store(statement(actor=agent(), verb=MENTORED, obj=agent()))
        elif i % 3 == 1:
            ids["object"] += _store(
                statement(actor=agent("bob@example.com", "Bob"), verb=MENTORED, obj=agent())
            )
        else:
            ids["actor"] += _store(
                statement(verb=ATTEMPTED if i % 2 else COMPLETED, activity=f"http://example.com/a/{i}")
            )
        _store(statement(actor=agent(f"other{i}@example.com")))
    ids["voided"] = _store(statement(verb=ATTEMPTED))[0]
    _store(voiding(str(ids["voided"]), actor=agent("bob@example.com", "Bob")))
    return ids


def test_browse_statement_naming_agent_as_actor_and_object_appears_once(history):
    rows = statements_browse(agent_ifi=ANN).rows
    ids = [row.id for row in rows]
    assert len(ids) == len(set(ids)) == 12
    assert set(history["both"]) <= set(ids)
    assert ids == _reference(agent_ifi=ANN)
    assert [row.seq for row in rows] == sorted((row.seq for row in rows), reverse=True)


def test_browse_agent_paging_has_no_gaps_or_duplicates(history):
    expected = _reference(agent_ifi=ANN)
    assert len(expected) == 12
    # Small pages put a statement naming Ann twice at every page edge, so _head has to read on.
    for limit in range(1, 6):
        assert _walk(limit=limit, agent_ifi=ANN) == expected, limit


def test_browse_agent_excludes_voided_statements(history):
    ids = {row.id for row in statements_browse(agent_ifi=ANN).rows}
    assert history["voided"] not in ids
    assert Statement.objects.get(pk=history["voided"]).voided
    assert StatementRelation.objects.filter(statement_id=history["voided"], value=ANN).exists()


@pytest.mark.parametrize(
    "filters",
    [
        {"verb": MENTORED},
        {"verb": ATTEMPTED},
        {"verb": COMPLETED, "activity": "http://example.com/a/2"},
        {"activity": "http://example.com/a/5"},
        {"verb": "http://example.com/never"},
    ],
    ids=["mentored", "attempted", "completed-activity", "activity", "no-match"],
)
def test_browse_agent_combined_with_other_filters_matches_the_plain_query(history, filters):
    expected = _reference(agent_ifi=ANN, **filters)
    assert _walk(limit=2, agent_ifi=ANN, **filters) == expected
    if filters == {"verb": MENTORED}:
        # Ann mentored Ann (both) and Bob mentored Ann (object): 8 statements, once each.
        assert set(expected) == set(history["both"]) | set(history["object"])


def test_browse_agent_combined_with_person_and_since(history):
    person = history["ann_person"]
    expected = _reference(agent_ifi=ANN, person_id=person)
    # Bob's "Bob mentored Ann" names Ann but is Bob's statement: not on Ann's own page.
    assert not set(expected) & set(history["object"])
    assert _walk(limit=3, agent_ifi=ANN, person_id=person) == expected
    middle = Statement.objects.get(pk=history["object"][1]).stored
    later = _reference(agent_ifi=ANN, since=middle)
    assert 0 < len(later) < 12
    assert _walk(limit=2, agent_ifi=ANN, since=middle) == later


def test_browse_without_agent_is_unchanged(history):
    assert _walk(limit=7) == _reference()
    assert _walk(limit=4, verb=ATTEMPTED) == _reference(verb=ATTEMPTED)
    assert _walk(limit=5, person_id=history["ann_person"]) == _reference(person_id=history["ann_person"])


def _statement_queries(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if "lrs_statement" in query["sql"]]


def test_browse_agent_query_count_is_constant():
    ann = "ann@example.com"
    _store(*(statement(actor=agent(ann), activity=f"http://example.com/a/{i}") for i in range(3)))
    with CaptureQueriesContext(connection) as few:
        assert len(statements_browse(agent_ifi=ANN).rows) == 3
    # Three pages' worth of Ann's statements among others': the first page costs the same.
    _store(*(statement(actor=agent(ann), activity=f"http://example.com/b/{i % 7}") for i in range(130)))
    _store(*(statement(actor=agent(f"p{i}@example.com")) for i in range(40)))
    with CaptureQueriesContext(connection) as many:
        page = statements_browse(agent_ifi=ANN, verb=COMPLETED)
    assert len(page.rows) == 50 and page.before is not None
    # The statements (one query, driven by the relation rows) and the activities' canonical names.
    assert len(many.captured_queries) == len(few.captured_queries) == 2
    statements_sql = _statement_queries(many)
    # Read from the relation rows, each statement joined by primary key (not a pk IN (subquery)).
    assert len(statements_sql) == 1
    assert 'FROM "lrs_statementrelation" INNER JOIN "lrs_statement"' in statements_sql[0]
    with CaptureQueriesContext(connection) as later:
        statements_browse(agent_ifi=ANN, verb=COMPLETED, before=page.before)
    assert len(later.captured_queries) == 2


def test_browse_agent_named_twice_costs_at_most_one_more_query():
    # Every statement names Ann twice: the first read of 51 rows holds 25 or 26 statements, so _head reads on
    # once (two rows per statement at most: actor and object), never per statement.
    _store(*(statement(actor=agent(), verb=MENTORED, obj=agent()) for _ in range(120)))
    with CaptureQueriesContext(connection) as queries:
        page = statements_browse(agent_ifi=ANN)
    assert len(page.rows) == 50 and len({row.id for row in page.rows}) == 50
    assert len(_statement_queries(queries)) == 2
    assert len(queries.captured_queries) <= 3
    assert [row.id for row in page.rows] == _reference(agent_ifi=ANN)[:50]


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        # As tests/lrs/test_storage_plan.py: a tiny table would otherwise be scanned whole; at scale the
        # planner prefers the ordered index scan this checks for.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans are checked on PostgreSQL")
@pytest.mark.parametrize("verb", [None, COMPLETED])
def test_browse_agent_query_walks_the_relation_index(verb):
    _store(*(statement(actor=agent(f"p{i}@example.com")) for i in range(50)))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE lrs_statement")
        cursor.execute("ANALYZE lrs_statementrelation")
    with CaptureQueriesContext(connection) as queries:
        statements_browse(agent_ifi="mbox:mailto:p7@example.com", verb=verb)
    (sql,) = _statement_queries(queries)
    plan = _plan(sql)
    print(plan)  # shown with -s
    # Newest first straight from (kind, value, seq): no sort of the agent's history.
    assert "Index" in plan and "lrs_rel_value_seq" in plan and "Sort" not in plan
    assert "Backward" in plan.split("lrs_rel_value_seq")[0].rsplit("\n", 1)[-1]
