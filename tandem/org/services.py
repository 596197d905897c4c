"""Writes for the organisation: org units (effective-dated) and job roles, audited.

People are written from rows by tandem/org/people.py; their assignments follow tandem/org/assignments.py."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

from django.db import transaction
from django.db.models import Q

from tandem.audit.services import audit_record
from tandem.core.scope import DomainError
from tandem.org.models import Assignment, JobFamily, JobRole, OrgUnit, OrgUnitVersion

BATCH = 2000


# --- org units --------------------------------------------------------------------------------


class _Keep(Enum):
    """An argument left out of an update (None is a value there: "no end date", "no parent")."""

    KEEP = 0


KEEP = _Keep.KEEP
ORG_UNIT_KINDS = frozenset(OrgUnit.Kind.values)


def _path_for(parent: OrgUnit | None, unit_id: int) -> str:
    return f"{parent.path if parent else '/'}{unit_id}/"


def _check_org_unit_fields(
    *, code: str, name: str, kind: str, valid_from: dt.date, valid_to: dt.date | None
) -> None:
    if not code.strip() or len(code) > 40 or any(c.isspace() for c in code):
        raise DomainError("The code must be 1 to 40 characters without spaces, e.g. CS-TIER1")
    if not name.strip():
        raise DomainError("Give the org unit a name")
    if kind not in ORG_UNIT_KINDS:
        raise DomainError(f"Unknown kind {kind!r}: use one of {', '.join(sorted(ORG_UNIT_KINDS))}")
    if valid_to is not None and valid_to <= valid_from:
        raise DomainError("The closing day must come after the day the unit opened")


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
    valid_to: dt.date | None = None,
) -> OrgUnit:
    _check_org_unit_fields(code=code, name=name, kind=kind, valid_from=valid_from, valid_to=valid_to)
    if OrgUnit.objects.filter(code=code).exists():
        raise DomainError(f"An org unit with code {code!r} already exists")
    parent = OrgUnit.objects.filter(code=parent_code).first() if parent_code else None
    if parent_code and parent is None:
        raise DomainError(f"Unknown parent org unit {parent_code!r}")
    unit = OrgUnit.objects.create(
        code=code,
        name=name,
        kind=kind,
        parent=parent,
        cost_centre=cost_centre,
        valid_from=valid_from,
        valid_to=valid_to,
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


def _check_closing(*, unit: OrgUnit, valid_to: dt.date) -> None:
    """A unit closes only when nobody sits in it and nothing below it is still open on that day."""
    open_below = OrgUnit.objects.filter(path__startswith=unit.path).exclude(pk=unit.pk)
    open_below = open_below.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=valid_to))
    if open_below.exists():
        codes = ", ".join(open_below.order_by("path").values_list("code", flat=True)[:5])
        raise DomainError(
            f"{unit.code} cannot close while units below it stay open ({codes}): close them first"
        )
    staying = Assignment.objects.filter(org_unit=unit).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=valid_to)
    )
    count = staying.count()
    if count:
        raise DomainError(
            f"{count} assignment(s) in {unit.code} go on after {valid_to.isoformat()}: "
            "move those people (an HR import) before closing the unit"
        )


@transaction.atomic
def org_unit_update(
    *,
    actor_id: int | None,
    code: str,
    effective: dt.date,
    name: str | None = None,
    parent_code: str | None = None,
    cost_centre: str | None = None,
    kind: str | None = None,
    valid_from: dt.date | None = None,
    valid_to: dt.date | _Keep | None = KEEP,
) -> OrgUnit:
    """Rename, re-parent or re-cost an org unit from `effective` on, keeping what it was before.

    None leaves a field as it is; parent_code "" moves the unit to the top. Kind and the opening and
    closing days are facts about the unit as a whole (corrected in place, not effective-dated).
    """
    unit = OrgUnit.objects.select_for_update().filter(code=code).first()
    if unit is None:
        raise DomainError(f"Unknown org unit {code!r}")
    before: dict[str, Any] = {
        "name": unit.name,
        "parent": unit.parent.code if unit.parent else None,
        "cost_centre": unit.cost_centre,
    }
    parent = unit.parent
    if parent_code is not None and (parent_code or None) != before["parent"]:
        if parent_code == "":
            parent = None
        else:
            parent = OrgUnit.objects.filter(code=parent_code).first()
            if parent is None:
                raise DomainError(f"Unknown parent org unit {parent_code!r}")
            if f"/{unit.pk}/" in parent.path:
                raise DomainError(f"{parent_code} is inside {code}: an org unit cannot move under itself")
    new_name = name if name is not None else unit.name
    new_cost_centre = cost_centre if cost_centre is not None else unit.cost_centre
    after: dict[str, Any] = {
        "name": new_name,
        "parent": parent.code if parent else None,
        "cost_centre": new_cost_centre,
    }
    fixed_before = {
        "kind": unit.kind,
        "valid_from": unit.valid_from.isoformat(),
        "valid_to": unit.valid_to.isoformat() if unit.valid_to else None,
    }
    new_kind = kind if kind is not None else unit.kind
    new_from = valid_from if valid_from is not None else unit.valid_from
    new_to = unit.valid_to if isinstance(valid_to, _Keep) else valid_to
    _check_org_unit_fields(code=unit.code, name=new_name, kind=new_kind, valid_from=new_from, valid_to=new_to)
    if new_to is not None and new_to != unit.valid_to:
        _check_closing(unit=unit, valid_to=new_to)
    fixed_after = {
        "kind": new_kind,
        "valid_from": new_from.isoformat(),
        "valid_to": new_to.isoformat() if new_to else None,
    }
    diffs = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    fixed = {
        key: [fixed_before[key], fixed_after[key]]
        for key in fixed_after
        if fixed_before[key] != fixed_after[key]
    }
    if not diffs and not fixed:
        return unit
    if diffs:
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
    unit.kind, unit.valid_from, unit.valid_to = new_kind, new_from, new_to
    unit.path = _path_for(parent, unit.pk)
    unit.save(update_fields=["name", "parent", "cost_centre", "path", "kind", "valid_from", "valid_to"])
    if old_path != unit.path:
        descendants = list(OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk))
        for descendant in descendants:
            descendant.path = unit.path + descendant.path[len(old_path) :]
        OrgUnit.objects.bulk_update(descendants, ["path"], batch_size=BATCH)
    changes: dict[str, Any] = {**diffs, **fixed}
    if diffs:
        changes["effective"] = effective.isoformat()
    audit_record(
        actor_id=actor_id,
        action="update",
        entity_type="org_unit",
        entity_id=unit.pk,
        entity_label=f"{unit.code} {unit.name}",
        changes=changes,
    )
    return unit


# --- job families and roles ---------------------------------------------------------------------


def _check_code(code: str, *, what: str) -> None:
    if not code.strip() or len(code) > 40 or any(c.isspace() for c in code):
        raise DomainError(f"The {what} code must be 1 to 40 characters without spaces")


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


@transaction.atomic
def job_family_create(*, actor_id: int | None, code: str, name: str) -> JobFamily:
    _check_code(code, what="job family")
    if not name.strip():
        raise DomainError("Give the job family a name")
    if JobFamily.objects.filter(code=code).exists():
        raise DomainError(f"A job family with code {code!r} already exists")
    return job_family_get_or_create(actor_id=actor_id, code=code, name=name)


@transaction.atomic
def job_family_update(*, actor_id: int | None, code: str, name: str) -> JobFamily:
    family = JobFamily.objects.select_for_update().filter(code=code).first()
    if family is None:
        raise DomainError(f"Unknown job family {code!r}")
    if not name.strip():
        raise DomainError("Give the job family a name")
    if family.name != name:
        audit_record(
            actor_id=actor_id,
            action="update",
            entity_type="job_family",
            entity_id=family.pk,
            entity_label=name,
            changes={"name": [family.name, name]},
        )
        family.name = name
        family.save(update_fields=["name"])
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


def _check_job_role(*, name: str, family_code: str, level: int) -> JobFamily:
    if not name.strip():
        raise DomainError("Give the job role a name")
    if not 1 <= level <= 20:
        raise DomainError("The level is a whole number from 1 (entry level) to 20")
    family = JobFamily.objects.filter(code=family_code).first()
    if family is None:
        raise DomainError(f"Unknown job family {family_code!r}: create the family first")
    return family


@transaction.atomic
def job_role_create(
    *,
    actor_id: int | None,
    code: str,
    name: str,
    family_code: str,
    level: int,
    is_people_manager: bool = False,
) -> JobRole:
    _check_code(code, what="job role")
    _check_job_role(name=name, family_code=family_code, level=level)
    if JobRole.objects.filter(code=code).exists():
        raise DomainError(f"A job role with code {code!r} already exists")
    return job_role_get_or_create(
        actor_id=actor_id,
        code=code,
        name=name,
        family_code=family_code,
        level=level,
        is_people_manager=is_people_manager,
    )


@transaction.atomic
def job_role_update(
    *,
    actor_id: int | None,
    code: str,
    name: str,
    family_code: str,
    level: int,
    is_people_manager: bool,
) -> JobRole:
    role = JobRole.objects.select_for_update().select_related("family").filter(code=code).first()
    if role is None:
        raise DomainError(f"Unknown job role {code!r}")
    family = _check_job_role(name=name, family_code=family_code, level=level)
    before = {
        "name": role.name,
        "family": role.family.code,
        "level": role.level,
        "is_people_manager": role.is_people_manager,
    }
    after = {"name": name, "family": family.code, "level": level, "is_people_manager": is_people_manager}
    diffs = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if diffs:
        role.name, role.family, role.level, role.is_people_manager = name, family, level, is_people_manager
        role.save(update_fields=["name", "family", "level", "is_people_manager"])
        audit_record(
            actor_id=actor_id,
            action="update",
            entity_type="job_role",
            entity_id=role.pk,
            entity_label=name,
            changes=diffs,
        )
    return role
