"""Creating and editing programs on the pages: only the L&D roles write, every write through a service, a
refusal shown on its form with what was typed kept."""

import pytest
from django.urls import reverse

from tandem.audit.models import AuditEvent
from tandem.impact.models import CostItem, Program, ProgramActivity, ProgramMetric
from tests.api import factories as data
from tests.impact.factories import ProgramFactory
from tests.web.factories import store_learning

pytestmark = pytest.mark.django_db
company = data.company  # the shared fixture

COURSE = "https://lms.example.com/courses/negotiation"
FORM = {
    "code": "coaching",
    "name": "Coaching for agents",
    "description": "Weekly coaching.",
    "owner_employee_id": "",
    "sponsor_employee_id": "",
    "initiative_code": "better-service",
    "audience": "Customer service agents",
    "start_date": "2025-03-01",
    "end_date": "2025-09-30",
    "status": "draft",
    "delivery_modes": ["coaching", "virtual"],
}


@pytest.fixture
def ld_client(make_user, login):
    return login(make_user(roles=["ld_team"]))


@pytest.fixture
def program(company):
    return ProgramFactory(code="onboarding", name="Onboarding")


def test_the_list_offers_new_program_to_the_l_and_d_roles_only(company, make_user, login):
    new = reverse("program_new")
    assert new in login(make_user(roles=["ld_admin"])).get(reverse("programs")).text
    stakeholder = make_user(roles=["stakeholder"], org_units=[company.cs])
    assert new not in login(stakeholder).get(reverse("programs")).text


@pytest.mark.parametrize("role", ["stakeholder", "manager", "learner", "it_reviewer"])
def test_others_get_the_403_page_for_every_form(company, program, make_user, login, role):
    client = login(make_user(roles=[role]))
    gets = [reverse("program_new"), reverse("program_setup", args=["onboarding"])]
    gets += [reverse("program_edit", args=["onboarding"]), reverse("program_people_search") + "?q=rita"]
    for url in gets:
        response = client.get(url)
        assert response.status_code == 403 and 'data-testid="access-denied"' in response.text, url
    posts = {
        reverse("program_new"): FORM,
        reverse("program_edit", args=["onboarding"]): {**FORM, "name": "Taken over"},
        reverse("program_activity_add", args=["onboarding"]): {"activity_iri": COURSE},
        reverse("program_cost_add", args=["onboarding"]): {"kind": "licence", "amount": "10"},
        reverse("program_metric_set", args=["onboarding"]): {"metric_code": "csat", "role": "primary"},
    }
    for url, body in posts.items():
        assert client.post(url, body).status_code == 403, url
    program.refresh_from_db()
    assert program.name == "Onboarding" and not Program.objects.filter(code="coaching").exists()
    assert not ProgramActivity.objects.exists() and not CostItem.objects.exists()


def test_create_with_people_pickers_then_edit(company, make_user, login):
    client = login(make_user(roles=["ld_admin"]))
    owner, sponsor = company.manager.employee_id, company.stakeholder_person.employee_id
    response = client.post(
        reverse("program_new"), {**FORM, "owner_employee_id": owner, "sponsor_employee_id": sponsor}
    )
    assert response.status_code == 302 and response["Location"] == reverse("program_setup", args=["coaching"])
    program = Program.objects.get(code="coaching")
    assert program.owner == company.manager and program.sponsor == company.stakeholder_person
    assert program.delivery_modes == ["coaching", "virtual"] and program.initiative == company.initiative
    setup = client.get(reverse("program_setup", args=["coaching"])).text
    assert "Mona Manager" in setup and "Stan Holder" in setup and "Virtual classroom" in setup
    edit = client.get(reverse("program_edit", args=["coaching"])).text
    assert f'value="{sponsor}"' in edit and 'value="virtual"' in edit and "checked" in edit
    form = {**FORM, "name": "Coaching 2", "status": "running", "is_pilot": "on", "sponsor_employee_id": ""}
    del form["code"]
    form["delivery_modes"] = ["classroom"]
    assert client.post(reverse("program_edit", args=["coaching"]), form).status_code == 302
    program.refresh_from_db()
    assert (program.name, program.status, program.is_pilot) == ("Coaching 2", "running", True)
    assert program.sponsor is None and program.delivery_modes == ["classroom"]
    assert AuditEvent.objects.filter(entity_type="program", action="update").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "new"}, "reserved"),
        ({"end_date": "2025-01-01"}, "cannot end before it starts"),
        ({"owner_employee_id": "NOPE"}, "Unknown employee id"),
        ({"delivery_modes": ["telepathy"]}, "Select a valid choice"),
    ],
)
def test_a_refusal_is_shown_on_the_form_with_the_values_kept(company, ld_client, change, message):
    response = ld_client.post(reverse("program_new"), {**FORM, **change})
    assert response.status_code == 400 and message in response.text
    assert 'value="Coaching for agents"' in response.text  # what was typed is still there
    assert not Program.objects.filter(name="Coaching for agents").exists()


def test_the_people_picker_finds_by_name(company, ld_client):
    response = ld_client.get(
        reverse("program_people_search"), {"field": "sponsor_employee_id", "sponsor_employee_id": "holder"}
    )
    assert f'<option value="{company.stakeholder_person.employee_id}">Stan Holder' in response.text
    assert "Rita" not in response.text


def test_activities_searched_in_the_lrs_added_and_removed(company, program, ld_client):
    store_learning(people=company.reports, activity=COURSE)
    store_learning(people=company.reports[:1], activity="https://lms.example.com/courses/other")
    search = ld_client.get(reverse("program_activity_search", args=["onboarding"]), {"q": "negotiation"})
    assert COURSE in search.text and "courses/other" not in search.text
    assert '<td class="num">2</td>' in search.text  # two statements, two learners
    assert (
        ld_client.post(
            reverse("program_activity_add", args=["onboarding"]), {"activity_iri": COURSE}
        ).status_code
        == 302
    )
    activity = ProgramActivity.objects.get(program=program)
    setup = ld_client.get(reverse("program_setup", args=["onboarding"])).text
    assert reverse("program_activity_remove", args=["onboarding", activity.pk]) in setup
    again = ld_client.post(reverse("program_activity_add", args=["onboarding"]), {"activity_iri": COURSE})
    assert again.status_code == 400 and "already one of the program" in again.text
    remove = reverse("program_activity_remove", args=["onboarding", activity.pk])
    assert ld_client.post(remove).status_code == 302
    assert not ProgramActivity.objects.filter(program=program).exists()


def test_costs_added_with_the_currency_totalled_and_removed(company, program, ld_client, settings):
    settings.TANDEM_CURRENCY = "EUR"
    url = reverse("program_cost_add", args=["onboarding"])
    assert ld_client.post(url, {"kind": "licence", "amount": "1200"}).status_code == 302
    assert ld_client.post(url, {"kind": "ld_hours", "hours": "10", "rate": "55.50"}).status_code == 302
    both = ld_client.post(
        url, {"kind": "other", "amount": "5", "hours": "1", "rate": "1", "description": "Mugs"}
    )
    assert both.status_code == 400 and "Give either an amount" in both.text and 'value="Mugs"' in both.text
    setup = ld_client.get(reverse("program_setup", args=["onboarding"])).text
    assert "€1,755.00" in setup and "Amount (EUR)" in setup
    item = CostItem.objects.get(program=program, kind="licence")
    assert item.currency == "EUR"
    assert ld_client.post(reverse("program_cost_remove", args=["onboarding", item.pk])).status_code == 302
    assert list(CostItem.objects.filter(program=program).values_list("kind", flat=True)) == ["ld_hours"]


def test_metrics_linked_with_direction_changed_and_removed(company, program, ld_client):
    url = reverse("program_metric_set", args=["onboarding"])
    body = {
        "metric_code": "csat",
        "role": "primary",
        "expected_direction": "down",
        "baseline": "60",
        "goal": "70",
    }
    assert ld_client.post(url, body).status_code == 302
    link = ProgramMetric.objects.get(program=program)
    assert link.is_primary and link.expected_direction == "down" and link.goal == 70
    change = ld_client.get(reverse("program_setup", args=["onboarding"]), {"metric": "csat"}).text
    assert 'value="70.0"' in change and '<option value="down" selected>' in change
    bad = ld_client.post(url, {**body, "value_per_unit": "-1"})
    assert bad.status_code == 400 and "cannot be negative" in bad.text
    assert ld_client.post(reverse("program_metric_remove", args=["onboarding", "csat"])).status_code == 302
    assert not ProgramMetric.objects.filter(program=program).exists()


def test_the_detail_page_links_the_setup_page_for_the_l_and_d_roles(company, program, ld_client):
    page = ld_client.get(reverse("program_detail", args=["onboarding"])).text
    assert reverse("program_setup", args=["onboarding"]) in page


@pytest.mark.parametrize("count", [2, 12])
def test_setup_page_and_activity_search_query_counts_do_not_grow(
    company, program, ld_client, count, django_assert_max_num_queries
):
    for i in range(count):
        store_learning(people=company.reports, activity=f"https://lms.example.com/courses/c{i}")
    with django_assert_max_num_queries(20):
        assert ld_client.get(reverse("program_setup", args=["onboarding"])).status_code == 200
    with django_assert_max_num_queries(12):
        search = ld_client.get(reverse("program_activity_search", args=["onboarding"]), {"q": "courses"})
    assert search.text.count('name="activity_iri" value="https://lms.example.com/courses/c') == count
