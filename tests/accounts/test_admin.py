"""The Django admin: L&D admins only (not is_staff), reference data registered, every save audited."""

import datetime as dt

import pytest
from django.urls import reverse

from tandem.accounts.models import Role, RoleGrant
from tandem.audit.models import AuditEvent
from tests.factories import JobFamilyFactory, OrgUnitFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ld_admin(client, make_user):
    user = make_user(email="ld@example.com", roles=[Role.LD_ADMIN])
    assert not user.is_superuser and not user.is_staff
    client.force_login(user)
    return user


def test_ld_admin_who_is_not_a_superuser_uses_the_admin(client, ld_admin):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    for model in (
        "Org units",
        "Job families",
        "Job roles",
        "Metric definitions",
        "Initiatives",
        "Users",
        "People",
    ):
        assert model in response.text, model
    assert "Assignments" not in response.text and "Metric observations" not in response.text
    assert client.get(reverse("admin:metrics_metricdefinition_add")).status_code == 200
    # Org data and initiatives are read-only here: their pages and services write them.
    assert client.get(reverse("admin:org_orgunit_add")).status_code == 403
    assert client.get(reverse("admin:initiatives_initiative_add")).status_code == 403


@pytest.mark.parametrize(
    "roles", [[Role.LD_TEAM], [Role.STAKEHOLDER], [Role.MANAGER], [Role.LEARNER], [Role.IT_REVIEWER], []]
)
def test_everyone_else_is_refused_even_with_is_staff(client, roles):
    user = UserFactory(roles=roles, is_staff=True)
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    assert client.get(response["Location"]).status_code == 403
    assert client.get(reverse("admin:org_orgunit_changelist")).status_code == 302
    assert client.post(reverse("admin:org_jobfamily_add"), {"code": "X", "name": "X"}).status_code == 302
    assert not AuditEvent.objects.filter(entity_type="job_family").exists()


def test_superuser_still_gets_in(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert client.get(reverse("admin:index")).status_code == 200


def test_admin_password_change_is_the_audited_one(client, ld_admin):
    response = client.get(reverse("admin:password_change"))
    assert response.status_code == 302 and response["Location"] == reverse("password_change")


def test_deactivated_ld_admin_is_refused(client, ld_admin):
    ld_admin.is_active = False
    ld_admin.save()
    assert client.get(reverse("admin:index")).status_code == 302


def test_org_units_job_roles_and_initiatives_are_read_only(client, ld_admin):
    """The admin once saved org units with its own copy of the path code; now only the services write."""
    company = OrgUnitFactory(code="CO", name="Company")
    unit = OrgUnitFactory(code="OPS", name="Operations", parent=company)
    family = JobFamilyFactory(code="OLD", name="Old family")
    page = client.get(reverse("admin:org_orgunit_change", args=[unit.pk]))
    assert page.status_code == 200 and "View org unit" in page.text  # a view, not a change form
    data = {"code": "OPS", "name": "Ops", "kind": "team", "parent": "", "valid_from": "2024-01-01"}
    assert client.post(reverse("admin:org_orgunit_change", args=[unit.pk]), data).status_code == 403
    assert client.post(reverse("admin:org_orgunit_add"), data).status_code == 403
    assert (
        client.post(reverse("admin:org_jobfamily_delete", args=[family.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert client.post(reverse("admin:org_jobrole_add"), {"code": "X"}).status_code == 403
    unit.refresh_from_db()
    assert unit.name == "Operations" and unit.path == f"{company.path}{unit.pk}/"
    assert not AuditEvent.objects.filter(entity_type__in=["org_unit", "job_family", "job_role"]).exists()


def test_role_grants_edited_in_the_admin_are_audited(client, ld_admin):
    unit = OrgUnitFactory(code="SALES", name="Sales")
    user = UserFactory(email="stake@example.com", first_name="S")
    data = {
        "email": "stake@example.com",
        "first_name": "S",
        "last_name": "",
        "person": "",
        "is_active": "on",
        "role_grants-TOTAL_FORMS": "1",
        "role_grants-INITIAL_FORMS": "0",
        "role_grants-0-role": "stakeholder",
        "role_grants-0-org_units": [str(unit.pk)],
        "role_grants-0-user": str(user.pk),
    }
    response = client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)
    assert response.status_code == 302, response.content
    assert list(RoleGrant.objects.get(user=user).org_units.all()) == [unit]
    event = AuditEvent.objects.get(entity_type="role_grant", action="create")
    assert event.actor_id == ld_admin.pk
    assert event.changes["role"] == "stakeholder" and event.changes["org_units"] == ["Sales"]
    assert event.changes["user"] == "stake@example.com"


def test_admin_refuses_a_stakeholder_without_org_units(client, ld_admin):
    user = UserFactory(email="stake@example.com")
    data = {
        "email": "stake@example.com",
        "first_name": "",
        "last_name": "",
        "person": "",
        "is_active": "on",
        "role_grants-TOTAL_FORMS": "1",
        "role_grants-INITIAL_FORMS": "0",
        "role_grants-0-role": "stakeholder",
        "role_grants-0-user": str(user.pk),
    }
    response = client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)
    assert response.status_code == 200 and "needs at least one org unit" in response.text
    assert not RoleGrant.objects.filter(user=user).exists()


def test_people_are_read_only_in_the_admin(client, ld_admin):
    person = PersonFactory(employee_id="E1", hire_date=dt.date(2022, 1, 1))
    assert client.get(reverse("admin:org_person_changelist")).status_code == 200
    page = client.get(reverse("admin:org_person_change", args=[person.pk]))
    assert page.status_code == 200 and "Save" not in page.text.split("submit-row")[-1][:200]
    assert client.get(reverse("admin:org_person_add")).status_code == 403
    assert (
        client.post(reverse("admin:org_person_delete", args=[person.pk]), {"post": "yes"}).status_code == 403
    )
