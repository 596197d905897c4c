"""Activities and Agents resources (xAPI 1.0.3 Communication 2.4-2.5; 2.0 4.1.6.3-4.1.6.4) and the canonical
activity definitions merged from stored statements."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tandem.lrs.activities import activity_definition_merge, activity_definitions_merge
from tandem.lrs.documents import person_get
from tandem.lrs.models import ActivityDefinition, ActorAccountMapping, Statement
from tandem.lrs.records import StoredStatement
from tandem.lrs.services import statements_store
from tests.factories import PersonFactory
from tests.lrs.factories import COURSE, LrsClientFactory, agent, basic_auth, statement

# GET /xapi/agents for an identity with linked statements: the credential, then person_get's four queries.
QUERIES_AGENTS = 5


def _get(client: Client, path: str, params: dict[str, Any], key: str, version: str):
    return client.get(path, params, HTTP_AUTHORIZATION=basic_auth(key), HTTP_X_EXPERIENCE_API_VERSION=version)


@pytest.fixture
def reader(db: Any) -> str:
    return str(LrsClientFactory(scopes=["statements/write", "statements/read"]).key)


def _store(*statements: dict[str, Any]) -> None:
    statements_store(statements=list(statements), version="1.0.3", client=LrsClientFactory())


def _activity(definition: dict[str, Any], activity_id: str = COURSE) -> dict[str, Any]:
    return {"objectType": "Activity", "id": activity_id, "definition": definition}


# --- canonical definitions ---------------------------------------------------------------------


def test_activity_resource_returns_the_merged_canonical_definition(client: Client, reader: str, version: str):
    """Communication 2.5.s1: the complete Activity Object; 2.1.3.s4.b2: the LRS may keep canonical
    language maps. The most recent definition wins per property; language maps merge."""
    _store(statement(obj=_activity({"name": {"en-US": "Course"}, "type": "http://example.com/types/a"})))
    _store(
        statement(
            obj=_activity(
                {
                    "name": {"de": "Kurs"},
                    "description": {"en-US": "About"},
                    "type": "http://example.com/types/b",
                }
            )
        )
    )
    response = _get(client, "/xapi/activities", {"activityId": COURSE}, reader, version)
    assert response.status_code == 200
    assert response.json() == {
        "objectType": "Activity",
        "id": COURSE,
        "definition": {
            "name": {"en-US": "Course", "de": "Kurs"},
            "description": {"en-US": "About"},
            "type": "http://example.com/types/b",
        },
    }
    assert response["Last-Modified"]


def test_activity_definitions_in_one_batch_merge_in_statement_order(db: Any):
    _store(
        statement(obj=_activity({"name": {"en-US": "First"}})),
        statement(obj=_activity({"name": {"en-US": "Second", "fr": "Deuxième"}})),
    )
    assert ActivityDefinition.objects.get(activity_id=COURSE).definition == {
        "name": {"en-US": "Second", "fr": "Deuxième"}
    }


def test_interaction_components_merge_descriptions_by_id():
    old = {"choices": [{"id": "a", "description": {"en-US": "A"}}], "extensions": {"http://x/e1": 1}}
    new = {
        "choices": [{"id": "a", "description": {"de": "A-de"}}, {"id": "b", "description": {"en-US": "B"}}]
    }
    merged = activity_definition_merge(old=old, new={**new, "extensions": {"http://x/e2": 2}})
    assert merged["choices"] == [
        {"id": "a", "description": {"en-US": "A", "de": "A-de"}},
        {"id": "b", "description": {"en-US": "B"}},
    ]
    assert merged["extensions"] == {"http://x/e1": 1, "http://x/e2": 2}
    assert old["choices"][0]["description"] == {"en-US": "A"}  # inputs untouched
    assert new["choices"][0]["description"] == {"de": "A-de"}
    assert old["extensions"] == {"http://x/e1": 1}


def test_activities_named_only_in_context_or_substatements_are_known(
    client: Client, reader: str, version: str
):
    parent = "http://example.com/activities/program"
    inner = "http://example.com/activities/inner"
    _store(
        statement(context={"contextActivities": {"parent": [{"id": parent}]}}),
        statement(
            obj={
                "objectType": "SubStatement",
                "actor": agent(),
                "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
                "object": _activity({"name": {"en-US": "Inner"}}, inner),
            }
        ),
    )
    assert _get(client, "/xapi/activities", {"activityId": parent}, reader, version).json() == {
        "objectType": "Activity",
        "id": parent,
    }
    inner_activity = _get(client, "/xapi/activities", {"activityId": inner}, reader, version).json()
    assert inner_activity["definition"] == {"name": {"en-US": "Inner"}}


def test_unknown_activity_is_404_under_1_0_3(client: Client, reader: str):
    response = _get(client, "/xapi/activities", {"activityId": "http://example.com/never"}, reader, "1.0.3")
    assert response.status_code == 404


def test_xapi_2_0_activities_resource_unknown_iri_is_an_activity_with_only_its_id(
    client: Client, reader: str
):
    """xAPI 2.0 (4.1.6.4 Activities Resource): an IRI no statement named is answered 200 with an Activity
    Object holding only its id (not 404), and no Last-Modified (nothing was stored)."""
    response = _get(client, "/xapi/activities", {"activityId": "http://example.com/never"}, reader, "2.0.0")
    assert response.status_code == 200
    assert response.json() == {"id": "http://example.com/never"}
    assert "Last-Modified" not in response


def test_activity_definitions_merge_is_bulk_whatever_the_batch_size(db: Any):
    """One read plus one bulk insert and one bulk update per batch, for 1 or 60 activities."""
    client = LrsClientFactory()

    def counted(count: int, offset: int) -> int:
        statements_store(
            statements=[
                statement(obj=_activity({"name": {"en-US": f"A{n}"}}, f"http://example.com/a/{n}"))
                for n in range(offset, offset + count)
            ],
            version="1.0.3",
            client=client,
        )
        rows = [
            StoredStatement(**{name: getattr(row, name) for name in StoredStatement.__slots__})
            for row in Statement.objects.order_by("-seq")[:count]
        ]
        # Half the activities are new, half already known: both the insert and the update happen.
        for row in rows[: count // 2 or 1]:
            row.exact["object"]["definition"]["name"]["de"] = "neu"
        with CaptureQueriesContext(connection) as queries:
            activity_definitions_merge(rows=rows)
        return len(queries)

    assert counted(1, 0) <= 4
    assert counted(60, 100) <= 4


# --- agents ------------------------------------------------------------------------------------


def test_agents_resource_returns_a_person_with_the_ifi_and_names_seen(
    client: Client, reader: str, version: str
):
    """Communication 2.4.s2/s5: a Person object, each property an array."""
    _store(statement(actor=agent(name="Ann")), statement(actor=agent(name="Ann B.")))
    response = _get(
        client, "/xapi/agents", {"agent": json.dumps({"mbox": "mailto:ann@example.com"})}, reader, version
    )
    assert response.status_code == 200
    person = response.json()
    assert person["objectType"] == "Person"
    assert person["mbox"] == ["mailto:ann@example.com"]
    assert sorted(person["name"]) == ["Ann", "Ann B."]
    assert set(person) <= {"objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"}


def test_agents_resource_for_an_unknown_agent_returns_what_was_asked(
    client: Client, reader: str, version: str
):
    """Communication 2.4.s3.b3: with no other information, a Person with the requested Agent's data."""
    account = {"homePage": "https://lms.example.com", "name": "u-1"}
    response = _get(
        client, "/xapi/agents", {"agent": json.dumps({"account": account, "name": "U"})}, reader, version
    )
    assert response.json() == {"objectType": "Person", "name": ["U"], "account": [account]}


LMS = "https://lms.example.com"


def _account(name: str, display: str) -> dict[str, Any]:
    return {"objectType": "Agent", "account": {"homePage": LMS, "name": name}, "name": display}


@pytest.fixture
def ann_identities(db: Any) -> Any:
    """Ann (work email ann@example.com) wrote statements by mbox and by an LMS account mapped by employee id."""
    ann = PersonFactory(employee_id="E1", work_email="Ann@Example.com")
    PersonFactory(employee_id="E2", work_email="ben@example.com")
    ActorAccountMapping.objects.create(home_page=LMS, source_name="LMS", match_by="employee_id")
    _store(
        statement(actor=agent(name="Ann")),
        statement(actor=_account("E1", "Ann Lee")),
        statement(actor=_account("E2", "Ben")),
        statement(actor={"openid": "https://id.example.com/someone", "name": "Someone"}),
    )
    return ann


def _person(client: Client, reader: str, version: str, requested: dict[str, Any]) -> dict[str, Any]:
    response = _get(client, "/xapi/agents", {"agent": json.dumps(requested)}, reader, version)
    assert response.status_code == 200
    return response.json()


def test_agents_resource_combines_every_identity_linked_to_the_person(
    client: Client, reader: str, version: str, ann_identities: Any
):
    """Communication 2.4.s1: "a Person Object … combining all identities the LRS knows refer to the same person".
    Ann's mbox and her mapped LMS account are both hers: asked by either, both come back, the requested one first."""
    account = {"homePage": LMS, "name": "E1"}
    by_account = _person(client, reader, version, {"account": account})
    assert by_account == {
        "objectType": "Person",
        "name": ["Ann Lee", "Ann"],
        "account": [account],
        "mbox": ["mailto:ann@example.com"],  # the statements' mbox; the work email differs only in case
    }
    by_mbox = _person(client, reader, version, {"mbox": "mailto:ann@example.com", "name": "A. Lee"})
    assert by_mbox == {
        "objectType": "Person",
        "name": ["A. Lee", "Ann Lee", "Ann"],
        "mbox": ["mailto:ann@example.com"],
        "account": [account],
    }


def test_agents_resource_adds_the_work_email_of_the_person(
    client: Client, reader: str, version: str, db: Any
):
    """An account the LRS links to a person brings the person's work email, even with no statement by mbox."""
    PersonFactory(employee_id="E7", work_email="Cleo.Park@Example.com")
    ActorAccountMapping.objects.create(home_page=LMS, source_name="LMS", match_by="employee_id")
    _store(statement(actor=_account("E7", "Cleo")))
    person = _person(client, reader, version, {"account": {"homePage": LMS, "name": "E7"}})
    assert person["mbox"] == ["mailto:Cleo.Park@example.com"]
    assert person["name"] == ["Cleo"]


def test_agents_resource_matches_an_identity_with_no_statements_yet(
    client: Client, reader: str, version: str, ann_identities: Any
):
    """The matching rules apply before any statement: an HR-system account never seen is still Ann's."""
    hr = "https://hr.example.com"
    ActorAccountMapping.objects.create(home_page=hr, source_name="HR", match_by="work_email")
    account = {"homePage": hr, "name": "ann@example.com"}
    person = _person(client, reader, version, {"account": account})
    assert person["account"] == [account, {"homePage": LMS, "name": "E1"}]
    assert person["mbox"] == ["mailto:ann@example.com"]
    fresh = _person(client, reader, version, {"mbox": "mailto:ben@EXAMPLE.com"})
    assert fresh["mbox"] == ["mailto:ben@EXAMPLE.com"]  # as asked; the work email is the same address
    assert fresh["account"] == [{"homePage": LMS, "name": "E2"}]


def test_agents_resource_for_an_unmatched_agent_lists_only_its_own_identity(
    client: Client, reader: str, version: str, ann_identities: Any
):
    requested = {"openid": "https://id.example.com/someone"}
    assert _person(client, reader, version, requested) == {
        "objectType": "Person",
        "name": ["Someone"],
        "openid": ["https://id.example.com/someone"],
    }


def test_agents_resource_queries_are_bounded_by_identities_and_statements(
    client: Client, reader: str, version: str, ann_identities: Any, django_assert_max_num_queries: Any
):
    """No query per identity or statement: eleven more identities of Ann's cost no more queries."""
    requested = {"account": {"homePage": LMS, "name": "E1"}}
    with django_assert_max_num_queries(QUERIES_AGENTS):
        first = _person(client, reader, version, requested)
    _store(
        *[statement(actor=agent(email="Ann@example.com", name="Ann")) for _ in range(3)],
        *[statement(actor={"openid": f"https://id.example.com/other{n}"}) for n in range(10)],
    )
    for n in range(10):
        ActorAccountMapping.objects.get_or_create(
            home_page=f"https://lms{n}.example.com",
            defaults={"source_name": f"L{n}", "match_by": "employee_id"},
        )
    _store(
        *[
            statement(actor={"account": {"homePage": f"https://lms{n}.example.com", "name": "E1"}})
            for n in range(10)
        ]
    )
    with django_assert_max_num_queries(QUERIES_AGENTS):
        second = _person(client, reader, version, requested)
    assert len(second["account"]) == len(first["account"]) + 10
    assert second["mbox"] == ["mailto:Ann@example.com", "mailto:ann@example.com"]


def test_person_get_is_a_fixed_number_of_queries_on_every_path(
    ann_identities: Any, django_assert_max_num_queries: Any
):
    """Stored link: four queries. Matching rules (an account with no linked statement): six. Unmatched: two."""
    with django_assert_max_num_queries(4):
        person_get(agent={"mbox": "mailto:ann@example.com"}, ifi="mbox:mailto:ann@example.com")
    PersonFactory(employee_id="E3")
    with django_assert_max_num_queries(6):
        person = person_get(agent={"account": {"homePage": LMS, "name": "E3"}}, ifi=f"account:{LMS}|E3")
    assert person["mbox"] == ["mailto:e3@example.com"]
    with django_assert_max_num_queries(2):
        person_get(agent={"openid": "https://x.example.com"}, ifi="openid:https://x.example.com")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "agent"),
        ({"agent": "{"}, "agent"),
        ({"agent": json.dumps({"objectType": "Group", "mbox": "mailto:g@example.com"})}, "agent.objectType"),
        ({"agent": json.dumps({"mbox": "mailto:a@example.com", "openid": "http://a.example.com"})}, "agent"),
        ({"agent": json.dumps({"mbox": "mailto:a@example.com"}), "extra": "1"}, "extra"),
    ],
)
def test_agents_resource_bad_agent_is_400(
    client: Client, reader: str, version: str, params: dict, field: str
):
    """Communication 2.4.s2: the agent parameter is an Agent with a single identifier, not a Group."""
    response = _get(client, "/xapi/agents", params, reader, version)
    assert response.status_code == 400
    assert response.json()["field"].startswith(field)


@pytest.mark.parametrize("params", [{}, {"activityId": "no scheme"}, {"activityId": COURSE, "x": "1"}])
def test_activities_resource_bad_parameters_are_400(client: Client, reader: str, version: str, params: dict):
    assert _get(client, "/xapi/activities", params, reader, version).status_code == 400


@pytest.mark.parametrize("path", ["/xapi/activities", "/xapi/agents"])
def test_activities_and_agents_need_a_read_scope(client: Client, db: Any, version: str, path: str):
    """Communication 2.4.s3.b1/b2: insufficiently privileged requests → 403."""
    key = LrsClientFactory(scopes=["statements/write"]).key
    params = {"activityId": COURSE} if path.endswith("activities") else {"agent": json.dumps(agent())}
    assert _get(client, path, params, key, version).status_code == 403
    assert client.get(path, params, HTTP_X_EXPERIENCE_API_VERSION=version).status_code == 401


@pytest.mark.parametrize("path", ["/xapi/activities", "/xapi/agents"])
def test_activities_and_agents_are_read_only(client: Client, reader: str, version: str, path: str):
    response = client.put(path, HTTP_AUTHORIZATION=basic_auth(reader), HTTP_X_EXPERIENCE_API_VERSION=version)
    assert response.status_code == 405


# --- the catalog seam (tandem.lrs.catalog) --------------------------------------------------------------


def test_activity_catalog_match_is_empty_without_a_catalog():
    from tandem.lrs.catalog import activity_catalog_match

    assert activity_catalog_match(activity_iris=["http://example.com/a/1"]) == {}


def test_activity_catalog_match_uses_registered_matchers_by_exact_iri(db):
    """Activity ids are compared as exact IRIs (Data 2.4.4.1): no case folding or trailing-slash games."""
    from tandem.lrs.catalog import (
        activity_catalog_match,
        activity_catalog_matcher_clear,
        activity_catalog_matcher_register,
    )
    from tandem.lrs.selectors import statements_browse
    from tandem.lrs.services import statements_store
    from tests.lrs.factories import LrsClientFactory, statement

    calls: list[list[str]] = []

    def catalog(activity_iris):
        calls.append(sorted(activity_iris))
        known = {"http://example.com/a/1": "COURSE-1", "http://example.com/other": "X"}
        return {iri: known[iri] for iri in activity_iris if iri in known}

    activity_catalog_matcher_register(matcher=catalog)
    activity_catalog_matcher_register(matcher=catalog)  # idempotent
    try:
        found = activity_catalog_match(activity_iris=["http://example.com/a/1", "http://example.com/A/1"])
        assert found == {"http://example.com/a/1": "COURSE-1"}
        statements_store(
            statements=[
                statement(activity="http://example.com/a/1"),
                statement(activity="http://example.com/a/2"),
            ],
            version="1.0.3",
            client=LrsClientFactory(),
        )
        calls.clear()
        rows = statements_browse().rows
        assert {row.activity_id: row.catalog_key for row in rows} == {
            "http://example.com/a/1": "COURSE-1",
            "http://example.com/a/2": "",
        }
        assert len(calls) == 1  # one call for the whole page, never per row
    finally:
        activity_catalog_matcher_clear()
    assert activity_catalog_match(activity_iris=["http://example.com/a/1"]) == {}
