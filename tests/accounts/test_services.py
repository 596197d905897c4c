import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory

from tandem.accounts.models import Role, RoleGrant, User
from tandem.accounts.services import (
    role_grant,
    role_revoke,
    security_event_record,
    user_active_set,
    user_create,
    user_person_link,
)
from tandem.audit.models import AuditEvent
from tandem.core.scope import DomainError
from tests.factories import OrgUnitFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(make_user):
    return make_user(email="boss@example.com", roles=[Role.LD_ADMIN])


def last_event():
    return AuditEvent.objects.order_by("-id").first()


def test_user_create_links_person_grants_roles_and_audits(admin):
    person = PersonFactory(employee_id="E7")
    unit = OrgUnitFactory(code="SALES")
    user = user_create(
        actor_id=admin.pk,
        email=" New@Example.com ",
        password=None,
        person_employee_id="E7",
        roles=[Role.STAKEHOLDER, Role.LEARNER],
        stakeholder_org_unit_codes=["SALES"],
    )
    assert user.email == "new@example.com" and user.person == person
    assert user.has_usable_password()  # random, so that "Forgot your password?" works for them
    assert list(RoleGrant.objects.get(user=user, role=Role.STAKEHOLDER).org_units.all()) == [unit]
    event = last_event()
    assert (event.action, event.entity_type, event.actor_label) == ("create", "user", "boss@example.com")
    assert event.changes["roles"] == ["learner", "stakeholder"]
    assert event.changes["stakeholder_org_units"] == ["SALES"]


def test_user_create_refuses_duplicates_and_unknown_people(admin):
    user_create(actor_id=admin.pk, email="a@example.com", password=None)
    with pytest.raises(DomainError, match="already exists"):
        user_create(actor_id=admin.pk, email="A@example.com", password=None)
    with pytest.raises(DomainError, match="Unknown employee"):
        user_create(actor_id=admin.pk, email="b@example.com", password=None, person_employee_id="NOPE")


def test_role_grant_is_audited_with_before_and_after(admin, make_user):
    user = make_user(email="u@example.com", roles=[Role.LEARNER])
    OrgUnitFactory(code="OPS")
    role_grant(actor_id=admin.pk, user_id=user.pk, role=Role.STAKEHOLDER, org_unit_codes=["OPS"])
    event = last_event()
    assert event.actor_id == admin.pk and event.entity_id == str(user.pk)
    assert event.changes == {
        "roles": [["learner"], ["learner", "stakeholder"]],
        "stakeholder_org_units": [None, ["OPS"]],
    }


def test_granting_a_held_role_again_records_nothing(admin, make_user):
    user = make_user(roles=[Role.LEARNER])
    before = AuditEvent.objects.count()
    role_grant(actor_id=admin.pk, user_id=user.pk, role=Role.LEARNER)
    assert AuditEvent.objects.count() == before


def test_stakeholder_needs_known_org_units(admin, make_user):
    user = make_user()
    with pytest.raises(DomainError, match="at least one org unit"):
        role_grant(actor_id=admin.pk, user_id=user.pk, role=Role.STAKEHOLDER)
    with pytest.raises(DomainError, match="Unknown org units: XX"):
        role_grant(actor_id=admin.pk, user_id=user.pk, role=Role.STAKEHOLDER, org_unit_codes=["XX"])
    with pytest.raises(DomainError, match="Unknown role"):
        role_grant(actor_id=admin.pk, user_id=user.pk, role="king")


def test_role_revoke_is_audited_and_keeps_the_last_admin(admin, make_user):
    user = make_user(roles=[Role.LEARNER, Role.LD_TEAM])
    assert role_revoke(actor_id=admin.pk, user_id=user.pk, role=Role.LD_TEAM) is True
    assert last_event().changes == {"roles": [["ld_team", "learner"], ["learner"]]}
    assert role_revoke(actor_id=admin.pk, user_id=user.pk, role=Role.LD_TEAM) is False
    with pytest.raises(DomainError, match="last active L&D admin"):
        role_revoke(actor_id=admin.pk, user_id=admin.pk, role=Role.LD_ADMIN)


def test_user_person_link_and_unlink(admin, make_user):
    PersonFactory(employee_id="E1")
    user = make_user()
    user_person_link(actor_id=admin.pk, user_id=user.pk, employee_id="E1")
    assert User.objects.get(pk=user.pk).person.employee_id == "E1"
    assert last_event().changes == {"person": [None, "E1"]}
    other = make_user()
    with pytest.raises(DomainError, match="already linked"):
        user_person_link(actor_id=admin.pk, user_id=other.pk, employee_id="E1")
    user_person_link(actor_id=admin.pk, user_id=user.pk, employee_id=None)
    assert User.objects.get(pk=user.pk).person is None


def test_deactivated_user_cannot_log_in(admin, make_user, password):
    user = make_user(email="leaver@example.com", roles=[Role.LEARNER])
    user_active_set(actor_id=admin.pk, user_id=user.pk, active=False)
    assert last_event().changes == {"is_active": [True, False]}
    request = RequestFactory().post("/login/")
    assert authenticate(request, username="leaver@example.com", password=password) is None
    with pytest.raises(DomainError, match="your own account"):
        user_active_set(actor_id=admin.pk, user_id=admin.pk, active=False)


def test_security_event_never_stores_unknown_events(make_user):
    with pytest.raises(ValueError):
        security_event_record(event="something")
    event = security_event_record(event="login_failed", email="who@example.com", ip_address="10.0.0.1")
    assert (event.action, event.actor_label, event.entity_label) == (
        "security",
        "anonymous",
        "who@example.com",
    )
