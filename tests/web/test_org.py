import pytest
from django.urls import reverse

from tests.api import factories as data
from tests.api.factories import add_people
from tests.factories import OrgUnitFactory

pytestmark = pytest.mark.django_db
company = data.company  # the shared fixture


def test_tree_shows_units_with_kind_cost_centre_and_rolled_up_headcount(company, make_user, login):
    client = login(make_user(roles=["ld_admin"]))
    page = client.get(reverse("org_tree")).content.decode()
    for name in ("Acme", "Sales", "Customer Service", "Tier 1"):
        assert name in page
    assert "CC-200" in page and "team" in page
    assert reverse("org_unit_detail", args=["CS"]) in page
    assert "?org_unit=CS" in page


def test_stakeholder_tree_is_limited_to_their_units(company, make_user, login):
    client = login(
        make_user(roles=["stakeholder"], person=company.stakeholder_person, org_units=[company.cs])
    )
    page = client.get(reverse("org_tree")).content.decode()
    assert "Customer Service" in page and "Tier 1" in page
    assert "Sales" not in page
    assert client.get(reverse("org_unit_detail", args=["SALES"])).status_code == 403
    assert client.get(reverse("org_unit_detail", args=["CS"])).status_code == 200


def test_unit_page_has_breadcrumbs_children_charts_and_metrics(company, make_user, login):
    client = login(make_user(roles=["ld_admin"]))
    response = client.get(reverse("org_unit_detail", args=["CS"]))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'aria-label="Breadcrumbs"' in page and "Acme" in page
    assert "Tier 1" in page  # child unit
    assert page.count("<svg") >= 2  # headcount and hires/leavers charts
    assert "Headcount of Customer Service" in page
    assert "Customer satisfaction" in page  # metric observed at this unit
    assert f"{reverse('people')}?org_unit=CS" in page


def test_unknown_unit_is_forbidden(company, make_user, login):
    client = login(make_user(roles=["ld_admin"]))
    assert client.get(reverse("org_unit_detail", args=["NOPE"])).status_code == 403


def test_learner_cannot_open_org_pages(company, make_user, login):
    client = login(make_user(roles=["learner"], person=company.learner))
    assert client.get(reverse("org_tree")).status_code == 403


@pytest.mark.parametrize("units", [3, 25])
def test_tree_query_count_does_not_grow_with_units(
    units, company, make_user, login, django_assert_max_num_queries
):
    for _ in range(units):
        add_people(OrgUnitFactory(parent=company.sales), 2)
    client = login(make_user(roles=["ld_admin"]))
    with django_assert_max_num_queries(8):
        assert client.get(reverse("org_tree")).status_code == 200
