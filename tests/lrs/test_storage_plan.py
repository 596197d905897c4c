"""The filtered list query is served by an index (PostgreSQL; SQLite plans are not representative)."""

from __future__ import annotations

import pytest
from django.db import connection

from tandem.lrs.records import StatementFilter
from tandem.lrs.selectors import statement_querysets
from tandem.lrs.services import statements_store
from tests.lrs.factories import ATTEMPTED, LrsClientFactory, agent, statement

pytestmark = pytest.mark.django_db


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # A tiny test table would otherwise be scanned whole, or read through a bitmap and sorted; at scale the
        # planner prefers the ordered index scan this checks for.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans are checked on PostgreSQL")
def test_lrs_storage_verb_query_uses_an_index():
    client = LrsClientFactory()
    statements_store(
        statements=[statement(actor=agent(f"p{i}@example.com")) for i in range(50)]
        + [statement(verb=ATTEMPTED)],
        version="1.0.3",
        client=client,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE lrs_statement")
    direct, targeting = statement_querysets(filters=StatementFilter(verb=ATTEMPTED, max_seq=10_000))
    plan = _plan(direct.values_list("exact")[:101])
    print(plan)  # shown with -s; docs/lrs-storage.md quotes it
    assert "Index Scan" in plan and "lrs_stmt_verb_seq" in plan and "Sort" not in plan
    plan = _plan(targeting.values_list("exact")[:101])
    print(plan)
    assert "lrs_stmt_targeting_seq" in plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans are checked on PostgreSQL")
def test_lrs_storage_agent_query_uses_relation_index():
    client = LrsClientFactory()
    statements_store(
        statements=[statement(actor=agent(f"p{i}@example.com")) for i in range(50)],
        version="1.0.3",
        client=client,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE lrs_statement")
        cursor.execute("ANALYZE lrs_statementrelation")
    # The newest (or oldest) page is read in order from (kind, value, seq): no sort of the agent's history.
    for ascending in (False, True):
        filters = StatementFilter(agent_ifi="mbox:mailto:p7@example.com", max_seq=10_000, ascending=ascending)
        direct = statement_querysets(filters=filters)[0]
        plan = _plan(direct.values_list("seq", "exact", "stored")[:101])
        print(plan)
        assert "Index Scan" in plan and "lrs_rel_value_seq" in plan and "Sort" not in plan
        assert ("Backward" in plan.split("lrs_rel_value_seq")[0].rsplit("\n", 1)[-1]) is not ascending
