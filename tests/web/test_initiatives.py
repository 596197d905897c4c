import datetime as dt

import pytest
from django.urls import reverse

from tandem.initiatives.models import Initiative, InitiativeMetric
from tests.api import factories as data
from tests.factories import MetricDefinitionFactory

pytestmark = pytest.mark.django_db
company = data.company  # the shared fixture


def test_list_shows_status_period_owner_and_progress(company, make_user, login):
    client = login(make_user(roles=["ld_admin"]))
    page = client.get(reverse("initiatives")).content.decode()
    assert "Better service" in page and "Active" in page and "Stan Holder" in page
    # Baseline 60 (entered), target 80, at Customer Service 70, 71, 72: now 71 (their mean) -> 55%.
    assert "60.0" in page and "71.0" in page and "72.0" in page and "80.0" in page and "55%" in page
    assert "entered" in page and reverse("initiative_new") in page


def test_detail_has_description_and_a_chart_with_baseline_and_target(company, make_user, login):
    client = login(make_user(roles=["ld_admin"]))
    page = client.get(reverse("initiative_detail", args=["better-service"])).content.decode()
    assert "Raise satisfaction." in page
    assert "<svg" in page and "Baseline: 60" in page and "Target: 80" in page


def test_learner_sees_company_level_values_not_the_sponsor_unit(company, make_user, login):
    client = login(make_user(roles=["learner"], person=company.learner))
    page = client.get(reverse("initiatives")).content.decode()
    assert "Better service" in page
    assert "68.0" in page and "67.0" in page  # latest company value, the three-month mean
    assert "72.0" not in page and "outside what you see" in page
    assert reverse("initiative_new") not in page


def test_unknown_initiative_is_forbidden(company, make_user, login):
    client = login(make_user(roles=["ld_admin"]))
    assert client.get(reverse("initiative_detail", args=["nope"])).status_code == 403


@pytest.mark.parametrize("count", [2, 12])
def test_list_query_count_does_not_grow(count, company, make_user, login, django_assert_max_num_queries):
    for i in range(count):
        initiative = Initiative.objects.create(
            code=f"i{i}",
            name=f"Initiative {i}",
            start_date=dt.date(2025, 1, 1),
            end_date=dt.date(2025, 12, 31),
        )
        InitiativeMetric.objects.create(initiative=initiative, metric=MetricDefinitionFactory(), target=1.0)
    client = login(make_user(roles=["ld_admin"]))
    with django_assert_max_num_queries(9):
        assert client.get(reverse("initiatives")).status_code == 200


def test_ended_initiatives_say_completed(company, make_user, login):
    Initiative.objects.create(
        code="ended", name="Ended one", start_date=dt.date(2024, 1, 1), end_date=dt.date(2025, 10, 31)
    )
    client = login(make_user(roles=["ld_admin"]))
    page = client.get(reverse("initiative_detail", args=["ended"])).text
    assert ">Completed</span>" in page and ">Active</span>" not in page


@pytest.fixture
def admin_client(make_user, login):
    return login(make_user(roles=["ld_admin"]))


FORM = {
    "code": "retention",
    "name": "Retention",
    "description": "Keep people.",
    "start_date": "2025-01-01",
    "end_date": "2026-12-31",
    "owner_employee_id": "",
    "sponsor_org_unit_code": "",
    "status": "active",
}


@pytest.mark.parametrize("role", ["ld_team", "stakeholder", "manager", "learner", "it_reviewer"])
def test_only_those_allowed_see_the_forms(company, make_user, login, role):
    client = login(make_user(roles=[role]))
    assert client.get(reverse("initiative_new")).status_code == 403
    assert client.post(reverse("initiative_new"), FORM).status_code == 403
    assert client.get(reverse("initiative_edit", args=["better-service"])).status_code == 403
    assert client.post(reverse("initiative_link", args=["better-service"]), {}).status_code == 403
    assert not Initiative.objects.filter(code="retention").exists()


def test_create_edit_and_link_a_metric(company, admin_client):
    response = admin_client.post(reverse("initiative_new"), {**FORM, "sponsor_org_unit_code": "CS"})
    assert response.status_code == 302 and response["Location"] == reverse(
        "initiative_edit", args=["retention"]
    )
    form = {**FORM, "name": "Retention 2027", "status": "cancelled"}
    del form["code"]
    assert admin_client.post(reverse("initiative_edit", args=["retention"]), form).status_code == 302
    link = {
        "metric_code": "csat",
        "org_unit_code": "CS",
        "baseline_date": company.months[1].isoformat(),
        "target": "80",
    }
    assert admin_client.post(reverse("initiative_link", args=["retention"]), link).status_code == 302
    page = admin_client.get(reverse("initiative_detail", args=["retention"])).text
    assert "Retention 2027" in page and ">Cancelled</span>" in page
    assert "70.5" in page  # baseline measured: the mean of CS's 70 and 71 up to the baseline date
    edit = admin_client.get(reverse("initiative_edit", args=["retention"]), {"metric": "csat"}).text
    assert 'value="80.0"' in edit
    unlink = reverse("initiative_unlink", args=["retention", "csat"])
    assert admin_client.post(unlink).status_code == 302
    assert not InitiativeMetric.objects.filter(initiative__code="retention").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"end_date": "2024-01-01"}, "cannot end before it starts"),
        ({"code": "better-service"}, "already exists"),
        ({"owner_employee_id": "NOPE"}, "No person with employee id"),
        ({"start_date": "not a date"}, "Enter a valid date"),
    ],
)
def test_bad_input_is_shown_on_the_form(company, admin_client, change, message):
    response = admin_client.post(reverse("initiative_new"), {**FORM, **change})
    assert response.status_code == 400 and message in response.text
    assert not Initiative.objects.filter(name="Retention").exists()


def test_a_bad_link_is_shown_on_the_form(company, admin_client):
    link = {"metric_code": "csat", "target": "80"}  # neither baseline date nor value
    response = admin_client.post(reverse("initiative_link", args=["better-service"]), link)
    assert response.status_code == 400 and "Give a baseline date" in response.text
