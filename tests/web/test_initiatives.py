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
    # Baseline 60, target 80, latest at the sponsor unit (Customer Service) 72 -> 60% of the way.
    assert "60.0" in page and "72.0" in page and "80.0" in page and "60%" in page


def test_detail_has_description_and_a_chart_with_baseline_and_target(company, make_user, login):
    client = login(make_user(roles=["ld_admin"]))
    page = client.get(reverse("initiative_detail", args=["better-service"])).content.decode()
    assert "Raise satisfaction." in page
    assert "<svg" in page and "Baseline: 60" in page and "Target: 80" in page


def test_learner_sees_company_level_values_not_the_sponsor_unit(company, make_user, login):
    client = login(make_user(roles=["learner"], person=company.learner))
    page = client.get(reverse("initiatives")).content.decode()
    assert "Better service" in page
    assert "68.0" in page  # latest company value
    assert "72.0" not in page


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
