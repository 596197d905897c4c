"""The Users & roles page (L&D admins): list, create, grant/revoke roles, link a person, deactivate."""

import pytest
from django.urls import reverse

from tandem.accounts.models import Role, RoleGrant, User
from tandem.audit.models import AuditEvent
from tests.factories import OrgUnitFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, make_user):
    user = make_user(email="ld@example.com", roles=[Role.LD_ADMIN])
    client.force_login(user)
    return user


@pytest.mark.parametrize("roles", [[Role.LD_TEAM], [Role.IT_REVIEWER], [Role.STAKEHOLDER], []])
def test_only_ld_admins_manage_users(client, make_user, roles):
    target = make_user(roles=[Role.LEARNER])
    client.force_login(make_user(roles=roles))
    assert client.get(reverse("users")).status_code == 403
    assert client.get(reverse("user_detail", args=[target.pk])).status_code == 403
    response = client.post(reverse("user_role_grant", args=[target.pk]), {"role": Role.LD_ADMIN})
    assert response.status_code == 403
    assert not RoleGrant.objects.filter(user=target, role=Role.LD_ADMIN).exists()


def test_list_shows_users_with_roles_and_filters(client, admin, make_user):
    unit = OrgUnitFactory(code="SALES", name="Sales")
    make_user(email="stake@example.com", roles=[Role.STAKEHOLDER], org_units=[unit])
    make_user(email="learner@example.com", roles=[Role.LEARNER])
    text = client.get(reverse("users")).text
    assert "stake@example.com" in text and "Stakeholder: SALES" in text and "learner@example.com" in text
    filtered = client.get(reverse("users"), {"role": Role.LEARNER}).text
    assert "learner@example.com" in filtered and "stake@example.com" not in filtered


def test_list_is_paged(client, admin, make_user):
    for _ in range(120):
        make_user(roles=[Role.LEARNER])
    first = client.get(reverse("users"), {"role": Role.LEARNER})
    assert "120 accounts" in first.text and "Page 1 of 2" in first.text
    assert len(first.context["page"].rows) == 100
    second = client.get(reverse("users"), {"role": Role.LEARNER, "page": 2})
    assert len(second.context["page"].rows) == 20 and "role=learner&amp;page=1" in second.text


def test_create_grant_link_revoke_and_deactivate(client, admin):
    unit = OrgUnitFactory(code="SALES", name="Sales")
    PersonFactory(employee_id="E42", first_name="Ada", last_name="Lovelace")
    response = client.post(
        reverse("users"), {"email": "ada@example.com", "employee_id": "E42", "role": Role.LEARNER}
    )
    user = User.objects.get(email="ada@example.com")
    assert response["Location"] == reverse("user_detail", args=[user.pk])
    assert user.person.employee_id == "E42" and user.first_name == "Ada"

    response = client.post(
        reverse("user_role_grant", args=[user.pk]), {"role": Role.STAKEHOLDER, "org_units": ["SALES"]}
    )
    assert response.status_code == 302
    assert list(RoleGrant.objects.get(user=user, role=Role.STAKEHOLDER).org_units.all()) == [unit]
    page = client.get(reverse("user_detail", args=[user.pk])).text
    assert "Stakeholder" in page and "Sales" in page and "E42 · Ada Lovelace" in page

    client.post(reverse("user_role_revoke", args=[user.pk]), {"role": Role.LEARNER})
    assert set(RoleGrant.objects.filter(user=user).values_list("role", flat=True)) == {Role.STAKEHOLDER}

    PersonFactory(employee_id="E43")
    client.post(reverse("user_link", args=[user.pk]), {"employee_id": "E43"})
    user.refresh_from_db()
    assert user.person.employee_id == "E43"

    client.post(reverse("user_active", args=[user.pk]), {"active": "0"})
    user.refresh_from_db()
    assert not user.is_active
    events = AuditEvent.objects.filter(entity_id=str(user.pk)).order_by("id")
    assert [e.action for e in events] == ["create", "update", "update", "update", "update"]
    assert {e.actor_id for e in events} == {admin.pk}


def test_mistakes_come_back_as_messages(client, admin, make_user):
    user = make_user(roles=[Role.LEARNER])
    response = client.post(
        reverse("user_role_grant", args=[user.pk]), {"role": Role.STAKEHOLDER}, follow=True
    )
    assert "A stakeholder role needs at least one org unit" in response.text
    response = client.post(reverse("user_link", args=[user.pk]), {"employee_id": "NOPE"}, follow=True)
    assert "Unknown employee id" in response.text
    response = client.post(reverse("user_active", args=[admin.pk]), {"active": "0"}, follow=True)
    assert "You cannot deactivate your own account" in response.text
    response = client.post(reverse("users"), {"email": admin.email})
    assert response.status_code == 200 and "already exists" in response.text
    assert client.get(reverse("user_detail", args=[99999])).status_code == 403


def test_grant_a_role_has_no_preselected_role(client, admin, make_user):
    target = make_user(roles=[Role.LEARNER])
    page = client.get(reverse("user_detail", args=[target.pk])).text
    grant_form = page[page.index("Grant a role") :]
    select = grant_form[grant_form.index('<select name="role"') : grant_form.index("</select>")]
    assert "required" in select and select.count("selected") == 1
    assert '<option value="" selected>Choose a role…</option>' in select  # the placeholder, no role
    response = client.post(reverse("user_role_grant", args=[target.pk]), {"role": ""})
    assert response.status_code == 302
    assert list(RoleGrant.objects.filter(user=target).values_list("role", flat=True)) == [Role.LEARNER]


def test_refusals_say_in_words_what_is_missing_and_whom_to_ask(client, make_user):
    admin = make_user(email="ada@example.com", roles=[Role.LD_ADMIN])
    admin.first_name, admin.last_name = "Ada", "Admin"
    admin.save()
    client.force_login(make_user(roles=[Role.STAKEHOLDER]))
    response = client.get(reverse("users"))
    text = response.content.decode()
    assert response.status_code == 403
    assert "Changing users and roles needs the L&amp;D admin role." in text
    assert "Your roles (Stakeholder) do not allow this." in text
    assert "Ask an L&amp;D admin: Ada Admin." in text
    assert "stakeholder)" not in text and "ld_admin" not in text
