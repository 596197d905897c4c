"""PUT and POST /xapi/statements: storing, ids, authority, version, batches, conflicts, people."""

from __future__ import annotations

import copy
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tandem.lrs.models import LearningRecord, Statement, StatementRelation
from tandem.lrs.selectors import stored_text
from tandem.lrs.services import statements_store, statements_store_generated
from tests.factories import PersonFactory
from tests.lrs.factories import COMPLETED, COURSE, Xapi, agent, statement

pytestmark = pytest.mark.django_db


def test_lrs_statement_put_returns_204(xapi):
    data = statement()
    response = xapi.put(data, data["id"])
    assert response.status_code == 204 and response.content == b""
    assert Statement.objects.filter(pk=data["id"]).exists()


def test_lrs_statement_put_takes_id_from_parameter(xapi):
    data = statement(with_id=False)
    statement_id = str(uuid.uuid4())
    assert xapi.put(data, statement_id).status_code == 204
    assert Statement.objects.get(pk=statement_id).exact["id"] == statement_id


def test_lrs_statement_put_without_statement_id_is_400(xapi):
    response = xapi.put(statement(), None)
    assert response.status_code == 400 and "statementId" in response.json()["error"]


def test_lrs_statement_put_id_mismatch_is_400(xapi):
    response = xapi.put(statement(), str(uuid.uuid4()))
    assert response.status_code == 400
    assert Statement.objects.count() == 0


def test_lrs_statement_post_single_returns_list_of_ids(xapi):
    data = statement(with_id=False)
    response = xapi.post(data)
    assert response.status_code == 200
    ids = response.json()
    assert len(ids) == 1 and uuid.UUID(ids[0])
    assert Statement.objects.get(pk=ids[0]).exact["id"] == ids[0]


def test_lrs_statement_post_batch_returns_ids_in_order(xapi):
    batch = [statement(), statement(with_id=False), statement()]
    ids = xapi.post(batch).json()
    assert ids[0] == batch[0]["id"] and ids[2] == batch[2]["id"] and len(ids) == 3
    assert Statement.objects.count() == 3


def test_lrs_statement_batch_is_all_or_nothing(xapi):
    bad = statement()
    del bad["actor"]
    response = xapi.post([statement(), bad, statement()])
    assert response.status_code == 400
    body = response.json()
    assert body["field"].startswith("[1]") and "actor" in body["field"] and body["rule"]
    assert Statement.objects.count() == 0


def test_lrs_statement_bad_uuid_is_400_naming_field(xapi):
    response = xapi.post(statement() | {"id": "not-a-uuid"})
    assert response.status_code == 400 and "id" in response.json()["field"]


def test_lrs_statement_batch_with_duplicate_ids_is_400(xapi):
    data = statement()
    assert xapi.post([data, dict(data)]).status_code == 400
    assert Statement.objects.count() == 0


def test_lrs_statement_existing_id_equivalent_is_noop_204(xapi):
    data = statement()
    assert xapi.put(data, data["id"]).status_code == 204
    before = Statement.objects.get(pk=data["id"])
    assert xapi.put(data, data["id"]).status_code == 204
    assert xapi.post([data]).json() == [data["id"]]
    after = Statement.objects.get(pk=data["id"])
    assert (after.stored, after.seq, after.exact) == (before.stored, before.seq, before.exact)


def test_lrs_statement_existing_id_different_content_is_409(xapi):
    data = statement()
    xapi.put(data, data["id"])
    changed = statement(verb="http://adlnet.gov/expapi/verbs/attempted") | {"id": data["id"]}
    assert xapi.put(changed, data["id"]).status_code == 409
    # A conflict anywhere in a batch stores nothing of it.
    response = xapi.post([statement(), changed])
    assert response.status_code == 409
    assert Statement.objects.count() == 1


def test_id_conflict_message_names_the_fields_that_differ(xapi):
    """Issue 13 §2: an id conflict says which fields differ, not only that the content does."""
    data = statement(result={"score": {"raw": 5}})
    assert xapi.post(data).status_code == 200
    changed = {**data, "actor": {**data["actor"], "name": "Ann B."}, "result": {"score": {"raw": 6}}}
    response = xapi.post(changed)
    assert response.status_code == 409
    error = response.json()["error"]
    assert f"Statement {data['id']} is already stored with different content" in error
    assert "(differs in actor.name, result.score.raw)" in error
    assert "send a new id for a different statement" in error


def test_lrs_statement_lrs_sets_stored_authority_and_timestamp(xapi, lrs_client):
    data = statement(authority=agent("someone@example.com", "Impostor"))
    xapi.post(data)
    row = Statement.objects.get(pk=data["id"])
    exact = row.exact
    assert exact["authority"] == lrs_client.authority  # overwritten from the credential
    assert exact["stored"].endswith("Z") and exact["timestamp"] == exact["stored"]
    # The columns agree with the text (the time is set under the lock, after the JSON was prepared).
    assert exact["stored"] == stored_text(row.stored) and row.timestamp == row.stored


@pytest.mark.parametrize(("version", "expected"), [("1.0.3", "1.0.0"), ("2.0.0", "2.0.0")])
def test_lrs_statement_missing_version_is_set_per_spec(client, lrs_client, version, expected):

    data = statement()
    Xapi(client, lrs_client.key, version).post(data)
    row = Statement.objects.get(pk=data["id"])
    assert row.exact["version"] == expected == row.version


def test_lrs_statement_given_version_is_kept(xapi):
    data = statement(version="1.0.3" if xapi.version == "1.0.3" else "2.0.0")
    xapi.post(data)
    assert Statement.objects.get(pk=data["id"]).exact["version"] == data["version"]


def test_lrs_statement_actor_is_matched_to_person_by_work_email(xapi):
    person = PersonFactory(work_email="Ann.Lee@Example.com")
    data = statement(actor=agent("ann.lee@example.com"))
    other = statement(actor=agent("nobody@example.com"))
    xapi.post([data, other])
    assert Statement.objects.get(pk=data["id"]).person_id == person.pk
    assert Statement.objects.get(pk=other["id"]).person_id is None


def test_lrs_statement_relations_cover_context_and_substatement(xapi):
    data = statement(
        context={
            "instructor": agent("teacher@example.com"),
            "contextActivities": {"parent": [{"id": "http://example.com/programme"}]},
        },
        obj={
            "objectType": "SubStatement",
            "actor": agent("sub@example.com"),
            "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
            "object": {"objectType": "Activity", "id": COURSE},
        },
    )
    assert xapi.post(data).status_code == 200
    found = set(StatementRelation.objects.values_list("kind", "value", "relation"))
    assert ("agent", "mbox:mailto:teacher@example.com", "context") in found
    assert ("activity", "http://example.com/programme", "context") in found
    assert ("agent", "mbox:mailto:sub@example.com", "substatement") in found
    assert ("activity", COURSE, "substatement") in found


AT = "2026-11-01T10:00:00Z"


def _stored_rows() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[tuple[object, ...]]]:
    statements = list(
        Statement.objects.order_by("seq").values_list(
            "id", "seq", "timestamp", "actor_ifi", "verb_id", "object_activity_id", "registration", "voided",
            "person_id",
        )
    )  # fmt: skip
    relations = sorted(StatementRelation.objects.values_list("statement_id", "kind", "value", "relation"))
    records = sorted(
        LearningRecord.objects.values_list(
            "actor_ifi", "activity_id", "person_id", "attempts", "statements", "completed", "passed",
            "best_score_scaled", "total_seconds",
        )
    )  # fmt: skip
    return statements, relations, records


def test_lrs_generated_statements_are_stored_as_validated_ones_are(lrs_client):
    """statements_store_generated (the demo's path) writes what statements_store writes, minus validation."""
    ann = PersonFactory(work_email="ann@example.com")
    batch = [
        statement(actor=agent("ann@example.com"), verb=COMPLETED, timestamp=AT),
        statement(
            actor=agent("ben@example.com"),
            activity=f"{COURSE}/2",
            context={"registration": str(uuid.uuid4())},
            timestamp=AT,
        ),
        statement(
            actor={"objectType": "Agent", "account": {"homePage": "https://lms.example", "name": "7"}},
            timestamp=AT,
        ),
    ]
    statements_store(statements=copy.deepcopy(batch), version="1.0.3", client=lrs_client)
    validated = _stored_rows()
    Statement.objects.all().delete()
    LearningRecord.objects.all().delete()
    statements_store_generated(statements=copy.deepcopy(batch), version="1.0.3", client=lrs_client)
    generated = _stored_rows()
    assert [row[:1] + row[2:] for row in generated[0]] == [row[:1] + row[2:] for row in validated[0]]
    assert generated[1:] == validated[1:]
    assert validated[0][0][-1] == ann.pk and validated[2]


def test_lrs_batch_writes_statements_and_relations_in_one_insert_each(lrs_client):
    batch = [statement(actor=agent(f"p{i}@example.com"), activity=f"{COURSE}/{i % 7}") for i in range(300)]
    with CaptureQueriesContext(connection) as queries:
        statements_store(statements=batch, version="1.0.3", client=lrs_client)
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(("INSERT", "COPY"))]
    assert sum('"lrs_statement" ' in sql for sql in inserts) <= 1
    assert sum('"lrs_statementrelation"' in sql for sql in inserts) <= 1
    assert len(queries.captured_queries) <= 20
    assert Statement.objects.count() == 300
