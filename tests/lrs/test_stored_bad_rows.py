"""A row stored before the write path refused lone surrogates must not take any read down (issue 13 §5).

The row is written with raw SQL, as an earlier release stored it: JSON text holding "\\udc80" / "\\ud800"
escapes. On SQLite, json_extract turned those into bytes that are not UTF-8 ("Could not decode to UTF-8 column
'actor_name'"), and json.loads into strings no page can encode; both now read as U+FFFD (config.sqlite)."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from config.sqlite import sqlite_text
from tandem.accounts.models import Role
from tandem.lrs.models import ActivityDefinition, Statement
from tandem.lrs.services import statements_store
from tests.factories import PersonFactory
from tests.lrs.factories import COURSE, LrsClientFactory, Xapi, agent, statement

pytestmark = pytest.mark.django_db

BAD_ACTOR = '"Ann \\ud800"'
BAD_ACTIVITY = '"Course \\udc80"'


@pytest.fixture
def poisoned(db):
    """Ann (a person and a learner user) with one stored statement whose actor and activity names hold lone
    surrogates, in the statement and in the merged activity definition."""
    person = PersonFactory(work_email="ann@example.com")
    good = statement(
        actor=agent("ann@example.com", "Ann"),
        obj={"objectType": "Activity", "id": COURSE, "definition": {"name": {"en-US": "Course"}}},
    )
    statements_store(statements=[good], version="1.0.3", client=LrsClientFactory(scopes=["all"]))
    text = json.dumps(Statement.objects.get(pk=good["id"]).exact)
    text = text.replace('"Ann"', BAD_ACTOR).replace('"Course"', BAD_ACTIVITY)
    definition = json.dumps({"name": {"en-US": "Course"}}).replace('"Course"', BAD_ACTIVITY)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Statement._meta.db_table} SET exact = %s WHERE id = %s",  # noqa: S608 (a model's table)
            [text, good["id"].replace("-", "") if connection.vendor == "sqlite" else good["id"]],
        )
        table = ActivityDefinition._meta.db_table
        cursor.execute(f"UPDATE {table} SET definition = %s", [definition])  # noqa: S608 (a model's table)
    return person, good


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="PostgreSQL's jsonb refuses lone surrogates: no such row"
)
def test_one_bad_row_takes_no_page_down(client, make_user, poisoned):
    person, good = poisoned
    with connection.cursor() as cursor:  # the update really stored the escapes
        table = Statement._meta.db_table
        cursor.execute(f"SELECT instr(exact, %s) > 0 FROM {table}", ["\\ud800"])  # noqa: S608 (a model's table)
        assert cursor.fetchone()[0] == 1
    client.force_login(make_user(roles=[Role.LEARNER], person=person))
    me = client.get("/learning/me/")
    assert me.status_code == 200 and "Course \ufffd" in me.content.decode()
    client.force_login(make_user(roles=[Role.LD_TEAM]))
    for url in ("/learning/", "/learning/statements/", f"/people/{person.employee_id}/"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    xapi = Xapi(client, LrsClientFactory(scopes=["all"]).key, "2.0.0")
    agents = client.get("/xapi/agents", {"agent": json.dumps(agent())}, **xapi.headers())
    assert agents.status_code == 200
    # Read through json_extract: the surrogate's three non-UTF-8 bytes are three U+FFFD.
    assert any(name.startswith("Ann \ufffd") for name in agents.json()["name"])
    activity = client.get("/xapi/activities", {"activityId": COURSE}, **xapi.headers())
    assert activity.status_code == 200
    assert activity.json()["definition"]["name"] == {"en-US": "Course \ufffd"}
    for fmt in ("exact", "ids", "canonical"):
        got = xapi.get({"statementId": good["id"], "format": fmt})
        assert got.status_code == 200, got.content
    assert xapi.get().json()["statements"][0]["actor"]["name"] == "Ann \ufffd"


def test_a_new_statement_with_a_lone_surrogate_is_refused(client):
    xapi = Xapi(client, LrsClientFactory().key, "1.0.3")
    for raw in (
        json.dumps(statement()).replace('"Ann"', BAD_ACTOR),
        json.dumps(statement(obj={"id": COURSE, "definition": {"name": {"en-US": "Course"}}})).replace(
            '"Course"', BAD_ACTIVITY
        ),
    ):
        response = xapi.post(None, raw=raw.encode())
        assert response.status_code == 400
        assert response.json()["rule"].startswith("holds a lone UTF-16 surrogate")
        assert response.json()["field"] in ("actor.name", "object.definition.name.en-US")
    assert not Statement.objects.exists()


@pytest.mark.parametrize(
    ("stored", "read"),
    [
        (b'{"n": "Ann \\ud800"}', '{"n": "Ann \\ufffd"}'),
        (b'{"n": "x\\udc80y"}', '{"n": "x\\ufffdy"}'),
        (b'{"n": "\\ud83d\\ude00"}', '{"n": "\\ud83d\\ude00"}'),  # a pair (an emoji) is kept
        (b'{"n": "\\\\ud800"}', '{"n": "\\\\ud800"}'),  # an escaped backslash, then text: kept
        (b'{"n": "\\u00e9"}', '{"n": "\\u00e9"}'),
        (b"caf\xc3\xa9", "café"),
        (b"bad \xed\xa0\x80", "bad \ufffd\ufffd\ufffd"),  # what json_extract made of "\ud800"
    ],
)
def test_sqlite_text_reads_lone_surrogates_as_replacement_characters(stored: bytes, read: str):
    assert sqlite_text(stored) == read
    if read.startswith("{"):
        json.loads(read)  # still JSON
