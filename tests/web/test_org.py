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


UNIT_FORM = {
    "code": "CS-T2",
    "name": "Tier 2",
    "kind": "team",
    "parent_code": "CS",
    "cost_centre": "CC-201",
    "valid_from": "2024-01-01",
    "valid_to": "",
}


@pytest.mark.parametrize("role", ["ld_team", "stakeholder", "manager", "learner"])
def test_org_forms_are_for_those_allowed(company, make_user, login, role):
    client = login(make_user(roles=[role]))
    for name, args in (
        ("org_unit_new", []),
        ("org_unit_edit", ["CS"]),
        ("job_role_new", []),
        ("job_family_new", []),
    ):
        assert client.get(reverse(name, args=args)).status_code == 403, name
        assert client.post(reverse(name, args=args), UNIT_FORM).status_code == 403, name
    assert reverse("org_unit_new") not in client.get(reverse("org_tree")).text


def test_create_a_unit_and_move_it_with_its_subtree(company, make_user, login):
    from tandem.org.models import OrgUnit

    client = login(make_user(roles=["ld_admin"]))
    assert reverse("org_unit_new") in client.get(reverse("org_tree")).text
    response = client.post(reverse("org_unit_new"), UNIT_FORM)
    assert response.status_code == 302 and response["Location"] == reverse("org_unit_detail", args=["CS-T2"])
    OrgUnitFactory(code="CS-T2-A", parent=OrgUnit.objects.get(code="CS-T2"))
    move = {**UNIT_FORM, "parent_code": "SALES", "effective": "2025-06-01"}
    del move["code"]
    assert client.post(reverse("org_unit_edit", args=["CS-T2"]), move).status_code == 302
    units = {unit.code: unit for unit in OrgUnit.objects.all()}
    assert units["CS-T2"].path == f"{units['SALES'].path}{units['CS-T2'].pk}/"
    assert units["CS-T2-A"].path == f"{units['CS-T2'].path}{units['CS-T2-A'].pk}/"
    edit_page = client.get(reverse("org_unit_edit", args=["CS-T2"])).text
    assert 'value="CS-T2-A"' not in edit_page  # a unit is never offered as a parent below itself


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "CS"}, "already exists"),
        ({"kind": "tribe"}, "Select a valid choice"),
        ({"valid_to": "2023-01-01"}, "closing day must come after"),
        ({"code": "A B"}, "without spaces"),
    ],
)
def test_bad_unit_input_is_shown_on_the_form(company, make_user, login, change, message):
    client = login(make_user(roles=["ld_admin"]))
    response = client.post(reverse("org_unit_new"), {**UNIT_FORM, **change})
    assert response.status_code == 400 and message in response.text


def test_closing_a_unit_with_people_is_refused_on_the_form(company, make_user, login):
    client = login(make_user(roles=["ld_admin"]))
    form = {"name": "Sales", "kind": "department", "parent_code": "CO", "cost_centre": "CC-100"}
    form |= {"valid_from": "2020-01-01", "valid_to": "2025-01-01", "effective": "2025-01-01"}
    response = client.post(reverse("org_unit_edit", args=["SALES"]), form)
    assert response.status_code == 400 and "move those people" in response.text


def test_job_families_and_roles_pages(company, make_user, login):
    from tandem.org.models import JobRole

    client = login(make_user(roles=["ld_admin"]))
    assert client.post(reverse("job_family_new"), {"code": "SVC", "name": "Service"}).status_code == 302
    role = {"code": "CSA", "name": "Agent", "family_code": "SVC", "level": "1"}
    assert client.post(reverse("job_role_new"), role).status_code == 302
    role |= {"name": "Senior agent", "level": "2", "is_people_manager": "on"}
    assert client.post(reverse("job_role_edit", args=["CSA"]), role).status_code == 302
    saved = JobRole.objects.get(code="CSA")
    assert saved.name == "Senior agent" and saved.level == 2 and saved.is_people_manager
    page = client.get(reverse("job_roles")).text
    assert "Senior agent" in page and "Service" in page and reverse("job_role_edit", args=["CSA"]) in page
    bad = client.post(reverse("job_role_new"), {**role, "code": "CSA"})
    assert bad.status_code == 400 and "already exists" in bad.text
    viewer = login(make_user(roles=["manager"]))
    page = viewer.get(reverse("job_roles"))
    assert (
        page.status_code == 200 and "Senior agent" in page.text and reverse("job_role_new") not in page.text
    )
