import pytest

from tests.api import factories as data
from tests.api.factories import add_people, add_quiz_scores

pytestmark = pytest.mark.django_db
company = data.company  # the shared fixture


@pytest.fixture
def admin(company, make_user, login):
    return login(make_user(roles=["ld_admin"]))


def test_unauthenticated_gets_401_json(client, company):
    response = client.get("/api/people")
    assert response.status_code == 401
    assert "Sign in" in response.json()["detail"]


def test_capability_missing_is_403(company, make_user, login):
    client = login(make_user(roles=["it_reviewer"]))
    response = client.get("/api/people")
    assert response.status_code == 403 and "do not allow" in response.json()["detail"]
    learner = login(make_user(roles=["learner"], person=company.learner))
    assert learner.get("/api/metrics").status_code == 403


def test_people_list_filters_and_paginates(admin, company):
    data = admin.get("/api/people", {"org_unit": "CS"}).json()
    ids = {p["employee_id"] for p in data["items"]}
    assert company.learner.employee_id in ids and company.manager.employee_id not in ids
    assert data["count"] == len(ids)
    data = admin.get("/api/people", {"q": "report", "limit": 1, "offset": 1}).json()
    assert data["count"] == 2 and len(data["items"]) == 1 and data["offset"] == 1
    data = admin.get("/api/people", {"role": "AGENT"}).json()
    assert [p["employee_id"] for p in data["items"]] == [company.manager.employee_id]
    assert admin.get("/api/people", {"org_unit": "NOPE"}).json()["count"] == 0


def test_people_list_is_limited_to_scope(company, make_user, login):
    client = login(make_user(roles=["manager"], person=company.manager))
    ids = {p["employee_id"] for p in client.get("/api/people").json()["items"]}
    assert ids == {company.manager.employee_id, *(r.employee_id for r in company.reports)}


def test_person_detail_with_current_assignment(admin, company):
    data = admin.get(f"/api/people/{company.mover.employee_id}").json()
    assert data["current_assignment"]["org_unit"] == "CS"
    assert data["current_assignment"]["valid_from"] == "2024-03-01"


def test_as_of_query_across_a_move(admin, company):
    url = f"/api/people/{company.mover.employee_id}/assignments"
    before = admin.get(url, {"as_of": "2024-02-29"}).json()
    assert [a["org_unit"] for a in before["items"]] == ["SALES"]
    assert before["items"][0]["valid_to"] == "2024-03-01"
    on_the_day = admin.get(url, {"as_of": "2024-03-01"}).json()
    assert [a["org_unit"] for a in on_the_day["items"]] == ["CS"]
    assert admin.get(url, {"as_of": "2020-01-01"}).json()["items"] == []
    history = admin.get(url).json()
    assert [a["org_unit"] for a in history["items"]] == ["CS", "SALES"]


def test_bad_date_is_400_with_a_message(admin, company):
    response = admin.get(f"/api/people/{company.mover.employee_id}/assignments", {"as_of": "2024-13-45"})
    assert response.status_code == 400
    assert "as_of" in response.json()["detail"]
    response = admin.get("/api/metrics/csat/observations", {"from": "yesterday"})
    assert response.status_code == 400 and "from" in response.json()["detail"]
    assert admin.get("/api/people", {"limit": 0}).status_code == 400
    assert admin.get("/api/people", {"status": "retired"}).status_code == 400


def test_out_of_scope_and_unknown_are_404(company, make_user, login):
    client = login(make_user(roles=["manager"], person=company.manager))
    response = client.get(f"/api/people/{company.learner.employee_id}")
    assert response.status_code == 404 and response.json()["detail"]
    assert client.get("/api/people/NOBODY").status_code == 404
    assert client.get("/api/org-units/NOPE/headcount").status_code == 404
    assert client.get("/api/metrics/nope/observations").status_code == 404


def test_org_units_and_headcount(admin, company):
    units = admin.get("/api/org-units").json()
    by_code = {u["code"]: u for u in units}
    assert by_code["CS-T1"]["parent"] == "CS"
    assert by_code["CS"]["headcount"] == 3  # Stan, Max, and Lena in Tier 1
    data = admin.get("/api/org-units/CS/headcount", {"months": 3}).json()
    assert len(data["points"]) == 3 and data["points"][-1]["headcount"] == 3


def test_stakeholder_org_units_are_limited(company, make_user, login):
    client = login(
        make_user(roles=["stakeholder"], person=company.stakeholder_person, org_units=[company.cs])
    )
    assert {u["code"] for u in client.get("/api/org-units").json()} == {"CS", "CS-T1"}
    assert client.get("/api/org-units/SALES/headcount").status_code == 404


def test_metrics_and_observations_in_scope(company, make_user, login):
    admin = login(make_user(roles=["ld_admin"]))
    metrics = {m["code"]: m for m in admin.get("/api/metrics").json()}
    assert metrics["csat"]["latest_company"]["value"] == 68.0
    data = admin.get("/api/metrics/csat/observations").json()
    assert data["count"] == 12
    data = admin.get(
        "/api/metrics/csat/observations", {"org_unit": "CS", "from": company.months[-1].isoformat()}
    ).json()
    assert {(o["org_unit"], o["value"]) for o in data["items"]} == {("CS", 72.0), ("CS-T1", 67.0)}

    stakeholder = login(
        make_user(roles=["stakeholder"], person=company.stakeholder_person, org_units=[company.cs])
    )
    levels = {
        (o["level"], o["org_unit"]) for o in stakeholder.get("/api/metrics/csat/observations").json()["items"]
    }
    assert levels == {("company", None), ("org_unit", "CS"), ("org_unit", "CS-T1")}
    assert stakeholder.get("/api/metrics/csat/observations", {"org_unit": "SALES"}).status_code == 404


def test_person_observations_only_for_managed_people(company, make_user, login):
    add_quiz_scores(company, [*company.reports, company.learner])
    manager = login(make_user(roles=["manager"], person=company.manager))
    items = manager.get("/api/metrics/quiz/observations").json()["items"]
    assert {o["employee_id"] for o in items} == {r.employee_id for r in company.reports}
    stakeholder = login(
        make_user(roles=["stakeholder"], person=company.stakeholder_person, org_units=[company.cs])
    )
    assert stakeholder.get("/api/metrics/quiz/observations").json()["items"] == []


def test_initiatives(admin, company):
    data = admin.get("/api/initiatives").json()
    assert data[0]["code"] == "better-service"
    metric = data[0]["metrics"][0]
    assert metric["baseline"] == 60.0 and metric["target"] == 80.0 and metric["latest"] == 72.0
    assert metric["baseline_source"] == "entered" and metric["measured_at"] == "CS"
    assert metric["now"] == pytest.approx(71.0)  # the mean of the last three values, 70, 71, 72
    assert metric["progress"] == pytest.approx(0.55)
    assert admin.get("/api/initiatives", {"status": "completed"}).json() == []


def test_openapi_docs_are_served(admin):
    assert admin.get("/api/docs").status_code == 200
    schema = admin.get("/api/openapi.json").json()
    assert "/api/people/{employee_id}/assignments" in schema["paths"]


@pytest.mark.parametrize("extra", [10, 60])
def test_list_endpoints_have_bounded_queries(extra, admin, company, django_assert_max_num_queries):
    add_people(company.sales, extra)
    add_quiz_scores(company, add_people(company.cs, extra))
    for url in (
        "/api/people",
        "/api/org-units",
        "/api/metrics",
        "/api/initiatives",
        "/api/metrics/quiz/observations",
    ):
        with django_assert_max_num_queries(8):
            assert admin.get(url).status_code == 200, url
