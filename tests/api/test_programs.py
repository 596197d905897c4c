"""/api/programs: reads scoped like the pages, writes for L&D only and through the services, CSRF on writes."""

import json

import pytest
from django.test import Client

from tandem.audit.models import AuditEvent
from tandem.impact.models import CostItem, Program, ProgramActivity, ProgramMetric
from tests.api import factories as data
from tests.impact.factories import CohortFactory, ParticipantFactory, ProgramFactory

pytestmark = pytest.mark.django_db
company = data.company  # the shared fixture

COURSE = "https://lms.example.com/courses/negotiation"
CREATE = {
    "code": "coaching",
    "name": "Coaching for agents",
    "owner": None,
    "initiative": "better-service",
    "delivery_modes": ["coaching", "virtual"],
    "start_date": "2025-03-01",
    "end_date": "2025-09-30",
}


def send(client, method, url, body=None, **extra):
    return getattr(client, method)(url, json.dumps(body or {}), content_type="application/json", **extra)


@pytest.fixture
def ld(company, make_user, login):
    return login(make_user(roles=["ld_team"]))


@pytest.fixture
def programs(company):
    """One program reaching Customer Service (the stakeholder's scope), one reaching only Sales."""
    cs = ProgramFactory(code="cs-coaching", name="CS coaching")
    ParticipantFactory(cohort=CohortFactory(program=cs), person=company.learner)
    sales = ProgramFactory(code="sales-pitch", name="Sales pitch")
    ParticipantFactory(cohort=CohortFactory(program=sales), person=company.reports[0])
    return cs, sales


@pytest.fixture
def stakeholder(company, make_user, login):
    return login(make_user(roles=["stakeholder"], org_units=[company.cs]))


def test_the_list_is_scoped_and_paged(programs, ld, stakeholder):
    # The last fixture logged in: the client is the stakeholder's.
    page = stakeholder.get("/api/programs").json()
    assert [p["code"] for p in page["items"]] == ["cs-coaching"] and page["count"] == 1
    assert stakeholder.get("/api/programs/sales-pitch").status_code == 404


def test_l_and_d_see_every_program_and_one_in_detail(programs, ld):
    page = ld.get("/api/programs", {"limit": 1, "offset": 1}).json()
    assert page["count"] == 2 and len(page["items"]) == 1
    detail = ld.get("/api/programs/sales-pitch").json()
    assert detail["participants"] == 1 and len(detail["waves"]) == 1 and detail["costs"] == []


def test_a_stakeholder_may_not_write(programs, stakeholder):
    for method, url, body in [
        ("post", "/api/programs", CREATE),
        ("patch", "/api/programs/cs-coaching", {"name": "Mine now"}),
        ("post", "/api/programs/cs-coaching/activities", {"activity_iri": COURSE}),
        ("post", "/api/programs/cs-coaching/costs", {"kind": "licence", "amount": "10"}),
        ("put", "/api/programs/cs-coaching/metrics/csat", {"primary": True}),
        ("delete", "/api/programs/cs-coaching/metrics/csat", None),
    ]:
        response = send(stakeholder, method, url, body)
        assert response.status_code == 403 and "do not allow" in response.json()["detail"], url
    assert Program.objects.get(code="cs-coaching").name == "CS coaching"
    assert not Program.objects.filter(code="coaching").exists()


def test_create_then_patch_only_the_fields_given(company, ld):
    created = send(ld, "post", "/api/programs", {**CREATE, "sponsor": company.stakeholder_person.employee_id})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["sponsor_name"] == "Stan Holder" and body["delivery_modes"] == ["coaching", "virtual"]
    assert body["initiative"] == "better-service" and body["status"] == "draft"
    patched = send(ld, "patch", "/api/programs/coaching", {"status": "running", "sponsor": None})
    assert patched.status_code == 200
    program = Program.objects.get(code="coaching")
    assert program.status == "running" and program.sponsor is None
    assert program.name == "Coaching for agents" and program.start_date.isoformat() == "2025-03-01"
    assert AuditEvent.objects.filter(entity_type="program", action="update").count() == 1


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({**CREATE, "code": "new"}, 400, "reserved"),
        ({**CREATE, "end_date": "2024-01-01"}, 400, "cannot end before it starts"),
        ({**CREATE, "owner": "NOPE"}, 400, "Unknown employee id"),
        ({**CREATE, "delivery_modes": ["telepathy"]}, 400, "delivery_modes"),
        ({**CREATE, "colour": "red"}, 400, "colour"),  # unknown fields are refused, not ignored
        ({**CREATE, "start_date": 0}, 400, "YYYY-MM-DD"),
    ],
)
def test_bad_input_is_a_400_with_the_reason(company, ld, body, status, words):
    response = send(ld, "post", "/api/programs", body)
    assert response.status_code == status and words in response.json()["detail"], response.json()
    assert not Program.objects.filter(name="Coaching for agents").exists()


def test_patch_refuses_a_null_name_and_unknown_programs_are_404(programs, ld):
    assert send(ld, "patch", "/api/programs/cs-coaching", {"status": None}).status_code == 400
    assert send(ld, "patch", "/api/programs/nope", {"name": "X"}).status_code == 404


def test_activities_costs_and_metrics_added_and_removed(programs, ld, settings):
    settings.TANDEM_CURRENCY = "EUR"
    base = "/api/programs/cs-coaching"
    activity = send(ld, "post", f"{base}/activities", {"activity_iri": COURSE, "name": "Negotiation"})
    assert activity.status_code == 201
    assert send(ld, "post", f"{base}/activities", {"activity_iri": COURSE}).status_code == 400
    cost = send(ld, "post", f"{base}/costs", {"kind": "ld_hours", "hours": "10", "rate": 55.5})
    assert cost.status_code == 201 and cost.json()["total"] == "555.00" and cost.json()["currency"] == "EUR"
    usd = send(ld, "post", f"{base}/costs", {"kind": "licence", "amount": 10, "currency": "USD"})
    assert usd.status_code == 400 and "kept in EUR" in usd.json()["detail"]
    metric = send(
        ld, "put", f"{base}/metrics/csat", {"primary": True, "expected_direction": "down", "goal": 70}
    )
    assert metric.status_code == 200 and metric.json()["expected_direction"] == "down"
    assert send(ld, "put", f"{base}/metrics/nope", {}).status_code == 400
    detail = ld.get(base).json()
    assert detail["total_cost"] == "555.00" and detail["metrics"][0]["primary"] is True
    assert [a["name"] for a in detail["activities"]] == ["Negotiation"]
    assert send(ld, "delete", f"{base}/activities/{activity.json()['id']}").status_code == 204
    assert send(ld, "delete", f"{base}/costs/{cost.json()['id']}").status_code == 204
    assert send(ld, "delete", f"{base}/metrics/csat").status_code == 204
    assert send(ld, "delete", f"{base}/metrics/csat").status_code == 400
    assert send(ld, "delete", f"{base}/costs/999999").status_code == 400
    assert not (
        ProgramActivity.objects.exists() or CostItem.objects.exists() or ProgramMetric.objects.exists()
    )


def test_writes_need_the_session_and_the_csrf_token(company, make_user):
    token = "a" * 32
    anonymous = Client(enforce_csrf_checks=True)
    anonymous.cookies["csrftoken"] = token
    assert send(anonymous, "post", "/api/programs", CREATE, HTTP_X_CSRFTOKEN=token).status_code == 401
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(roles=["ld_admin"]))
    refused = send(client, "post", "/api/programs", CREATE)
    assert refused.status_code == 403 and not Program.objects.filter(code="coaching").exists()
    client.cookies["csrftoken"] = token
    assert send(client, "post", "/api/programs", CREATE, HTTP_X_CSRFTOKEN=token).status_code == 201


@pytest.mark.parametrize("count", [2, 10])
def test_list_query_count_does_not_grow(company, ld, count, django_assert_max_num_queries):
    for _ in range(count):
        ParticipantFactory(cohort=CohortFactory(program=ProgramFactory()), person=company.learner)
    with django_assert_max_num_queries(8):
        assert ld.get("/api/programs").json()["count"] == count
