"""Org units, job families and job roles written through their services (pages, API, imports)."""

import datetime as dt

import pytest

from tandem.audit.models import AuditEvent
from tandem.core.scope import DomainError
from tandem.org.models import JobRole, OrgUnit
from tandem.org.services import (
    job_family_create,
    job_family_update,
    job_role_create,
    job_role_update,
    org_unit_create,
    org_unit_update,
)
from tests.factories import PersonFactory
from tests.org.factories import org_units_sales_cs

pytestmark = pytest.mark.django_db
START = dt.date(2020, 1, 1)


@pytest.fixture
def units():
    org_units_sales_cs()


def test_org_unit_rename_keeps_version_history(units):
    unit = org_unit_update(actor_id=None, code="CS", effective=dt.date(2025, 6, 1), name="Customer Care")
    assert [v.name for v in unit.versions.order_by("valid_from")] == ["Customer Service", "Customer Care"]
    assert AuditEvent.objects.filter(entity_type="org_unit", action="update").count() == 1


@pytest.fixture
def tree():
    org_unit_create(actor_id=None, code="CO", name="Company", kind="company", valid_from=START)
    org_unit_create(
        actor_id=None, code="OPS", name="Ops", kind="department", parent_code="CO", valid_from=START
    )
    org_unit_create(
        actor_id=None, code="OPS-1", name="Ops 1", kind="team", parent_code="OPS", valid_from=START
    )
    org_unit_create(
        actor_id=None, code="CS", name="Service", kind="department", parent_code="CO", valid_from=START
    )
    return {unit.code: unit for unit in OrgUnit.objects.all()}


def test_moving_a_unit_moves_its_subtree_paths(tree):
    org_unit_update(actor_id=None, code="OPS", effective=dt.date(2025, 1, 1), parent_code="CS")
    units = {unit.code: unit for unit in OrgUnit.objects.all()}
    assert units["OPS"].path == f"{units['CS'].path}{units['OPS'].pk}/"
    assert units["OPS-1"].path == f"{units['OPS'].path}{units['OPS-1'].pk}/"
    org_unit_update(actor_id=None, code="OPS", effective=dt.date(2025, 2, 1), parent_code="")
    units = {unit.code: unit for unit in OrgUnit.objects.all()}
    assert units["OPS"].parent is None and units["OPS-1"].path == f"/{units['OPS'].pk}/{units['OPS-1'].pk}/"


def test_a_unit_cannot_move_under_itself_or_an_unknown_parent(tree):
    with pytest.raises(DomainError, match="cannot move under itself"):
        org_unit_update(actor_id=None, code="OPS", effective=dt.date(2025, 1, 1), parent_code="OPS-1")
    with pytest.raises(DomainError, match="Unknown parent org unit 'X'"):
        org_unit_update(actor_id=None, code="OPS", effective=dt.date(2025, 1, 1), parent_code="X")


def test_kind_and_dates_are_corrected_in_place_and_audited(tree):
    org_unit_update(
        actor_id=None,
        code="CS",
        effective=dt.date(2025, 1, 1),
        kind="division",
        valid_from=dt.date(2019, 1, 1),
    )
    unit = OrgUnit.objects.get(code="CS")
    assert unit.kind == "division" and unit.valid_from == dt.date(2019, 1, 1)
    assert unit.versions.count() == 1  # not a new version: a fact about the unit as a whole
    event = AuditEvent.objects.filter(entity_type="org_unit", action="update").latest("id")
    assert event.changes == {"kind": ["department", "division"], "valid_from": ["2020-01-01", "2019-01-01"]}


def test_a_unit_closes_only_when_empty(tree):
    with pytest.raises(DomainError, match="units below it stay open"):
        org_unit_update(
            actor_id=None, code="OPS", effective=dt.date(2025, 1, 1), valid_to=dt.date(2025, 1, 1)
        )
    PersonFactory(org_unit=tree["OPS-1"])
    with pytest.raises(DomainError, match="move those people"):
        org_unit_update(
            actor_id=None, code="OPS-1", effective=dt.date(2025, 1, 1), valid_to=dt.date(2025, 1, 1)
        )
    org_unit_update(actor_id=None, code="CS", effective=dt.date(2025, 1, 1), valid_to=dt.date(2025, 1, 1))
    assert OrgUnit.objects.get(code="CS").valid_to == dt.date(2025, 1, 1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "A B"}, "without spaces"),
        ({"name": ""}, "Give the org unit a name"),
        ({"kind": "tribe"}, "Unknown kind 'tribe'"),
        ({"valid_to": START}, "closing day must come after"),
        ({"code": "CO"}, "already exists"),
        ({"parent_code": "NOPE"}, "Unknown parent"),
    ],
)
def test_bad_units_are_refused(tree, change, message):
    values = {"actor_id": None, "code": "NEW", "name": "New", "kind": "team", "valid_from": START}
    with pytest.raises(DomainError, match=message):
        org_unit_create(**{**values, **change})
    assert not OrgUnit.objects.filter(code="NEW").exists()


def test_job_families_and_roles_are_created_updated_and_audited():
    job_family_create(actor_id=None, code="SAL", name="Sales")
    job_family_create(actor_id=None, code="SVC", name="Service")
    job_family_update(actor_id=None, code="SAL", name="Sales & Marketing")
    job_role_create(actor_id=None, code="AE", name="Account executive", family_code="SAL", level=2)
    job_role_update(
        actor_id=None, code="AE", name="Account executive", family_code="SVC", level=3, is_people_manager=True
    )
    role = JobRole.objects.select_related("family").get()
    assert role.family.code == "SVC" and role.level == 3 and role.is_people_manager
    event = AuditEvent.objects.filter(entity_type="job_role", action="update").get()
    assert event.changes == {"family": ["SAL", "SVC"], "level": [2, 3], "is_people_manager": [False, True]}
    assert AuditEvent.objects.filter(entity_type="job_family").count() == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"family_code": "NOPE"}, "Unknown job family 'NOPE'"),
        ({"level": 0}, "level is a whole number"),
        ({"name": " "}, "Give the job role a name"),
        ({"code": "AE"}, "already exists"),
    ],
)
def test_bad_job_roles_are_refused(change, message):
    job_family_create(actor_id=None, code="SAL", name="Sales")
    job_role_create(actor_id=None, code="AE", name="AE", family_code="SAL", level=1)
    with pytest.raises(DomainError, match=message):
        job_role_create(
            **{"actor_id": None, "code": "NEW", "name": "New", "family_code": "SAL", "level": 1, **change}
        )
