"""GET and HEAD /xapi/statements: single statements, every query parameter, paging, headers."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.http import parse_http_date

from tandem.lrs.models import Statement
from tandem.lrs.services import statements_store
from tests.lrs.factories import ATTEMPTED, COMPLETED, COURSE, LrsClientFactory, Xapi, agent, statement

pytestmark = pytest.mark.django_db


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [s["id"] for s in response.json()["statements"]]


def _store(xapi, *statements) -> list[str]:
    response = xapi.post(list(statements))
    assert response.status_code == 200, response.content
    return response.json()


def test_lrs_statement_get_single_by_statement_id(xapi):
    data = statement()
    _store(xapi, data)
    response = xapi.get({"statementId": data["id"]})
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == data["id"] and body["verb"] == data["verb"]
    assert response["Content-Type"].startswith("application/json")
    stored = dt.datetime.fromisoformat(body["stored"].replace("Z", "+00:00"))
    assert parse_http_date(response["Last-Modified"]) == int(stored.timestamp())
    assert response["X-Experience-API-Consistent-Through"]


def test_lrs_statement_get_unknown_is_404(xapi):
    assert xapi.get({"statementId": str(uuid.uuid4())}).status_code == 404


def test_lrs_statement_get_single_rejects_other_parameters(xapi):
    data = statement()
    _store(xapi, data)
    assert xapi.get({"statementId": data["id"], "verb": COMPLETED}).status_code == 400
    assert xapi.get({"statementId": data["id"], "voidedStatementId": data["id"]}).status_code == 400
    assert xapi.get({"statementId": data["id"], "format": "ids"}).status_code == 200


def test_lrs_statement_head_has_get_headers_and_no_body(xapi):
    data = statement()
    _store(xapi, data)
    got = xapi.get({"statementId": data["id"]})
    head = xapi.head({"statementId": data["id"]})
    assert head.status_code == 200 and head.content == b""
    for name in ("Content-Type", "Last-Modified", "X-Experience-API-Version"):
        assert head[name] == got[name]
    listing = xapi.head()
    assert listing.status_code == 200 and listing.content == b""
    assert listing["X-Experience-API-Consistent-Through"]


def test_lrs_statement_list_is_statement_result_newest_first(xapi):
    first, second = statement(), statement()
    _store(xapi, first)
    _store(xapi, second)
    response = xapi.get()
    assert response.json()["more"] == ""
    assert _ids(response) == [second["id"], first["id"]]
    assert _ids(xapi.get({"ascending": "true"})) == [first["id"], second["id"]]


def test_lrs_statement_list_empty_is_200_with_empty_array(xapi):
    response = xapi.get({"verb": "http://example.com/nothing"})
    assert response.status_code == 200 and response.json() == {"statements": [], "more": ""}


def test_lrs_statement_query_agent_matches_actor_object_and_group_member(xapi):
    ann = agent("ann@example.com")
    as_actor = statement(actor=ann)
    as_object = statement(actor=agent("bob@example.com"), obj=ann)
    in_group = statement(actor={"objectType": "Group", "member": [ann, agent("cy@example.com")]})
    as_instructor = statement(actor=agent("dee@example.com"), context={"instructor": ann})
    _store(xapi, as_actor, as_object, in_group, as_instructor)
    found = set(_ids(xapi.get({"agent": json.dumps({"mbox": "mailto:ann@example.com"})})))
    assert found == {as_actor["id"], as_object["id"], in_group["id"]}


def test_lrs_statement_query_related_agents_includes_context_and_authority(xapi, lrs_client):
    ann = agent("ann@example.com")
    as_instructor = statement(actor=agent("dee@example.com"), context={"instructor": ann})
    _store(xapi, as_instructor, statement(actor=agent("eve@example.com")))
    query = {"agent": json.dumps(ann), "related_agents": "true"}
    assert _ids(xapi.get(query)) == [as_instructor["id"]]
    by_authority = {"agent": json.dumps(lrs_client.authority), "related_agents": "true"}
    assert len(_ids(xapi.get(by_authority))) == 2


def test_lrs_statement_query_agent_named_twice_comes_once_and_pages(xapi):
    # One relation row per place the agent is named: the query walks those rows, so it must not repeat
    # a statement nor count it twice towards `limit`.
    ann = agent("ann@example.com")
    to_self = statement(actor=ann, obj=ann, context={"instructor": ann})
    plain = statement(actor=ann)
    in_group_too = statement(actor={"objectType": "Group", "member": [ann]}, obj=ann)
    _store(xapi, to_self, plain, in_group_too)
    newest_first = [in_group_too["id"], plain["id"], to_self["id"]]
    for related in ("false", "true"):
        query = {"agent": json.dumps(ann), "related_agents": related}
        assert _ids(xapi.get(query)) == newest_first
        assert _ids(xapi.get({**query, "ascending": "true"})) == newest_first[::-1]
        for ascending, expected in (("false", newest_first), ("true", newest_first[::-1])):
            seen, response = [], xapi.get({**query, "ascending": ascending, "limit": "1"})
            while True:
                seen += _ids(response)
                more = response.json()["more"]
                if not more:
                    break
                response = xapi.more(more)
            assert seen == expected


def test_lrs_statement_query_bad_agent_is_400(xapi):
    assert xapi.get({"agent": "{not json"}).status_code == 400
    assert xapi.get({"agent": json.dumps({"name": "no ifi"})}).status_code == 400


def test_lrs_statement_query_verb(xapi):
    completed, attempted = statement(verb=COMPLETED), statement(verb=ATTEMPTED)
    _store(xapi, completed, attempted)
    assert _ids(xapi.get({"verb": ATTEMPTED})) == [attempted["id"]]


def test_lrs_statement_query_activity_and_related_activities(xapi):
    direct = statement(activity=COURSE)
    in_context = statement(
        activity="http://example.com/activities/module-1",
        context={"contextActivities": {"parent": [{"id": COURSE}]}},
    )
    _store(xapi, direct, in_context)
    assert _ids(xapi.get({"activity": COURSE})) == [direct["id"]]
    assert set(_ids(xapi.get({"activity": COURSE, "related_activities": "true"}))) == {
        direct["id"],
        in_context["id"],
    }


def test_lrs_statement_query_registration(xapi):
    registration = str(uuid.uuid4())
    registered = statement(context={"registration": registration})
    _store(xapi, registered, statement())
    assert _ids(xapi.get({"registration": registration})) == [registered["id"]]
    assert xapi.get({"registration": "nope"}).status_code == 400


def test_lrs_statement_query_since_is_exclusive_until_inclusive(xapi):
    first, second, third = statement(), statement(), statement()
    for data in (first, second, third):
        _store(xapi, data)
    rows = {row.pk: row for row in Statement.objects.all()}
    second_stored = xapi.get({"statementId": second["id"]}).json()["stored"]
    Statement.objects.filter(pk=first["id"]).update(
        stored=rows[uuid.UUID(second["id"])].stored - dt.timedelta(seconds=5)
    )
    Statement.objects.filter(pk=third["id"]).update(
        stored=rows[uuid.UUID(second["id"])].stored + dt.timedelta(seconds=5)
    )
    assert _ids(xapi.get({"since": second_stored})) == [third["id"]]
    assert _ids(xapi.get({"until": second_stored})) == [second["id"], first["id"]]
    assert xapi.get({"since": "yesterday"}).status_code == 400


def test_lrs_statement_query_limit_and_max(xapi, monkeypatch):
    _store(xapi, *[statement() for _ in range(5)])
    assert len(_ids(xapi.get({"limit": "2"}))) == 2
    monkeypatch.setattr("tandem.lrs.selectors.MAX_LIMIT", 3)
    # 0 means the server maximum; anything above the maximum is capped to it.
    assert len(_ids(xapi.get({"limit": "0"}))) == 3
    assert len(_ids(xapi.get({"limit": "1000"}))) == 3
    assert xapi.get({"limit": "-1"}).status_code == 400


def test_lrs_statement_query_format_ids_strips_display(xapi):
    data = statement()
    _store(xapi, data)
    exact = xapi.get({"statementId": data["id"]}).json()
    ids = xapi.get({"statementId": data["id"], "format": "ids"}).json()
    assert "display" in exact["verb"] and "display" not in ids["verb"]
    assert xapi.get({"format": "pretty"}).status_code == 400


def _course(definition: dict) -> dict:
    return {"objectType": "Activity", "id": COURSE, "definition": definition}


def test_lrs_statement_query_format_canonical_uses_the_merged_definition_language_filtered(xapi):
    """Communication 2.1.3 / Data 2.6 "format": canonical returns Activity Objects "populated with the
    canonical definition ... as determined by the LRS", each language map reduced to the best match."""
    first = statement(obj=_course({"name": {"en-US": "Course"}, "type": "http://example.com/types/a"}))
    second = statement(obj=_course({"name": {"de": "Kurs"}, "description": {"en-US": "About", "de": "Über"}}))
    _store(xapi, first, second)
    merged = {
        "name": {"de": "Kurs"},
        "description": {"de": "Über"},
        "type": "http://example.com/types/a",
    }
    response = xapi.get({"format": "canonical"}, HTTP_ACCEPT_LANGUAGE="de, en;q=0.5")
    assert [s["object"]["definition"] for s in response.json()["statements"]] == [merged, merged]
    single = xapi.get({"statementId": first["id"], "format": "canonical"}, HTTP_ACCEPT_LANGUAGE="de")
    assert single.json()["object"]["definition"] == merged
    english = xapi.get({"statementId": first["id"], "format": "canonical"}, HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["object"]["definition"]["name"] == {"en-US": "Course"}


def test_lrs_statement_query_format_canonical_covers_context_and_substatement_activities(xapi):
    """Data 2.6 "format": every Activity Object is canonical, in contextActivities and SubStatements too."""
    parent = "http://example.com/activities/programme"
    _store(xapi, statement(obj=_course({"name": {"en-US": "Course"}})))
    _store(xapi, statement(activity=parent, context={"contextActivities": {"parent": {"id": COURSE}}}))
    sub = statement(
        obj={
            "objectType": "SubStatement",
            "actor": agent(),
            "verb": {"id": COMPLETED},
            "object": {"id": COURSE},
            "context": {"contextActivities": {"grouping": [{"id": parent}]}},
        }
    )
    _store(xapi, sub)
    newest_first = xapi.get({"format": "canonical"}).json()["statements"]
    assert newest_first[0]["object"]["object"] == {"id": COURSE, "definition": {"name": {"en-US": "Course"}}}
    # The programme was never defined: it keeps what the statement had (nothing).
    assert newest_first[0]["object"]["context"]["contextActivities"]["grouping"] == [{"id": parent}]
    assert newest_first[1]["context"]["contextActivities"]["parent"] == [
        {"id": COURSE, "definition": {"name": {"en-US": "Course"}}}
    ]


def test_lrs_statement_query_formats_exact_and_ids_ignore_the_merged_definition(xapi):
    """Communication 2.1.3: exact returns the statement as received; ids only the identifiers."""
    first = statement(obj=_course({"name": {"en-US": "Course"}}))
    _store(xapi, first, statement(obj=_course({"name": {"de": "Kurs"}})))
    assert xapi.get({"statementId": first["id"], "format": "exact"}).json()["object"] == first["object"]
    # XAPI-00171: ids returns an Activity as its id only.
    assert xapi.get({"statementId": first["id"], "format": "ids"}).json()["object"] == {"id": COURSE}


def test_xapi_00171_format_ids_query_returns_activities_as_their_ids(xapi):
    """XAPI-00171: "If ids, only include identifiers for Agent, Activity, Verb, Group Objects" -- on a query
    page too, context activities included."""
    parent = "http://example.com/programs/p1"
    _store(
        xapi,
        statement(
            obj=_course({"name": {"en-US": "Course"}}),
            context={"contextActivities": {"parent": {"objectType": "Activity", "id": parent}}},
        ),
    )
    found = xapi.get({"format": "ids"}).json()["statements"][0]
    assert found["object"] == {"id": COURSE}
    assert found["context"]["contextActivities"] == {"parent": [{"id": parent}]}


@pytest.mark.parametrize("fmt", [None, "exact", "ids", "canonical"])
def test_xapi_00096_single_context_activity_is_returned_as_an_array_in_every_format(xapi, fmt):
    """XAPI-00096 (Data 2.4.6.2.s4.b3): a contextActivities value sent as one object is returned as an array,
    with the default (exact) format as with the others, for statementId and for queries. XAPI-00172 (canonical
    applies Accept-Language) reads the same normalised statement."""
    parent = {"id": "http://example.com/programs/p1", "definition": {"name": {"en-US": "P1", "fr": "P1 fr"}}}
    sent = statement(
        context={"contextActivities": {"parent": parent, "category": [{"id": "http://example.com/c"}]}}
    )
    _store(xapi, sent)
    params = {"format": fmt} if fmt else {}
    single = xapi.get({"statementId": sent["id"], **params}, HTTP_ACCEPT_LANGUAGE="fr").json()
    page = xapi.get(params, HTTP_ACCEPT_LANGUAGE="fr").json()["statements"][0]
    for got in (single, page):
        activities = got["context"]["contextActivities"]
        assert isinstance(activities["parent"], list) and len(activities["parent"]) == 1
        assert activities["parent"][0]["id"] == parent["id"]
        assert activities["category"][0]["id"] == "http://example.com/c"
        if fmt == "canonical":
            assert activities["parent"][0]["definition"]["name"] == {"fr": "P1 fr"}
        elif fmt != "ids":
            assert activities["parent"][0] == parent


def test_lrs_statement_query_format_canonical_query_count_is_constant_per_page(xapi):
    """One query loads the definitions of every activity on the page, whatever the page size."""
    _store(
        xapi,
        *[
            statement(
                obj=_course({"name": {"en-US": f"Course {i}"}}) | {"id": f"{COURSE}/{i}"},
                context={"contextActivities": {"parent": [{"id": COURSE}]}},
            )
            for i in range(30)
        ],
    )
    counts = []
    for limit in ("5", "25"):
        with CaptureQueriesContext(connection) as queries:
            response = xapi.get({"format": "canonical", "limit": limit})
        assert len(_ids(response)) == int(limit)
        counts.append(len(queries))
    # Authentication + snapshot bound + the two branches + the definitions (1).
    assert counts[0] == counts[1] <= 5, counts


def test_lrs_statement_query_attachments_false_is_json(xapi):
    response = xapi.get({"attachments": "false"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")


def test_lrs_statement_query_unknown_parameter_is_400(xapi):
    assert xapi.get({"colour": "red"}).status_code == 400


def test_lrs_statement_query_statement_ref_targeting_match(xapi):
    """Communication 2.1.3: a statement targeting one that matches the filter matches too."""
    original = statement(actor=agent("ben@example.com"), activity="http://example.com/explosives")
    confirm = statement(
        actor=agent("andrew@example.com"),
        verb="http://example.com/verbs/confirmed",
        obj={"objectType": "StatementRef", "id": original["id"]},
    )
    _store(xapi, original, confirm, statement(actor=agent("zed@example.com")))
    found = _ids(xapi.get({"agent": json.dumps(agent("ben@example.com"))}))
    assert found == [confirm["id"], original["id"]]
    found = _ids(xapi.get({"activity": "http://example.com/explosives"}))
    assert found == [confirm["id"], original["id"]]


def test_lrs_statement_paging_more_is_stable_while_statements_arrive(xapi):
    ids = [_store(xapi, statement())[0] for _ in range(5)]
    newest_first = list(reversed(ids))
    page = xapi.get({"limit": "2"})
    seen = _ids(page)
    more = page.json()["more"]
    assert urlparse(more).path == "/xapi/statements" and "more" in parse_qs(urlparse(more).query)
    _store(xapi, statement())  # arrives while the client pages
    while more:
        page = xapi.more(more)
        seen += _ids(page)
        more = page.json()["more"]
    assert seen == newest_first


def test_lrs_statement_paging_ascending(xapi):
    ids = [_store(xapi, statement())[0] for _ in range(3)]
    page = xapi.get({"limit": "2", "ascending": "true"})
    seen = _ids(page)
    _store(xapi, statement())
    seen += _ids(xapi.more(page.json()["more"]))
    assert seen == ids


def test_lrs_statement_more_token_cannot_be_forged(xapi):
    assert xapi.get({"more": "forged"}).status_code == 400


def test_lrs_statement_consistent_through_header_on_every_statements_response(xapi):
    data = statement()
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    for response in (xapi.post(statement()), xapi.put(data, data["id"]), xapi.get(), xapi.head()):
        value = response["X-Experience-API-Consistent-Through"]
        assert dt.datetime.fromisoformat(value.replace("Z", "+00:00")) >= before


def test_lrs_statement_list_query_count_is_bounded(xapi, django_assert_max_num_queries):
    _store(xapi, *[statement(actor=agent(f"p{i}@example.com")) for i in range(30)])
    with CaptureQueriesContext(connection) as queries:
        response = xapi.get({"verb": COMPLETED, "limit": "25"})
    assert len(_ids(response)) == 25
    # Authentication (1) + snapshot bound (1) + the direct and targeting branches (2), whatever the size.
    assert len(queries) <= 4, [q["sql"] for q in queries]


def _through(response) -> dt.datetime:
    return dt.datetime.fromisoformat(response["X-Experience-API-Consistent-Through"].replace("Z", "+00:00"))


def test_lrs_consistent_through_covers_every_statement_stored_before_it(xapi):
    """Communication 2.1.3.s2.b5: every statement stored before the header's time is available."""
    ids = _store(xapi, *[statement() for _ in range(3)])
    response = xapi.get()
    through = _through(response)
    stored = Statement.objects.filter(pk__in=ids).values_list("stored", flat=True)
    assert all(value <= through for value in stored)
    assert set(_ids(response)) == set(ids)


def test_lrs_consistent_through_is_recent_even_without_recent_statements(xapi):
    """Communication 2.1.3.s2.b5: "expected that this will be a recent timestamp, even if there are no
    recently received Statements" — not the stored time of the last statement."""
    _store(xapi, statement())
    Statement.objects.update(stored=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    assert _through(xapi.get()) >= before


def test_lrs_consistent_through_on_error_responses_too(xapi):
    """Communication 2.1.3.s2.b5 says "all responses to Statement Resource requests"."""
    for response in (xapi.get({"verb": "not an iri", "limit": "x"}), xapi.post(None, raw=b"{")):
        assert response.status_code == 400
        assert _through(response) <= dt.datetime.now(dt.UTC)


@pytest.mark.django_db(transaction=True)
def test_lrs_consistent_through_never_passes_a_statement_not_yet_committed(client: Client):
    """Communication 2.1.3.s2.b5 while a write is in flight, on both databases.

    A writer holds its transaction open after storing; a reader asks meanwhile. Every statement stored before
    the header's time must be available: so the in-flight statement is either in the reader's answer (SQLite:
    the reader waits for the writer's lock) or stored at or after the header's time (PostgreSQL: the header
    falls back to the newest committed statement).
    """
    lrs_client = LrsClientFactory(scopes=["statements/write", "statements/read"])
    statements_store(statements=[statement()], version="1.0.3", client=lrs_client)
    reader = Xapi(client, lrs_client.key, "1.0.3")
    assert reader.get().status_code == 200  # warm up (imports, credential check) so the read below is quick
    in_flight = statement()
    stored = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            with transaction.atomic():
                statements_store(statements=[in_flight], version="1.0.3", client=lrs_client)
                stored.set()
                time.sleep(1.0)  # commit later: the reader asks while this write is in flight
        except BaseException as error:  # reported below
            errors.append(error)
            stored.set()
        finally:
            connections.close_all()

    writer = threading.Thread(target=write)
    writer.start()
    assert stored.wait(10)
    time.sleep(0.05)  # the clock moves on past the in-flight statement's stored time
    response = reader.get()
    writer.join()
    assert not errors
    through = dt.datetime.fromisoformat(
        response["X-Experience-API-Consistent-Through"].replace("Z", "+00:00")
    )
    seen = {s["id"] for s in response.json()["statements"]}
    in_flight_stored = Statement.objects.get(pk=in_flight["id"]).stored
    assert in_flight["id"] in seen or in_flight_stored >= through, (in_flight_stored, through)
