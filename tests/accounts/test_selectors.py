import datetime as dt

import pytest

from tandem.accounts.models import Role
from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import user_list, user_person_scope, user_role_counts, viewer_for
from tandem.core.dates import today
from tandem.org.models import Assignment
from tandem.org.selectors import person_list
from tests.factories import OrgUnitFactory, PersonFactory

pytestmark = pytest.mark.django_db


def visible(user):
    return set(person_list(scope=user_person_scope(user=user)).values_list("employee_id", flat=True))


@pytest.fixture
def org():
    """company > sales > (north, south); company > support."""
    company = OrgUnitFactory(code="CO")
    sales = OrgUnitFactory(code="SALES", parent=company)
    north = OrgUnitFactory(code="NORTH", parent=sales)
    south = OrgUnitFactory(code="SOUTH", parent=sales)
    support = OrgUnitFactory(code="SUPPORT", parent=company)
    return {"CO": company, "SALES": sales, "NORTH": north, "SOUTH": south, "SUPPORT": support}


def test_stakeholder_sees_granted_units_and_their_descendants_only(org, make_user):
    in_sales = PersonFactory(employee_id="S1", org_unit=org["SALES"])
    in_north = PersonFactory(employee_id="N1", org_unit=org["NORTH"])
    PersonFactory(employee_id="X1", org_unit=org["SUPPORT"])
    PersonFactory(employee_id="C1", org_unit=org["CO"])
    user = make_user(roles=[Role.STAKEHOLDER], org_units=[org["SALES"]])
    assert visible(user) == {in_sales.employee_id, in_north.employee_id}


def test_stakeholder_of_a_leaf_unit_does_not_see_its_parent(org, make_user):
    PersonFactory(employee_id="S1", org_unit=org["SALES"])
    PersonFactory(employee_id="N1", org_unit=org["NORTH"])
    user = make_user(roles=[Role.STAKEHOLDER], org_units=[org["NORTH"]])
    assert visible(user) == {"N1"}


def test_manager_sees_direct_and_indirect_reports_as_of_today(org, make_user):
    boss = PersonFactory(employee_id="M1", org_unit=org["SALES"])
    lead = PersonFactory(employee_id="L1", org_unit=org["NORTH"], manager=boss)
    PersonFactory(employee_id="R1", org_unit=org["NORTH"], manager=lead)
    PersonFactory(employee_id="OTHER", org_unit=org["NORTH"])
    user = make_user(roles=[Role.MANAGER], person=boss)
    assert visible(user) == {"M1", "L1", "R1"}


def test_manager_no_longer_sees_someone_who_moved_away_last_month(org, make_user):
    boss = PersonFactory(employee_id="M1", org_unit=org["SALES"])
    other_boss = PersonFactory(employee_id="M2", org_unit=org["SUPPORT"])
    moved_on = today() - dt.timedelta(days=30)
    mover = PersonFactory(
        employee_id="MOVER", org_unit=org["SUPPORT"], manager=other_boss, with_assignment=False
    )
    Assignment.objects.create(
        person=mover, org_unit=org["SALES"], manager=boss, valid_from=dt.date(2021, 1, 1), valid_to=moved_on
    )
    Assignment.objects.create(person=mover, org_unit=org["SUPPORT"], manager=other_boss, valid_from=moved_on)
    newcomer = PersonFactory(
        employee_id="NEW", org_unit=org["SUPPORT"], manager=other_boss, with_assignment=False
    )
    Assignment.objects.create(
        person=newcomer,
        org_unit=org["SUPPORT"],
        manager=other_boss,
        valid_from=dt.date(2021, 1, 1),
        valid_to=moved_on,
    )
    Assignment.objects.create(person=newcomer, org_unit=org["SALES"], manager=boss, valid_from=moved_on)

    assert visible(make_user(roles=[Role.MANAGER], person=boss)) == {"M1", "NEW"}


def test_manager_does_not_see_a_report_who_starts_next_month(org, make_user):
    boss = PersonFactory(employee_id="M1", org_unit=org["SALES"])
    future = PersonFactory(employee_id="FUT", org_unit=org["SALES"], with_assignment=False)
    Assignment.objects.create(
        person=future, org_unit=org["SALES"], manager=boss, valid_from=today() + dt.timedelta(days=30)
    )
    assert visible(make_user(roles=[Role.MANAGER], person=boss)) == {"M1"}


def test_learner_sees_only_themselves(org, make_user):
    me = PersonFactory(employee_id="ME", org_unit=org["SALES"])
    PersonFactory(employee_id="YOU", org_unit=org["SALES"])
    assert visible(make_user(roles=[Role.LEARNER], person=me)) == {"ME"}


def test_learner_without_a_linked_person_sees_nobody(org, make_user):
    PersonFactory(employee_id="YOU", org_unit=org["SALES"])
    assert visible(make_user(roles=[Role.LEARNER])) == set()


def test_several_roles_see_the_union(org, make_user):
    boss = PersonFactory(employee_id="M1", org_unit=org["SUPPORT"])
    PersonFactory(employee_id="R1", org_unit=org["SUPPORT"], manager=boss)
    PersonFactory(employee_id="N1", org_unit=org["NORTH"])
    PersonFactory(employee_id="X1", org_unit=org["SUPPORT"])
    user = make_user(
        roles=[Role.MANAGER, Role.STAKEHOLDER, Role.LEARNER], person=boss, org_units=[org["NORTH"]]
    )
    assert visible(user) == {"M1", "R1", "N1"}
    viewer = viewer_for(user=user)
    assert viewer.can(Capability.VIEW_ORG) and not viewer.can(Capability.VIEW_AUDIT)
    assert viewer.primary_role == Role.STAKEHOLDER


def test_ld_roles_see_everyone_and_it_reviewer_sees_no_people(org, make_user):
    PersonFactory(employee_id="A", org_unit=org["SALES"])
    PersonFactory(employee_id="B", org_unit=org["SUPPORT"])
    assert visible(make_user(roles=[Role.LD_TEAM])) == {"A", "B"}
    assert visible(make_user(roles=[Role.LD_ADMIN])) == {"A", "B"}
    reviewer = viewer_for(user=make_user(roles=[Role.IT_REVIEWER]))
    assert reviewer.capabilities == {Capability.VIEW_SYSTEM}


def test_deactivated_user_holds_no_role(make_user):
    user = make_user(roles=[Role.LD_ADMIN])
    user.is_active = False
    user.save()
    viewer = viewer_for(user=user)
    assert viewer.roles == frozenset() and viewer.scope.is_empty


def test_user_list_shows_roles_org_units_and_person(org, make_user):
    person = PersonFactory(employee_id="E1", org_unit=org["SALES"])
    make_user(
        email="stake@example.com",
        roles=[Role.STAKEHOLDER, Role.LEARNER],
        org_units=[org["SALES"]],
        person=person,
    )
    make_user(email="admin@example.com", roles=[Role.LD_ADMIN])
    rows = {row.email: row for row in user_list()}
    stake = rows["stake@example.com"]
    assert stake.roles == (Role.STAKEHOLDER, Role.LEARNER)
    assert stake.grants[0].org_unit_codes == ("SALES",)
    assert stake.person_employee_id == "E1"
    assert [row.email for row in user_list(role=Role.LD_ADMIN)] == ["admin@example.com"]
    assert [row.email for row in user_list(search="E1")] == ["stake@example.com"]
    assert user_role_counts()[Role.LEARNER] == 1


# --- refusals in words -------------------------------------------------------------------------------


def test_a_refusal_says_what_is_missing_and_whom_to_ask(make_user):
    from tandem.accounts.permissions import Capability
    from tandem.accounts.selectors import viewer_for, viewer_require
    from tandem.core.scope import AccessDenied

    admin = make_user(roles=["ld_admin"])
    admin.first_name, admin.last_name = "Ada", "Admin"
    admin.save()
    inactive = make_user(roles=["ld_admin"])
    inactive.is_active = False  # a former admin is nobody to ask
    inactive.save()
    viewer = viewer_for(user=make_user(roles=["stakeholder", "manager"]))
    with pytest.raises(AccessDenied) as denied:
        viewer_require(viewer=viewer, capability=Capability.MANAGE_USERS)
    assert denied.value.reason == (
        "Changing users and roles needs the L&D admin role. Your roles (Stakeholder and Manager) do not allow this."
    )
    assert denied.value.ask == "Ask an L&D admin: Ada Admin."
    assert str(denied.value).endswith("Ask an L&D admin: Ada Admin.")
    assert "stakeholder" not in str(denied.value) and "ld_" not in str(denied.value)


def test_a_refusal_names_every_role_that_would_allow_it(make_user):
    from tandem.accounts.permissions import Capability
    from tandem.accounts.selectors import access_refusal

    refusal = access_refusal(roles=frozenset({"learner"}), capability=Capability.VIEW_LEARNING_DATA)
    assert refusal.reason.startswith("Learning data and surveys needs the L&D team member or L&D admin role.")
    assert refusal.ask == "Ask your L&D admin."  # nobody holds the role yet
    assert (
        "Your account has no role yet"
        in access_refusal(roles=frozenset(), capability=Capability.VIEW_ORG).reason
    )
