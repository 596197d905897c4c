import uuid

import pytest
from django.urls import reverse

from tandem.lrs.services import statements_store
from tests.api import factories as data
from tests.api.factories import add_people
from tests.lrs.factories import LrsClientFactory, agent, statement

pytestmark = pytest.mark.django_db
company = data.company  # the shared fixture


def names(response):
    return response.content.decode()


def test_ld_admin_sees_everyone_with_filters_and_search(company, make_user, login):
    client = login(make_user(roles=["ld_admin"]))
    page = names(client.get(reverse("people")))
    for person in [company.manager, company.learner, company.mover, *company.reports]:
        assert person.full_name in page
    page = names(client.get(reverse("people"), {"q": "lena"}))
    assert "Lena Learner" in page and "Mona Manager" not in page
    page = names(client.get(reverse("people"), {"q": company.manager.employee_id}))
    assert "Mona Manager" in page and "Lena Learner" not in page
    # Org unit filter includes the units below: Tier 1 is inside Customer Service.
    page = names(client.get(reverse("people"), {"org_unit": "CS"}))
    assert "Lena Learner" in page and "Max Mover" in page and "Mona Manager" not in page
    page = names(client.get(reverse("people"), {"location": "Lisbon"}))
    assert "Lena Learner" in page and "Max Mover" not in page
    page = names(client.get(reverse("people"), {"org_unit": "NOPE"}))
    assert "No one matches" in page


def test_htmx_request_gets_only_the_results_fragment(company, make_user, login):
    client = login(make_user(roles=["ld_admin"]))
    response = client.get(reverse("people"), {"q": "Report"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'data-testid="people-results"' in html
    assert "Rita Report" in html and "Lena Learner" not in html
    assert "HX-Request" in response["Vary"]
    restore = client.get(reverse("people"), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in restore.content.decode()
    full = client.get(reverse("people")).content.decode()
    assert 'hx-trigger="input changed delay:300ms' in full and 'hx-target="#people-results"' in full


def test_stakeholder_sees_only_people_in_their_units(company, make_user, login):
    client = login(
        make_user(roles=["stakeholder"], person=company.stakeholder_person, org_units=[company.cs])
    )
    page = names(client.get(reverse("people")))
    assert "Lena Learner" in page and "Max Mover" in page and "Stan Holder" in page
    assert "Mona Manager" not in page and "Rita Report" not in page


def test_manager_sees_only_their_reports_and_self(company, make_user, login):
    client = login(make_user(roles=["manager"], person=company.manager))
    page = names(client.get(reverse("people")))
    assert "Rita Report" in page and "Rolf Report" in page and "Mona Manager" in page
    assert "Lena Learner" not in page and "Max Mover" not in page


def test_learner_sees_only_self(company, make_user, login):
    client = login(make_user(roles=["learner"], person=company.learner))
    page = names(client.get(reverse("people")))
    assert "Lena Learner" in page
    assert "1 person" in page
    assert client.get(reverse("person_detail", args=[company.manager.employee_id])).status_code == 403


def test_person_detail_shows_record_reports_and_history(company, make_user, login):
    client = login(make_user(roles=["ld_admin"]))
    page = names(client.get(reverse("person_detail", args=[company.mover.employee_id])))
    assert "Acme" in page and "Customer Service" in page
    # Both assignments, the closed one with its end date.
    assert "Seller" in page and "1 Mar 2024" in page and "Sales" in page
    page = names(client.get(reverse("person_detail", args=[company.manager.employee_id])))
    assert "Rita Report" in page and "Rolf Report" in page


def test_person_outside_scope_is_forbidden_and_unknown_too(company, make_user, login):
    client = login(make_user(roles=["manager"], person=company.manager))
    assert client.get(reverse("person_detail", args=[company.reports[0].employee_id])).status_code == 200
    assert client.get(reverse("person_detail", args=[company.learner.employee_id])).status_code == 403
    assert client.get(reverse("person_detail", args=["NOBODY"])).status_code == 403


def test_it_reviewer_cannot_open_people(company, make_user, login):
    client = login(make_user(roles=["it_reviewer"]))
    assert client.get(reverse("people")).status_code == 403


def test_people_list_is_paginated(company, make_user, login):
    add_people(company.sales, 60)
    client = login(make_user(roles=["ld_admin"]))
    page = names(client.get(reverse("people")))
    assert "Page 1 of 2" in page and "page=2" in page
    assert "Page 2 of 2" in names(client.get(reverse("people"), {"page": 2}))


@pytest.mark.parametrize("extra", [10, 60])
def test_people_list_query_count_does_not_grow_with_rows(
    extra, company, make_user, login, django_assert_max_num_queries
):
    add_people(company.sales, extra)
    client = login(make_user(roles=["ld_admin"]))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("people")).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("people"), {"q": "First"}, HTTP_HX_REQUEST="true").status_code == 200


ATTENDED = "http://adlnet.gov/expapi/verbs/attended"


def _learning(person, count: int = 1) -> None:
    """`count` activities for the person: a named coaching series of three sessions, then unnamed courses."""
    series = {"registration": str(uuid.uuid4())}
    coaching = {
        "objectType": "Activity",
        "id": "http://example.com/coaching",
        "definition": {"name": {"en-US": "One-to-one coaching"}},
    }
    statements = [statement(actor=agent(person.work_email), verb=ATTENDED, obj=coaching, context=series)] * 3
    statements = [{**s, "id": str(uuid.uuid4())} for s in statements]
    statements += [
        statement(actor=agent(person.work_email), activity=f"http://example.com/course-{i}")
        for i in range(count - 1)
    ]
    statements_store(statements=statements, version="1.0.3", client=LrsClientFactory())


def test_person_page_shows_learning_records_to_ld_and_the_person(company, make_user, login):
    _learning(company.learner, 2)
    for user in (make_user(roles=["ld_team"]), make_user(roles=["learner"], person=company.learner)):
        page = names(login(user).get(reverse("person_detail", args=[company.learner.employee_id])))
        assert "Learning records" in page
        assert "{#" not in page and "#}" not in page  # no template comment leaks into the page
        # The coaching series: three sessions under one registration are one attempt.
        row = page[page.index("One-to-one coaching") :].split("</tr>")[0]
        assert '<td class="num hide-sm">1</td>' in row
        # A course that only reported "completed" reported no attempt: a dash, not 0.
        row = page[page.index("http://example.com/course-0") :].split("</tr>")[0]
        assert '<td class="num hide-sm">—</td>' in row


def test_person_page_hides_learning_records_from_stakeholders_and_managers(company, make_user, login):
    _learning(company.reports[0])
    stakeholder = make_user(
        roles=["stakeholder"], person=company.stakeholder_person, org_units=[company.sales]
    )
    manager = make_user(roles=["manager"], person=company.manager)
    for user in (stakeholder, manager):
        response = login(user).get(reverse("person_detail", args=[company.reports[0].employee_id]))
        assert response.status_code == 200
        assert "Learning records" not in names(response) and "One-to-one coaching" not in names(response)


@pytest.mark.parametrize("activities", [1, 12])
def test_person_page_query_count_does_not_grow_with_learning_records(
    activities, company, make_user, login, django_assert_max_num_queries
):
    _learning(company.learner, activities)
    client = login(make_user(roles=["ld_admin"]))
    with django_assert_max_num_queries(14):
        page = names(client.get(reverse("person_detail", args=[company.learner.employee_id])))
    assert page.count("http://example.com/course-") == activities - 1  # unnamed: shown by their IRI
