"""What each role may do. Services, selectors, pages and API endpoints all ask here."""

from __future__ import annotations

from enum import StrEnum

from tandem.accounts.models import Role


class Capability(StrEnum):
    VIEW_PEOPLE = "view_people"  # the directory and person pages (rows limited by PersonScope)
    VIEW_ORG = "view_org"  # org unit tree and pages (limited by scope)
    VIEW_INITIATIVES = "view_initiatives"
    VIEW_METRICS = "view_metrics"  # metric pages (observations limited by scope)
    RUN_IMPORTS = "run_imports"
    VIEW_AUDIT = "view_audit"
    ADMIN_SITE = "admin_site"  # Django admin for reference data
    VIEW_SYSTEM = "view_system"  # security and platform facts for IT review
    MANAGE_USERS = "manage_users"  # accounts, role grants, links to HR records
    VIEW_LEARNING_DATA = "view_learning_data"  # learning records and xAPI data quality (L&D only)
    MANAGE_LRS_CLIENTS = "manage_lrs_clients"  # xAPI credentials for LMSs and content (L&D admins)
    VIEW_PROGRAMS = "view_programs"  # programs and their impact (stakeholders: programs with people in scope)
    MANAGE_INITIATIVES = "manage_initiatives"  # create and edit initiatives and their metric links
    MANAGE_METRICS = "manage_metrics"  # create and edit metric definitions
    MANAGE_ORG = "manage_org"  # create and edit org units, job families and job roles


ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.LD_ADMIN: frozenset(Capability),
    Role.LD_TEAM: frozenset(
        {
            Capability.VIEW_PEOPLE,
            Capability.VIEW_ORG,
            Capability.VIEW_INITIATIVES,
            Capability.VIEW_METRICS,
            Capability.VIEW_LEARNING_DATA,
            Capability.VIEW_PROGRAMS,
        }
    ),
    Role.STAKEHOLDER: frozenset(
        {
            Capability.VIEW_PEOPLE,
            Capability.VIEW_ORG,
            Capability.VIEW_INITIATIVES,
            Capability.VIEW_METRICS,
            Capability.VIEW_PROGRAMS,
        }
    ),
    Role.MANAGER: frozenset(
        {Capability.VIEW_PEOPLE, Capability.VIEW_ORG, Capability.VIEW_INITIATIVES, Capability.VIEW_METRICS}
    ),
    Role.LEARNER: frozenset({Capability.VIEW_PEOPLE, Capability.VIEW_INITIATIVES}),
    Role.IT_REVIEWER: frozenset({Capability.VIEW_SYSTEM}),
}


def role_capabilities(*, roles: frozenset[str] | set[str]) -> frozenset[Capability]:
    """A person holding several roles may do what any of them may (union)."""
    capabilities: set[Capability] = set()
    for role in roles:
        capabilities |= ROLE_CAPABILITIES.get(role, frozenset())
    return frozenset(capabilities)
