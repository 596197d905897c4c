"""Voiding (Data 2.3.2): voided statements leave queries but stay retrievable by voidedStatementId."""

from __future__ import annotations

import json

import pytest

from tandem.lrs.models import Statement
from tests.lrs.factories import agent, statement, voiding

pytestmark = pytest.mark.django_db


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [s["id"] for s in response.json()["statements"]]


def test_lrs_voided_statement_is_excluded_from_queries(xapi):
    target = statement()
    void = voiding(target["id"])
    assert xapi.post(target).status_code == 200
    assert xapi.post(void).status_code == 200
    assert Statement.objects.get(pk=target["id"]).voided
    # The voiding statement references the voided one and is still returned.
    assert _ids(xapi.get()) == [void["id"]]
    assert xapi.get({"statementId": target["id"]}).status_code == 404


def test_lrs_voided_statement_is_retrievable_by_voided_statement_id(xapi):
    target = statement()
    xapi.post([target, voiding(target["id"])])
    response = xapi.get({"voidedStatementId": target["id"]})
    assert response.status_code == 200 and response.json()["id"] == target["id"]
    assert response["Last-Modified"]


def test_lrs_unvoided_statement_is_404_by_voided_statement_id(xapi):
    target = statement()
    xapi.post(target)
    assert xapi.get({"voidedStatementId": target["id"]}).status_code == 404


def test_lrs_voiding_a_voiding_statement_is_rejected(xapi):
    target = statement()
    void = voiding(target["id"])
    xapi.post([target, void])
    response = xapi.post(voiding(void["id"]))
    assert response.status_code == 400 and response.json()["rule"] == "voiding"
    assert not Statement.objects.get(pk=void["id"]).voided
    assert Statement.objects.count() == 2


def test_lrs_voiding_a_voiding_statement_in_the_same_batch_is_rejected(xapi):
    void = voiding(statement()["id"])
    assert xapi.post([void, voiding(void["id"])]).status_code == 400
    assert Statement.objects.count() == 0


def test_lrs_voiding_unknown_target_is_accepted_and_voids_it_on_arrival(xapi):
    """Data 2.3.2: the LRS SHOULD NOT reject a voiding statement whose target it does not have."""
    target = statement()
    assert xapi.post(voiding(target["id"])).status_code == 200
    assert xapi.post(target).status_code == 200
    assert Statement.objects.get(pk=target["id"]).voided
    assert xapi.get({"voidedStatementId": target["id"]}).status_code == 200


def test_lrs_voiding_needs_statement_ref_object(xapi):
    bad = statement(verb="http://adlnet.gov/expapi/verbs/voided")
    assert xapi.post(bad).status_code == 400


def test_lrs_voiding_statement_matches_filters_of_its_target(xapi):
    target = statement(actor=agent("ben@example.com"))
    void = voiding(target["id"], actor=agent("admin@example.com"))
    xapi.post([target, void])
    assert _ids(xapi.get({"agent": json.dumps(agent("ben@example.com"))})) == [void["id"]]
