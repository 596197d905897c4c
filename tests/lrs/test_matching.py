"""Matching xAPI actors to people: mbox by work email, accounts through mappings, and relinking later."""

from __future__ import annotations

from typing import Any

import pytest

from tandem.lrs.matching import (
    actor_account_mapping_create,
    actor_person_ids,
    statements_relink,
    unmatched_actor_list,
)
from tandem.lrs.models import ActorAccountMapping, LearningRecord, Statement
from tandem.lrs.records import LrsBadRequest
from tandem.lrs.services import statements_store
from tests.factories import PersonFactory
from tests.lrs.factories import agent, statement

pytestmark = pytest.mark.django_db

LMS = "https://lms.example.com"


def _account(name: str, home_page: str = LMS) -> dict[str, Any]:
    return {"objectType": "Agent", "account": {"homePage": home_page, "name": name}}


def _store(client: Any, *statements: dict[str, Any]) -> None:
    statements_store(statements=list(statements), version="1.0.3", client=client)


def test_actor_person_ids_by_email_and_mapping():
    ann = PersonFactory(employee_id="E1", work_email="Ann.Lee@Example.com")
    ben = PersonFactory(employee_id="E2", work_email="ben@example.com")
    PersonFactory(employee_id="E3", work_email="shared@example.com")
    PersonFactory(employee_id="E4", work_email="SHARED@example.com")
    ActorAccountMapping.objects.create(home_page=LMS, source_name="LMS", match_by="employee_id")
    ActorAccountMapping.objects.create(
        home_page="https://hr.example.com", source_name="HR", match_by="work_email"
    )
    found = actor_person_ids(
        actor_ifis=[
            "mbox:mailto:ann.lee@example.com",
            "mbox:mailto:shared@example.com",
            f"account:{LMS}|E2",
            f"account:{LMS}|E9",
            "account:https://hr.example.com|ANN.LEE@example.com",
            "account:https://other.example.com|E1",
            "openid:https://id.example.com/ann",
        ]
    )
    assert found == {
        "mbox:mailto:ann.lee@example.com": ann.pk,
        f"account:{LMS}|E2": ben.pk,
        "account:https://hr.example.com|ANN.LEE@example.com": ann.pk,
    }


def test_account_statements_link_at_ingest_when_mapped(lrs_client):
    ann = PersonFactory(employee_id="E1")
    ActorAccountMapping.objects.create(home_page=LMS, source_name="LMS", match_by="employee_id")
    _store(lrs_client, statement(actor=_account("E1")), statement(actor=_account("E2")))
    assert LearningRecord.objects.get(actor_ifi=f"account:{LMS}|E1").person_id == ann.pk
    assert Statement.objects.get(actor_ifi=f"account:{LMS}|E1").person_id == ann.pk
    assert Statement.objects.get(actor_ifi=f"account:{LMS}|E2").person_id is None


def test_mapping_added_later_relinks_statements_and_records(lrs_client, make_user):
    ann = PersonFactory(employee_id="E1")
    _store(
        lrs_client,
        statement(actor=_account("E1")),
        statement(actor=_account("E1"), activity="http://x.com/2"),
    )
    _store(lrs_client, statement(actor=_account("E7")))
    assert [a.statements for a in unmatched_actor_list()] == [2, 1]
    admin = make_user(roles=["ld_admin"])
    _mapping, result = actor_account_mapping_create(
        home_page=LMS, source_name="LMS", match_by="employee_id", actor_id=admin.pk
    )
    assert (result.matched, result.statements, result.records) == (1, 2, 2)
    assert set(Statement.objects.filter(person=ann).values_list("actor_ifi", flat=True)) == {
        f"account:{LMS}|E1"
    }
    assert LearningRecord.objects.filter(person=ann).count() == 2
    assert [(a.actor_ifi, a.mapped) for a in unmatched_actor_list()] == [(f"account:{LMS}|E7", True)]
    with pytest.raises(LrsBadRequest):
        actor_account_mapping_create(home_page=LMS, source_name="again", match_by="employee_id")


def test_people_imported_later_are_relinked(lrs_client):
    _store(lrs_client, statement(actor=agent("new@example.com")))
    assert Statement.objects.get().person_id is None
    person = PersonFactory(work_email="New@Example.com")
    result = statements_relink()
    assert (result.statements, result.records) == (1, 1)
    assert Statement.objects.get().person_id == person.pk
    assert LearningRecord.objects.get().person_id == person.pk
    assert statements_relink().statements == 0  # nothing left to link
