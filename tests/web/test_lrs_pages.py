"""Learning data pages: overview, data quality (unmatched actors), adding a mapping, relinking."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tandem.accounts.models import Role
from tandem.audit.models import AuditEvent
from tandem.lrs.models import ActorAccountMapping, LearningRecord, Statement
from tandem.lrs.services import statements_store
from tests.factories import PersonFactory
from tests.lrs.factories import COMPLETED, LrsClientFactory, agent, statement

pytestmark = pytest.mark.django_db

LMS = "https://lms.example.com"


def _account(name: str) -> dict[str, Any]:
    return {"objectType": "Agent", "account": {"homePage": LMS, "name": name}}


@pytest.fixture
def statements():
    client = LrsClientFactory()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    batch = []
    for i in range(12):
        PersonFactory(employee_id=f"P{i}", work_email=f"p{i}@example.com")
        batch.append(statement(actor=agent(f"p{i}@example.com"), verb=COMPLETED, timestamp=now.isoformat()))
        batch.append(statement(actor=agent(f"p{i}@example.com"), activity=f"http://example.com/a/{i % 4}"))
    for i in range(30):  # unmatched: i+1 statements from account actor A{i}
        batch += [statement(actor=_account(f"A{i}")) for _ in range(i % 3 + 1)]
    batch.append(statement(actor=agent("stranger@example.com")))
    statements_store(statements=batch, version="1.0.3", client=client)
    return batch


def test_overview_shows_records_without_n_plus_one(client, make_user, statements):
    client.force_login(make_user(roles=[Role.LD_TEAM]))
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/learning/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "learning records" in body and "Completions per month" in body and "<svg" in body
    assert "/people/P3/" in body
    first = len(queries.captured_queries)
    statements_store(
        statements=[
            statement(actor=agent(f"p{i}@example.com"), activity="http://example.com/z") for i in range(12)
        ],
        version="1.0.3",
        client=LrsClientFactory(),
    )
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/learning/").status_code == 200
    assert len(queries.captured_queries) == first
    assert first <= 15


def test_data_quality_lists_unmatched_actors_with_counts(client, make_user, statements):
    client.force_login(make_user(roles=[Role.LD_TEAM]))
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/learning/data-quality/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f"account:{LMS}|A2" in body and "stranger@example.com" in body
    assert f"no mapping for <code>{LMS}</code>" in body
    rows = response.context["unmatched"]
    assert rows[0].statements == 3 and len(rows) == 31
    assert "Add and link" not in body  # L&D team may look, not map
    assert len(queries.captured_queries) <= 10


def test_ld_admin_adds_mapping_and_statements_link(client, make_user, statements):
    for i in range(3):
        PersonFactory(employee_id=f"A{i}")
    admin = make_user(roles=[Role.LD_ADMIN])
    client.force_login(admin)
    assert "Add and link" in client.get("/learning/data-quality/").content.decode()
    response = client.post(
        "/learning/data-quality/mappings/",
        {"home_page": LMS, "source_name": "LMS", "match_by": "employee_id"},
    )
    assert response.status_code == 302
    assert ActorAccountMapping.objects.get().match_by == "employee_id"
    assert LearningRecord.objects.filter(actor_ifi=f"account:{LMS}|A2", person__employee_id="A2").exists()
    assert AuditEvent.objects.filter(entity_type="lrs_account_mapping").exists()
    again = client.post("/learning/data-quality/mappings/", {"home_page": LMS, "match_by": "employee_id"})
    assert again.status_code == 400 and "already mapped" in again.content.decode()


def test_relink_after_people_import(client, make_user, statements):
    PersonFactory(employee_id="S1", work_email="stranger@example.com")
    client.force_login(make_user(roles=[Role.LD_ADMIN]))
    assert client.post("/learning/data-quality/relink/").status_code == 302
    assert Statement.objects.get(actor_ifi="mbox:mailto:stranger@example.com").person is not None


def test_ld_team_cannot_map_or_relink(client, make_user, statements):
    client.force_login(make_user(roles=[Role.LD_TEAM]))
    response = client.post("/learning/data-quality/mappings/", {"home_page": LMS, "match_by": "employee_id"})
    assert response.status_code == 403
    assert client.post("/learning/data-quality/relink/").status_code == 403
    assert not ActorAccountMapping.objects.exists()
