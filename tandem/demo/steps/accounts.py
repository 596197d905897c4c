"""Step: one log-in per role, each linked to a person whose job fits the role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tandem.accounts.models import Role
from tandem.accounts.services import user_create
from tandem.demo.context import DemoContext, PersonState, Step, Tick, register_step

LeadPicker = Callable[[DemoContext], PersonState]


def _active(ctx: DemoContext, *, team: str, roles: set[str]) -> PersonState:
    """The longest-serving active person in the team with one of the roles (deterministic)."""
    found = sorted(
        (p for p in ctx.people.values() if p.termination_date is None and p.team == team and p.role in roles),
        key=lambda p: (p.hire_date, p.employee_id),
    )
    if not found:
        raise LookupError(f"No active {sorted(roles)} in {team}")
    return found[0]


def _key(name: str) -> LeadPicker:
    return lambda ctx: ctx.people[ctx.key_people[name]]


def _reports_of(ctx: DemoContext, employee_id: str) -> int:
    return sum(1 for p in ctx.people.values() if p.manager == employee_id and p.termination_date is None)


# role, label, who, stakeholder org units
DEMO_ACCOUNTS: tuple[tuple[str, str, LeadPicker, tuple[str, ...]], ...] = (
    (Role.LD_ADMIN, "L&D admin (Head of L&D)", _key("lead:HR-LD"), ()),
    (Role.LD_TEAM, "L&D team member", lambda ctx: _active(ctx, team="HR-LD", roles={"LDS"}), ()),
    (Role.STAKEHOLDER, "Stakeholder (Head of Customer Service)", _key("lead:CS"), ("CS",)),
    (Role.MANAGER, "Manager (Platform & Cloud)", _key("lead:TECH-PLAT"), ()),
    (
        Role.LEARNER,
        "Learner (customer service agent)",
        lambda ctx: _active(ctx, team="CS-UKI", roles={"CSA-1"}),
        (),
    ),
    (
        Role.IT_REVIEWER,
        "IT reviewer (IT Security)",
        lambda ctx: _active(ctx, team="TECH-SEC", roles={"SEC-ENG"}),
        (),
    ),
)


def create_accounts(ctx: DemoContext, tick: Tick) -> dict[str, Any]:
    for role, label, pick, org_units in DEMO_ACCOUNTS:
        person = pick(ctx)
        if role == Role.MANAGER and _reports_of(ctx, person.employee_id) == 0:
            raise LookupError(f"The demo manager {person.employee_id} has no reports")
        password = ctx.passwords[role]
        user_create(
            actor_id=None,
            email=person.work_email,
            password=password,
            person_employee_id=person.employee_id,
            roles=[role],
            stakeholder_org_unit_codes=org_units,
        )
        ctx.logins.append(
            {"role": str(role), "label": label, "email": person.work_email, "password": password}
        )
        tick(1)
    return {"accounts": len(ctx.logins), "roles": [login["role"] for login in ctx.logins]}


register_step(Step("accounts", "Demo log-ins", create_accounts, lambda ctx: len(DEMO_ACCOUNTS)))
