"""/api/comparison-groups and /api/pilot-plans: dry runs that write nothing, saves that keep the previous
group, power numbers from the stats module, and a frozen plan refusing edits."""

import json

import pytest

from tandem.impact.models import ComparisonGroup, PilotPlan
from tandem.impact.stats import DidDesign, sample_size
from tandem.org.models import Person
from tests.factories import PersonFactory
from tests.impact.factories import build

pytestmark = pytest.mark.django_db

PLAN = {
    "design": "did",
    "minimum_detectable_effect": 3,
    "outcome_sd": 10,
    "correlation": 0.8,
    "duration_weeks": 8,
    "scale_threshold": 1,
    "stop_threshold": 0,
}


def _call(client, method, url, body=None):
    return getattr(client, method)(url, json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def program(settings):
    settings.TANDEM_MIN_GROUP_SIZE = 5
    return build(effect=3.0, per_cohort=8, comparison=12)


@pytest.fixture
def admin(make_user, login):
    return login(make_user(roles=["ld_team"]))


def test_propose_writes_nothing_and_save_gives_the_same_people(program, admin):
    wave = program.cohorts.order_by("start_date").first()
    unit = Person.objects.get(employee_id="E0000").org_unit
    for i in range(20):
        PersonFactory(employee_id=f"C{i:02d}", org_unit=unit)
    body = {"method": "matched", "cohort": wave.name, "caliper": None}
    before = ComparisonGroup.objects.count()
    response = _call(admin, "post", "/api/comparison-groups/coach/propose", body)
    assert response.status_code == 200, response.content
    proposal = response.json()
    assert ComparisonGroup.objects.count() == before
    assert proposal["balance"] and proposal["participants"] == 8
    response = _call(admin, "post", "/api/comparison-groups/coach", body)
    assert response.status_code == 201, response.content
    saved = response.json()
    assert saved["size"] == proposal["size"] and saved["current"] is True
    group = ComparisonGroup.objects.get(pk=saved["id"])
    assert sorted(group.members.values_list("person__employee_id", flat=True)) == sorted(
        m["employee_id"] for m in proposal["members"]
    )
    again = _call(admin, "post", "/api/comparison-groups/coach", body).json()
    listing = admin.get("/api/comparison-groups/coach", {"superseded": "true"}).json()
    assert {g["id"]: g["current"] for g in listing if g["cohort"] == wave.name} == {
        saved["id"]: False,
        again["id"]: True,
    }
    assert saved["id"] not in [g["id"] for g in admin.get("/api/comparison-groups/coach").json()]


def test_refusals_are_400_with_the_reason(program, admin):
    response = _call(admin, "post", "/api/comparison-groups/coach/propose", {"method": "matched"})
    assert response.status_code == 400 and "choose the cohort" in response.json()["detail"]
    response = _call(
        admin,
        "post",
        "/api/comparison-groups/coach/propose",
        {"method": "explicit", "people": ["nobody@x.org"]},
    )
    assert response.status_code == 400 and "nobody@x.org" in response.json()["detail"]
    response = _call(
        admin, "post", "/api/comparison-groups/coach/propose", {"method": "explicit", "cohort": "W99"}
    )
    assert response.status_code == 400 and "No cohort" in response.json()["detail"]
    assert _call(admin, "post", "/api/comparison-groups/coach/propose", {"method": "x"}).status_code == 400
    assert (
        _call(admin, "post", "/api/comparison-groups/nope/propose", {"method": "explicit"}).status_code == 404
    )


def test_power_equals_the_stats_module_and_a_frozen_plan_refuses_edits(program, admin):
    response = _call(
        admin,
        "post",
        "/api/pilot-plans/coach/power",
        {k: PLAN[k] for k in PLAN if k not in {"duration_weeks", "scale_threshold", "stop_threshold"}},
    )
    assert response.status_code == 200, response.content
    expected = sample_size(design=DidDesign(difference=3, sd=10, correlation=0.8), target_power=0.8)
    assert response.json()["required_per_group"] == expected.n_a
    assert PilotPlan.objects.count() == 0  # no write
    assert admin.get("/api/pilot-plans/coach").status_code == 404
    response = _call(admin, "put", "/api/pilot-plans/coach", PLAN)
    assert response.status_code == 200, response.content
    assert response.json()["required_per_group"] == expected.n_a and response.json()["frozen"] is False
    response = _call(admin, "post", "/api/pilot-plans/coach/freeze")
    assert response.status_code == 200 and response.json()["frozen"] is True and response.json()["frozen_at"]
    response = _call(admin, "put", "/api/pilot-plans/coach", {**PLAN, "minimum_detectable_effect": 1})
    assert response.status_code == 400 and "frozen" in response.json()["detail"]
    assert PilotPlan.objects.get().minimum_detectable_effect == 3
    assert _call(admin, "post", "/api/pilot-plans/coach/freeze").status_code == 400


def test_roles(program, make_user, login):
    unit = Person.objects.get(employee_id="E0000").org_unit
    stakeholder = login(make_user(roles=["stakeholder"], org_units=[unit]))
    assert stakeholder.get("/api/comparison-groups/coach").status_code == 200
    assert (
        _call(stakeholder, "post", "/api/comparison-groups/coach/propose", {"method": "explicit"}).status_code
        == 403
    )
    assert _call(stakeholder, "put", "/api/pilot-plans/coach", PLAN).status_code == 403
    assert _call(stakeholder, "post", "/api/pilot-plans/coach/freeze").status_code == 403
    learner = login(make_user(roles=["learner"]))
    assert learner.get("/api/comparison-groups/coach").status_code == 403
