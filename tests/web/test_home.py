import pytest
from django.urls import reverse

from tests.api import factories as data
from tests.api.factories import add_people

pytestmark = pytest.mark.django_db
company = data.company  # the shared fixture


def home(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("role", ["ld_admin", "ld_team"])
def test_ld_home_has_headline_cards_chart_and_initiatives(role, company, make_user, login):
    page = home(login(make_user(roles=[role])))
    assert f'data-testid="home-{role}"' in page
    assert "L&amp;D overview" in page
    assert "Active headcount" in page and "Hires, last 12 months" in page and "Departments" in page
    assert "Headcount of Company" in page and "<svg" in page
    assert "Better service" in page


def test_stakeholder_home_names_their_area(company, make_user, login):
    page = home(
        login(make_user(roles=["stakeholder"], person=company.stakeholder_person, org_units=[company.cs]))
    )
    assert 'data-testid="home-stakeholder"' in page
    assert "Customer Service at a glance" in page
    assert "Tier 1" in page and "Sales" not in page
    assert "Better service" in page and "Target: 80" in page


def test_manager_home_lists_the_team(company, make_user, login):
    page = home(login(make_user(roles=["manager"], person=company.manager)))
    assert 'data-testid="home-manager"' in page and "Your team" in page
    assert "Rita Report" in page and "Rolf Report" in page
    assert reverse("person_detail", args=[company.reports[0].employee_id]) in page


def test_learner_home_shows_own_record_and_company_initiatives(company, make_user, login):
    page = home(login(make_user(roles=["learner"], person=company.learner)))
    assert 'data-testid="home-learner"' in page
    assert "Hello, Lena" in page and "Tier 1" in page
    assert "Better service" in page


def test_it_reviewer_home_points_to_the_system_page(company, make_user, login):
    page = home(login(make_user(roles=["it_reviewer"])))
    assert 'data-testid="home-it_reviewer"' in page and reverse("system") in page


def test_user_without_a_role_is_told_to_ask_for_access(company, make_user, login):
    page = home(login(make_user(roles=[])))
    assert 'data-testid="home-none"' in page and "Ask your L&amp;D admin" in page


def test_anonymous_is_sent_to_log_in(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("extra", [10, 60])
def test_ld_home_query_count_does_not_grow(extra, company, make_user, login, django_assert_max_num_queries):
    add_people(company.sales, extra)
    client = login(make_user(roles=["ld_admin"]))
    with django_assert_max_num_queries(15):
        home(client)


@pytest.mark.parametrize("extra", [10, 60])
def test_manager_home_query_count_does_not_grow(
    extra, company, make_user, login, django_assert_max_num_queries
):
    add_people(company.sales, extra, manager=company.manager)
    client = login(make_user(roles=["manager"], person=company.manager))
    with django_assert_max_num_queries(16):
        home(client)
