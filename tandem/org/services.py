"""Writes for the organisation: org units (effective-dated) and job roles, audited.

People are written from rows by tandem/org/people.py; their assignments follow tandem/org/assignments.py."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from tandem.audit.services import audit_record
from tandem.core.scope import DomainError
from tandem.org.models import JobFamily, JobRole, OrgUnit, OrgUnitVersion

BATCH = 2000


# --- org units --------------------------------------------------------------------------------


def _path_for(parent: OrgUnit | None, unit_id: int) -> str:
    return f"{parent.path if parent else '/'}{unit_id}/"


@transaction.atomic
def org_unit_create(
    *,
    actor_id: int | None,
    code: str,
    name: str,
    kind: str,
    parent_code: str | None = None,
    cost_centre: str = "",
    valid_from: dt.date,
) -> OrgUnit:
    if OrgUnit.objects.filter(code=code).exists():
        raise DomainError(f"An org unit with code {code!r} already exists")
    parent = OrgUnit.objects.filter(code=parent_code).first() if parent_code else None
    if parent_code and parent is None:
        raise DomainError(f"Unknown parent org unit {parent_code!r}")
    unit = OrgUnit.objects.create(
        code=code, name=name, kind=kind, parent=parent, cost_centre=cost_centre, valid_from=valid_from
    )
    unit.path = _path_for(parent, unit.pk)
    unit.save(update_fields=["path"])
    OrgUnitVersion.objects.create(
        org_unit=unit, valid_from=valid_from, name=name, parent=parent, cost_centre=cost_centre
    )
    audit_record(
        actor_id=actor_id,
        action="create",
        entity_type="org_unit",
        entity_id=unit.pk,
        entity_label=f"{code} {name}",
        changes={"code": code, "name": name, "kind": kind, "parent": parent_code, "cost_centre": cost_centre},
    )
    return unit


@transaction.atomic
def org_unit_update(
    *,
    actor_id: int | None,
    code: str,
    effective: dt.date,
    name: str | None = None,
    parent_code: str | None = None,
    cost_centre: str | None = None,
) -> OrgUnit:
    """Rename, re-parent or re-cost an org unit from `effective` on, keeping what it was before."""
    unit = OrgUnit.objects.select_for_update().get(code=code)
    before = {
        "name": unit.name,
        "parent": unit.parent.code if unit.parent else None,
        "cost_centre": unit.cost_centre,
    }
    parent = unit.parent
    if parent_code is not None and parent_code != before["parent"]:
        parent = OrgUnit.objects.get(code=parent_code)
        if f"/{unit.pk}/" in parent.path:
            raise DomainError(f"{parent_code} is inside {code}: an org unit cannot move under itself")
    new_name = name if name is not None else unit.name
    new_cost_centre = cost_centre if cost_centre is not None else unit.cost_centre
    after = {"name": new_name, "parent": parent.code if parent else None, "cost_centre": new_cost_centre}
    diffs = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if not diffs:
        return unit
    current = unit.versions.filter(valid_to__isnull=True).order_by("-valid_from").first()
    if current and current.valid_from >= effective:
        current.name, current.parent, current.cost_centre = new_name, parent, new_cost_centre
        current.save(update_fields=["name", "parent", "cost_centre"])
    else:
        if current:
            current.valid_to = effective
            current.save(update_fields=["valid_to"])
        OrgUnitVersion.objects.create(
            org_unit=unit, valid_from=effective, name=new_name, parent=parent, cost_centre=new_cost_centre
        )
    old_path = unit.path
    unit.name, unit.parent, unit.cost_centre = new_name, parent, new_cost_centre
    unit.path = _path_for(parent, unit.pk)
    unit.save(update_fields=["name", "parent", "cost_centre", "path"])
    if old_path != unit.path:
        descendants = list(OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk))
        for descendant in descendants:
            descendant.path = unit.path + descendant.path[len(old_path) :]
        OrgUnit.objects.bulk_update(descendants, ["path"], batch_size=BATCH)
    audit_record(
        actor_id=actor_id,
        action="update",
        entity_type="org_unit",
        entity_id=unit.pk,
        entity_label=f"{unit.code} {unit.name}",
        changes={**diffs, "effective": effective.isoformat()},
    )
    return unit


def job_family_get_or_create(*, actor_id: int | None, code: str, name: str) -> JobFamily:
    family, created = JobFamily.objects.get_or_create(code=code, defaults={"name": name})
    if created:
        audit_record(
            actor_id=actor_id,
            action="create",
            entity_type="job_family",
            entity_id=family.pk,
            entity_label=name,
            changes={"code": code, "name": name},
        )
    return family


def job_role_get_or_create(
    *,
    actor_id: int | None,
    code: str,
    name: str,
    family_code: str,
    level: int,
    is_people_manager: bool = False,
) -> JobRole:
    family = JobFamily.objects.get(code=family_code)
    role, created = JobRole.objects.get_or_create(
        code=code,
        defaults={"name": name, "family": family, "level": level, "is_people_manager": is_people_manager},
    )
    if created:
        audit_record(
            actor_id=actor_id,
            action="create",
            entity_type="job_role",
            entity_id=role.pk,
            entity_label=name,
            changes={"code": code, "family": family_code, "level": level},
        )
    return role
