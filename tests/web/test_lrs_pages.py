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
from tests.factories import OrgUnitFactory, PersonFactory
from tests.lrs.factories import ATTEMPTED, COMPLETED, LrsClientFactory, agent, statement
from tests.org.factories import AssignmentFactory

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


def test_data_quality_lists_people_with_overlapping_assignments(client, make_user):
    """Overlaps written before imports refused them are listed (one query whatever their number)."""
    north, south = OrgUnitFactory(name="North"), OrgUnitFactory(name="South")
    for i in range(3):
        person = PersonFactory(employee_id=f"OV{i}", org_unit=north, with_assignment=False)
        AssignmentFactory(person=person, org_unit=north, valid_from=dt.date(2025, 1, 1))
        AssignmentFactory(
            person=person, org_unit=south, valid_from=dt.date(2025, 6, 1), valid_to=dt.date(2025, 9, 1)
        )
    sound = PersonFactory(employee_id="OK1", org_unit=north, with_assignment=False)
    AssignmentFactory(
        person=sound, org_unit=north, valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2025, 6, 1)
    )
    AssignmentFactory(person=sound, org_unit=south, valid_from=dt.date(2025, 6, 1))
    client.force_login(make_user(roles=[Role.LD_TEAM]))
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/learning/data-quality/")
    overlaps = response.context["overlaps"]
    assert sorted(o.employee_id for o in overlaps) == ["OV0", "OV1", "OV2"]
    body = response.content.decode()
    assert "North, 2025-01-01 – open" in body and "South, 2025-06-01 – 2025-09-01" in body
    assert "OK1" not in body
    assert "up to, not including, its second" in body  # the stored end is the first day after the period
    assert len(queries.captured_queries) <= 11


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


# --- My learning, the statements browser, department figures ----------------------------------------------

NORTH_COURSE = "http://example.com/a/north-course"
SUPPORT_COURSE = "http://example.com/a/support-course"


def _named(activity: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"objectType": "Activity", "id": activity, "definition": {"name": {"en-US": name}}, **extra}


@pytest.fixture
def company_learning(make_user):
    """CO > SALES > NORTH (6 people) and SOUTH (2), CO > SUPPORT (5). Everyone did their unit's course."""
    from tests.factories import OrgUnitFactory

    co = OrgUnitFactory(code="CO", name="Company", kind="company")
    sales = OrgUnitFactory(code="SALES", name="Sales", parent=co)
    north = OrgUnitFactory(code="NORTH", name="North team", parent=sales, kind="team")
    south = OrgUnitFactory(code="SOUTH", name="South team", parent=sales, kind="team")
    support = OrgUnitFactory(code="SUPPORT", name="Support", parent=co)
    people = {}
    batch = []
    for prefix, unit, count, course, name in (
        ("n", north, 6, NORTH_COURSE, "Negotiation basics"),
        ("s", south, 2, NORTH_COURSE, "Negotiation basics"),
        ("q", support, 5, SUPPORT_COURSE, "Ticket triage"),
    ):
        for i in range(count):
            person = PersonFactory(
                employee_id=f"{prefix.upper()}{i}", work_email=f"{prefix}{i}@example.com", org_unit=unit
            )
            people[f"{prefix}{i}"] = person
            email = f"{prefix}{i}@example.com"
            batch.append(
                statement(actor=agent(email, f"Person {prefix}{i}"), verb=ATTEMPTED, obj=_named(course, name))
            )
            batch.append(
                statement(
                    actor=agent(email, f"Person {prefix}{i}"),
                    verb=COMPLETED,
                    obj=_named(course, name),
                    result={"completion": True, "success": True, "score": {"scaled": 0.8}},
                )
            )
    statements_store(statements=batch, version="1.0.3", client=LrsClientFactory())
    return {
        "people": people,
        "learner": make_user(roles=[Role.LEARNER], person=people["n0"]),
        "stakeholder": make_user(roles=[Role.STAKEHOLDER], org_units=[sales]),
        "manager": make_user(roles=[Role.MANAGER], person=people["n1"]),
        "ld_team": make_user(roles=[Role.LD_TEAM]),
        "units": {"sales": sales, "north": north},
    }


def test_my_learning_shows_own_records_and_statements_only(client, company_learning):
    client.force_login(company_learning["learner"])
    response = client.get("/learning/me/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "My learning records" in body and "Negotiation basics" in body
    assert "completed" in body and "80%" in body
    rows = response.context["page"].rows
    assert len(rows) == 2 and all(row.actor_ifi == "mbox:mailto:n0@example.com" for row in rows)
    assert [row.verb for row in rows] == ["completed", "attempted"]
    for other in ("n1@example.com", "q0@example.com", "Person n1", "Ticket triage"):
        assert other not in body


def test_my_learning_is_newest_first_and_paged_with_constant_queries(client, company_learning):
    learner = company_learning["learner"]
    client.force_login(learner)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/learning/me/").status_code == 200
    few = len(queries.captured_queries)
    ids = [
        statements_store(
            statements=[statement(actor=agent("n0@example.com"), activity=f"http://example.com/a/x{i}")],
            version="1.0.3",
            client=LrsClientFactory(),
        )[0]
        for i in range(55)
    ]
    with CaptureQueriesContext(connection) as queries:
        first = client.get("/learning/me/")
    assert len(queries.captured_queries) == few
    page = first.context["page"]
    assert [str(row.id) for row in page.rows[:3]] == list(reversed(ids))[:3]
    assert len(page.rows) == 50 and page.before is not None
    second = client.get(f"/learning/me/?before={page.before}").context["page"]
    assert len(second.rows) == 7 and second.before is None  # 55 new + the 2 from the fixture
    assert not {row.id for row in second.rows} & {row.id for row in page.rows}


def test_my_learning_without_a_linked_person_shows_a_note(client, make_user, company_learning):
    client.force_login(make_user(roles=[Role.LEARNER]))
    response = client.get("/learning/me/")
    assert response.status_code == 200 and "not linked" in response.content.decode()
    assert "page" not in response.context


def test_my_learning_is_in_the_learner_menu(client, company_learning):
    client.force_login(company_learning["learner"])
    body = client.get("/").content.decode()
    assert 'href="/learning/me/"' in body and 'href="/learning/department/"' not in body


def test_ld_statement_browser_filters_by_agent_verb_activity_and_since(client, company_learning):
    client.force_login(company_learning["ld_team"])
    with CaptureQueriesContext(connection) as queries:
        everything = client.get("/learning/statements/")
    assert everything.status_code == 200
    assert len(everything.context["page"].rows) == 26
    assert len(queries.captured_queries) <= 6
    by_agent = client.get("/learning/statements/", {"agent": "q1@EXAMPLE.com"}).context["page"].rows
    assert {row.actor_ifi for row in by_agent} == {"mbox:mailto:q1@example.com"} and len(by_agent) == 2
    by_verb = client.get("/learning/statements/", {"verb": COMPLETED}).context["page"].rows
    assert len(by_verb) == 13 and {row.verb for row in by_verb} == {"completed"}
    by_activity = client.get("/learning/statements/", {"activity": SUPPORT_COURSE}).context["page"].rows
    assert len(by_activity) == 10 and {row.activity for row in by_activity} == {"Ticket triage"}
    tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)).isoformat()
    assert client.get("/learning/statements/", {"since": tomorrow}).context["page"].rows == []
    body = client.get("/learning/statements/", {"verb": COMPLETED}).content.decode()
    assert "Person q1" in body and "Ticket triage" in body


@pytest.mark.parametrize("role", ["stakeholder", "manager", "learner"])
def test_statement_browser_is_for_ld_only(client, company_learning, role):
    client.force_login(company_learning[role])
    assert client.get("/learning/statements/").status_code == 403


def test_department_head_sees_only_group_figures_of_their_department(client, company_learning):
    client.force_login(company_learning["stakeholder"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/learning/department/")
    assert response.status_code == 200
    figures = response.context["figures"]
    body = response.content.decode()
    # SALES holds 8 people (6 North, 2 South); Support is another department.
    assert figures.people == 8 and figures.statements == 16
    teams = {group.label: group for group in figures.by_team}
    assert set(teams) == {"North team", "South team"}
    assert teams["South team"].suppressed and teams["South team"].statements is None
    # South alone hidden would be the total minus North: North (6 people) is hidden with it.
    assert teams["North team"].suppressed and teams["North team"].complement
    assert "hidden with a smaller group" in body
    assert [group.label for group in figures.by_activity] == ["Negotiation basics"]
    assert "Ticket triage" not in body and "Support" not in body
    # No individual: no names, e-mail addresses or identifiers of people.
    for person in ("Person n", "n0@example.com", "mbox:", "/people/N0/"):
        assert person not in body
    assert "fewer than 5 people" in body and "<svg" in body
    assert len(queries.captured_queries) <= 14


def test_department_figures_under_the_minimum_are_suppressed_everywhere(client, make_user, company_learning):
    south_head = make_user(roles=[Role.STAKEHOLDER], org_units=[company_learning["people"]["s0"].org_unit])
    client.force_login(south_head)
    figures = client.get("/learning/department/").context["figures"]
    assert figures.people is None and figures.statements is None
    assert all(group.suppressed for group in figures.by_team + figures.by_activity)
    assert all(month.suppressed for _m, month in figures.by_month)


def test_department_page_query_count_does_not_grow_with_data(client, company_learning):
    client.force_login(company_learning["stakeholder"])
    with CaptureQueriesContext(connection) as queries:
        client.get("/learning/department/")
    before = len(queries.captured_queries)
    statements_store(
        statements=[
            statement(actor=agent(f"n{i}@example.com"), activity=f"http://example.com/a/more{i}")
            for i in range(6)
        ],
        version="1.0.3",
        client=LrsClientFactory(),
    )
    with CaptureQueriesContext(connection) as queries:
        client.get("/learning/department/")
    assert len(queries.captured_queries) == before


def test_ld_sees_department_figures_for_the_whole_company(client, company_learning):
    client.force_login(company_learning["ld_team"])
    figures = client.get("/learning/department/").context["figures"]
    assert figures.people == 13
    assert {group.label for group in figures.by_team} == {"North team", "South team", "Support"}


@pytest.mark.parametrize("role", ["manager", "learner"])
def test_department_figures_are_refused_to_managers_and_learners(client, company_learning, role):
    client.force_login(company_learning[role])
    assert client.get("/learning/department/").status_code == 403


def test_data_quality_separates_anonymous_survey_respondents_from_unmatched_people(
    client, make_user, statements, settings
):
    anonymous = f"{settings.TANDEM_BASE_URL}/xapi/anonymous"
    respondents = [
        {"objectType": "Agent", "account": {"homePage": anonymous, "name": f"r{i}"}} for i in range(150)
    ]
    statements_store(
        statements=[statement(actor=actor) for actor in respondents],
        version="1.0.3",
        client=LrsClientFactory(),
    )
    client.force_login(make_user(roles=[Role.LD_TEAM]))
    response = client.get("/learning/data-quality/")
    body = response.content.decode()
    rows = response.context["unmatched"]
    # The 150 respondents (one statement each) do not crowd the people to match out of the list.
    assert len(rows) == 31 and not any("/xapi/anonymous" in row.actor_ifi for row in rows)
    summary = response.context["summary"]
    expected_statements = sum(i % 3 + 1 for i in range(30)) + 1
    assert (summary.actors, summary.statements) == (31, expected_statements)
    assert (summary.anonymous_actors, summary.anonymous_statements) == (150, 150)
    assert "150 statements from 150 anonymous survey respondents" in body
    # Independent count of the unmatched, non-anonymous actors.
    independent = {
        ifi
        for ifi in Statement.objects.filter(person__isnull=True).values_list("actor_ifi", flat=True)
        if anonymous not in ifi
    }
    assert len(independent) == summary.actors
    overview = client.get("/learning/").context["overview"]
    assert overview.anonymous_records == 150 and overview.unlinked_records == 31


# --- the same figure on two pages: windows and dates said ------------------------------------------------

OLD_COURSE = "http://example.com/a/old-course"


def test_all_time_and_twelve_month_completions_are_both_right_and_labelled(client, company_learning):
    """/learning/ counts completions of all time, /learning/department/ the last twelve months (1,668 vs
    616 in the demo): computed both ways here, and each page says its window."""
    long_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(days=800)).isoformat()
    people = company_learning["people"]
    statements_store(
        statements=[
            statement(
                actor=agent(f"{key}@example.com", f"Person {key}"),
                verb=COMPLETED,
                obj=_named(OLD_COURSE, "Old compliance"),
                timestamp=long_ago,
            )
            for key in people
        ],
        version="1.0.3",
        client=LrsClientFactory(),
    )
    client.force_login(company_learning["ld_team"])
    overview = client.get("/learning/")
    old = next(a for a in overview.context["top"] if a.activity_id == OLD_COURSE)
    assert old.completions == len(people) == LearningRecord.objects.filter(activity_id=OLD_COURSE).count()
    body = overview.content.decode()
    assert "completions, all time" in body and 'data-testid="top-window"' in body
    department = client.get("/learning/department/")
    # The old course is outside the twelve months: not in the per-activity figures at all.
    assert OLD_COURSE not in {g.key for g in department.context["figures"].by_activity}
    since = department.context["since"]
    assert f"since {since:%-d %B %Y}" in department.content.decode()


def test_people_learning_may_exceed_todays_headcount_and_the_page_says_why(client, company_learning):
    """1,162 people learning in a 1,117-person department: people count in the team they learned in."""
    from tandem.core.dates import today
    from tandem.org.models import Person
    from tests.impact.factories import move

    people = company_learning["people"]
    move(people["n0"], to_unit=people["q0"].org_unit, on=today() + dt.timedelta(days=1))
    sales = company_learning["units"]["sales"]
    headcount = Person.objects.filter(org_unit__in=[sales, *sales.children.all()]).count()
    client.force_login(company_learning["stakeholder"])
    response = client.get("/learning/department/")
    assert response.context["figures"].people == 8 and headcount == 7
    assert "people who have moved or left since are counted too" in response.content.decode()
