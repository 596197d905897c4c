"""Matching xAPI actors to people: mbox by work email, accounts through mappings, and relinking later."""

from __future__ import annotations

import datetime as dt
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


def _people_csv(*rows: tuple[str, str]) -> bytes:
    lines = ["employee_id,first_name,last_name,work_email,org_unit_code,hire_date"]
    lines += [f"{eid},Ann,Lee {eid},{email},CO,2024-01-15" for eid, email in rows]
    return ("\n".join(lines) + "\n").encode()


def test_a_people_import_links_learning_records_after_it_commits(
    lrs_client, django_capture_on_commit_callbacks
):
    """The imports -> lrs seam: the import publishes after commit, the LRS's task relinks (no button)."""
    from tandem.audit.models import AuditEvent
    from tandem.imports.services import import_run_confirm, import_run_submit
    from tandem.org.models import Person
    from tandem.org.services import org_unit_create

    org_unit_create(actor_id=None, code="CO", name="Company", kind="company", valid_from=dt.date(2020, 1, 1))
    _store(lrs_client, statement(actor=agent("new@example.com")), statement(actor=agent("other@example.com")))
    assert not Statement.objects.filter(person__isnull=False).exists()
    run = import_run_submit(
        actor_id=None, kind="people", filename="people.csv", content=_people_csv(("E1", "New@Example.com"))
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        import_run_confirm(run_id=run.pk, actor_id=None)
    assert callbacks  # the relink was queued for after the commit, not run inside the import
    person = Person.objects.get(employee_id="E1")
    assert Statement.objects.get(actor_ifi="mbox:mailto:new@example.com").person_id == person.pk
    assert LearningRecord.objects.get(actor_ifi="mbox:mailto:new@example.com").person_id == person.pk
    assert Statement.objects.get(actor_ifi="mbox:mailto:other@example.com").person_id is None
    event = AuditEvent.objects.get(entity_type="lrs_statements")
    assert f"after people import #{run.pk}" in event.summary


def test_a_refused_people_import_queues_no_relink(lrs_client, django_capture_on_commit_callbacks):
    from tandem.imports.services import import_run_submit

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = import_run_submit(
            actor_id=None, kind="people", filename="p.csv", content=_people_csv(("E1", "x@example.com"))
        )
    assert run.status == "invalid"  # no org unit CO: nothing written, nothing published
    assert not callbacks


def test_the_relink_task_is_safe_to_run_twice(lrs_client):
    from tandem.lrs.tasks import learning_people_relink_task

    _store(lrs_client, statement(actor=agent("new@example.com")))
    PersonFactory(work_email="new@example.com")
    assert "1 statement(s), 1 record(s)" in learning_people_relink_task.call(import_run_id=7)
    assert "0 statement(s), 0 record(s)" in learning_people_relink_task.call(import_run_id=7)
