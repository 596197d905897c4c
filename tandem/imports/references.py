"""Org units and job roles a people file uses that Tandem does not have yet: proposed by the preview, named
and placed by the person confirming, and created in the import's own transaction (all or nothing).

Only for runs uploaded by someone allowed to create them (import_run_create(create_references=True));
otherwise unknown codes are row errors as before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tandem.core.scope import DomainError
from tandem.imports.mappings import MappingError, rule_parse
from tandem.imports.models import ImportRun
from tandem.imports.validation import NewReference, Validated
from tandem.org.models import OrgUnit
from tandem.org.services import job_family_get_or_create, job_role_get_or_create, org_unit_create

IMPORTED_FAMILY = ("IMPORTED", "Imported from HR files")  # job roles created by an import join this family
NAME_MAX = 200

Proposed = dict[str, list[dict[str, Any]]]  # {"org_units": [...], "job_roles": [...]}
Chosen = dict[str, dict[str, dict[str, str]]]  # {"org_units": {code: {"name", "parent"}}, "job_roles": {...}}


def _names_from_values(columns: dict[str, Any], field: str) -> dict[str, str]:
    """A value map's inverse ({"RND": "Research & Development"}): the file's own words name the new unit."""
    try:
        rule = rule_parse(name=field, raw=columns.get(field))
    except MappingError:
        return {}
    return {ours: theirs for theirs, ours in rule.values.items()}


def _proposal(reference: NewReference, name: str) -> dict[str, Any]:
    return {
        "code": reference.code,
        "name": name[:NAME_MAX],
        "rows": reference.rows,
        "first_row": reference.first_row,
        "earliest": reference.earliest.isoformat() if reference.earliest else None,
    }


def references_proposed(*, validated: Validated, columns: dict[str, Any]) -> Proposed:
    """What the preview lists to create, with a name and (org units) the parent it would choose: the one
    top-level unit when Tandem has exactly one (the company), else none (a new top-level unit)."""
    if not validated.new_org_units and not validated.new_job_roles:
        return {}
    unit_names = _names_from_values(columns, "org_unit_code")
    role_names = _names_from_values(columns, "job_role_code")
    roots = list(OrgUnit.objects.filter(parent__isnull=True).values_list("code", flat=True)[:2])
    parent = roots[0] if len(roots) == 1 else ""
    return {
        "org_units": [
            {**_proposal(ref, unit_names.get(code, code)), "parent": parent}
            for code, ref in sorted(validated.new_org_units.items())
        ],
        "job_roles": [
            _proposal(ref, role_names.get(code) or ref.name or code)
            for code, ref in sorted(validated.new_job_roles.items())
        ],
    }


def references_defaults(proposed: Proposed) -> Chosen:
    """The preview's own proposals, as confirmed without changes."""
    return {
        "org_units": {
            u["code"]: {"name": u["name"], "parent": u["parent"]} for u in proposed.get("org_units", [])
        },
        "job_roles": {r["code"]: {"name": r["name"]} for r in proposed.get("job_roles", [])},
    }


def references_choose(*, run: ImportRun, chosen: Chosen | None) -> Chosen:
    """The preview's proposals with the confirming person's names and parents; DomainError when a choice
    cannot be (an unknown parent, a unit placed under itself, a blank name)."""
    proposed: Proposed = run.summary.get("references") or {}
    if not proposed:
        return {}
    if not run.options.get("create_references"):
        raise DomainError("This import may not create org units or job roles")
    result = references_defaults(proposed)
    for kind in ("org_units", "job_roles"):
        for code, choice in (chosen or {}).get(kind, {}).items():
            if code not in result[kind]:
                continue  # not needed by the file (any more)
            name = (choice.get("name") or "").strip()
            if not name or len(name) > NAME_MAX:
                raise DomainError(f"Give {code} a name of at most {NAME_MAX} characters")
            result[kind][code]["name"] = name
            if kind == "org_units":
                result[kind][code]["parent"] = (choice.get("parent") or "").strip()
    new_units = result["org_units"]
    known = set(
        OrgUnit.objects.filter(code__in={u["parent"] for u in new_units.values()}).values_list(
            "code", flat=True
        )
    )
    for code, unit in new_units.items():
        parent = unit["parent"]
        if parent and parent not in known and parent not in new_units:
            raise DomainError(f"Unknown parent org unit {parent!r} for {code}")
        seen = {code}
        while parent in new_units:  # a chain among the new units must end at an existing one or the top
            if parent in seen:
                raise DomainError(f"{code} would be inside itself: choose another parent")
            seen.add(parent)
            parent = new_units[parent]["parent"]
    return result


def _parents_first(units: dict[str, dict[str, str]]) -> list[str]:
    ordered: list[str] = []

    def visit(code: str) -> None:
        if code in ordered:
            return
        parent = units[code]["parent"]
        if parent in units:
            visit(parent)
        ordered.append(code)

    for code in sorted(units):
        visit(code)
    return ordered


def references_create(
    *, proposed: Proposed, chosen: Chosen, actor_id: int | None, on: dt.date
) -> dict[str, int]:
    """Create what the file needs, as chosen, inside the caller's transaction (audited like any creation).

    New org units begin on the earliest hire date of anyone the file places in one (so their assignments fall
    inside the unit's life), or on the as-of date."""
    if not proposed:
        return {}
    units = {u["code"]: u for u in proposed.get("org_units", [])}
    roles = {r["code"]: r for r in proposed.get("job_roles", [])}
    missing = sorted(
        (set(units) - set(chosen.get("org_units", {}))) | (set(roles) - set(chosen.get("job_roles", {})))
    )
    if missing:
        raise DomainError(
            f"The file needs {', '.join(missing)}, which the preview did not list: check the file again"
        )
    starts = [dt.date.fromisoformat(u["earliest"]) for u in units.values() if u["earliest"]]
    valid_from = min([*starts, on])
    wanted = {code: chosen["org_units"][code] for code in units}
    for code in _parents_first(wanted):
        org_unit_create(
            actor_id=actor_id,
            code=code,
            name=wanted[code]["name"],
            kind=OrgUnit.Kind.DEPARTMENT,
            parent_code=wanted[code]["parent"] or None,
            valid_from=valid_from,
        )
    if roles:
        family_code, family_name = IMPORTED_FAMILY
        job_family_get_or_create(actor_id=actor_id, code=family_code, name=family_name)
        for code in sorted(roles):
            job_role_get_or_create(
                actor_id=actor_id,
                code=code,
                name=chosen["job_roles"][code]["name"],
                family_code=family_code,
                level=1,
            )
    return {"org_units_created": len(units), "job_roles_created": len(roles)}
