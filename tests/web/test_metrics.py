import pytest
from django.urls import reverse

from tests.api import factories as data
from tests.api.factories import add_people, add_quiz_scores
from tests.factories import MetricDefinitionFactory, MetricObservationFactory

pytestmark = pytest.mark.django_db
company = data.company  # the shared fixture


def test_list_shows_definitions_latest_company_value_and_a_trend(company, make_user, login):
    client = login(make_user(roles=["ld_admin"]))
    page = client.get(reverse("metrics")).content.decode()
    assert "Customer satisfaction" in page and "Quiz score" in page
    assert "68.0" in page  # latest company value
    assert "Higher" in page or "higher" in page
    assert "<svg" in page


def test_detail_charts_company_and_units_with_a_table(company, make_user, login):
    client = login(make_user(roles=["ld_admin"]))
    page = client.get(reverse("metric_detail", args=["csat"])).content.decode()
    assert 'data-testid="metric-chart"' in page and "<svg" in page
    assert "Company" in page and "Customer Service" in page and "Sales" in page
    assert "72.0" in page and "62.0" in page
    page = client.get(reverse("metric_detail", args=["csat"]), {"org_unit": "CS"}).content.decode()
    assert "Tier 1" in page  # the unit below is charted with the selected one


def test_stakeholder_sees_company_and_own_units_only(company, make_user, login):
    client = login(
        make_user(roles=["stakeholder"], person=company.stakeholder_person, org_units=[company.cs])
    )
    page = client.get(reverse("metric_detail", args=["csat"])).content.decode()
    assert "Customer Service" in page and "Company" in page
    assert "Sales" not in page


def test_person_metric_hides_small_groups(company, make_user, login, settings):
    settings.TANDEM_MIN_GROUP_SIZE = 5
    big = add_people(company.sales, 5)
    add_quiz_scores(company, big)
    add_quiz_scores(company, [company.learner])  # Tier 1 and Customer Service: one person
    client = login(make_user(roles=["ld_admin"]))
    page = client.get(reverse("metric_detail", args=["quiz"])).content.decode()
    assert "fewer than 5 people" in page
    assert "(n=5)" in page  # Sales: five people, a mean is shown
    # L&D sees individual values.
    assert 'data-testid="person-values"' in page and "Lena Learner" in page


def test_stakeholder_sees_no_individual_values(company, make_user, login, settings):
    settings.TANDEM_MIN_GROUP_SIZE = 1
    add_quiz_scores(company, [company.learner, company.mover])
    client = login(
        make_user(roles=["stakeholder"], person=company.stakeholder_person, org_units=[company.cs])
    )
    page = client.get(reverse("metric_detail", args=["quiz"])).content.decode()
    assert "(n=2)" in page  # the group figure for Customer Service
    assert 'data-testid="person-values"' not in page and "Lena Learner" not in page


def test_manager_sees_individual_values_of_reports_only(company, make_user, login, settings):
    settings.TANDEM_MIN_GROUP_SIZE = 1
    add_quiz_scores(company, [*company.reports, company.learner])
    client = login(make_user(roles=["manager"], person=company.manager))
    page = client.get(reverse("metric_detail", args=["quiz"])).content.decode()
    assert "Rita Report" in page and "Rolf Report" in page
    assert "Lena Learner" not in page


def test_learner_cannot_open_metrics(company, make_user, login):
    client = login(make_user(roles=["learner"], person=company.learner))
    assert client.get(reverse("metrics")).status_code == 403
    assert client.get(reverse("metric_detail", args=["csat"])).status_code == 403


@pytest.mark.parametrize("count", [2, 12])
def test_list_query_count_does_not_grow(count, company, make_user, login, django_assert_max_num_queries):
    for _ in range(count):
        MetricObservationFactory(metric=MetricDefinitionFactory(), org_unit=company.cs)
    client = login(make_user(roles=["ld_admin"]))
    with django_assert_max_num_queries(8):
        assert client.get(reverse("metrics")).status_code == 200


METRIC_FORM = {
    "code": "cost-per-hire",
    "name": "Cost per hire",
    "unit": "EUR",
    "grain": "company",
    "frequency": "monthly",
    "direction": "down",
    "decimals": "0",
    "description": "",
}


@pytest.mark.parametrize("role", ["ld_team", "stakeholder", "manager", "learner"])
def test_metric_forms_are_for_those_allowed(company, make_user, login, role):
    client = login(make_user(roles=[role]))
    assert client.get(reverse("metric_new")).status_code == 403
    assert client.post(reverse("metric_new"), METRIC_FORM).status_code == 403
    assert client.post(reverse("metric_edit", args=["csat"]), METRIC_FORM).status_code == 403
    assert "cost-per-hire" not in client.get(reverse("metrics")).text


def test_create_and_edit_a_metric_rebuilds_series_on_a_grain_change(company, make_user, login):
    from tandem.metrics.models import MetricDefinition, MetricSeries
    from tandem.metrics.services import metric_series_rebuild

    client = login(make_user(roles=["ld_admin"]))
    assert reverse("metric_new") in client.get(reverse("metrics")).text
    response = client.post(reverse("metric_new"), METRIC_FORM)
    assert response.status_code == 302 and response["Location"] == reverse(
        "metric_detail", args=["cost-per-hire"]
    )
    add_quiz_scores(company, company.reports)
    metric_series_rebuild(metric_ids=[company.quiz.pk])
    assert MetricSeries.objects.filter(metric=company.quiz).exists()
    edit = {**METRIC_FORM, "name": "Quiz", "unit": "points", "grain": "org_unit", "decimals": "1"}
    del edit["code"]
    assert client.post(reverse("metric_edit", args=["quiz"]), edit).status_code == 302
    assert MetricDefinition.objects.get(code="quiz").grain == "org_unit"
    assert not MetricSeries.objects.filter(metric=company.quiz).exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "csat"}, "already exists"),
        ({"decimals": "12"}, "less than or equal to 6"),
        ({"grain": "galaxy"}, "Select a valid choice"),
        ({"unit": ""}, "This field is required"),
    ],
)
def test_bad_metric_input_is_shown_on_the_form(company, make_user, login, change, message):
    client = login(make_user(roles=["ld_admin"]))
    response = client.post(reverse("metric_new"), {**METRIC_FORM, **change})
    assert response.status_code == 400 and message in response.text
