"""Steps: the org unit tree (company → divisions → departments → teams) and the job architecture."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tandem.demo.company import COMPANY_CODE, COMPANY_NAME, DIVISIONS, FAMILIES, ROLES
from tandem.demo.context import DemoContext, Step, Tick, register_step
from tandem.org.services import job_family_get_or_create, job_role_get_or_create, org_unit_create


def founding_date(*, ctx: DemoContext) -> dt.date:
    """When the company (and every org unit) starts: well before the oldest hire."""
    return dt.date(ctx.today.year - 14, 1, 1)


def _unit_count(ctx: DemoContext) -> int:
    return 1 + sum(1 + sum(1 + len(dep.teams) for dep in div.departments) for div in DIVISIONS)


def create_org_units(ctx: DemoContext, tick: Tick) -> dict[str, Any]:
    start = founding_date(ctx=ctx)
    counts = {"company": 0, "division": 0, "department": 0, "team": 0}

    def create(code: str, name: str, kind: str, parent: str | None, cost_centre: str) -> None:
        org_unit_create(
            actor_id=None,
            code=code,
            name=name,
            kind=kind,
            parent_code=parent,
            cost_centre=cost_centre,
            valid_from=start,
        )
        counts[kind] += 1
        tick(1)

    create(COMPANY_CODE, COMPANY_NAME, "company", None, "CC1000")
    # Cost centres follow the tree: CC<division><department><team>, as finance systems usually number them.
    for d, division in enumerate(DIVISIONS, start=2):
        create(division.code, division.name, "division", COMPANY_CODE, f"CC{d}000")
        for p, department in enumerate(division.departments, start=1):
            create(department.code, department.name, "department", division.code, f"CC{d}{p}00")
            for t, team in enumerate(department.teams, start=1):
                create(team.code, team.name, "team", department.code, f"CC{d}{p}{t:02d}")
    return counts


def create_job_architecture(ctx: DemoContext, tick: Tick) -> dict[str, Any]:
    for code, name in FAMILIES.items():
        job_family_get_or_create(actor_id=None, code=code, name=name)
        tick(1)
    for role in ROLES:
        job_role_get_or_create(
            actor_id=None,
            code=role.code,
            name=role.name,
            family_code=role.family,
            level=role.level,
            is_people_manager=role.manager,
        )
        tick(1)
    return {"job_families": len(FAMILIES), "job_roles": len(ROLES)}


register_step(Step("org_units", "Org units", create_org_units, _unit_count))
register_step(
    Step(
        "job_roles", "Job families and roles", create_job_architecture, lambda ctx: len(FAMILIES) + len(ROLES)
    )
)
