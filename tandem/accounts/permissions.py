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
    MANAGE_PROGRAMS = "manage_programs"  # set up programs: cohorts, participants, comparison groups, pilots


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
            Capability.MANAGE_PROGRAMS,
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


# --- words for people: what each capability lets you see or do, and what a refusal is missing ----------
# Keyed by capability so a role's "what you can see" and every 403 reason are composed from the table above
# and cannot drift from it. A new capability gets a line in both (tests/accounts/test_permissions.py checks).

CAPABILITY_DESCRIPTIONS: dict[Capability, str] = {
    Capability.VIEW_PEOPLE: "the people directory and person pages",
    Capability.VIEW_ORG: "the organisation tree and org unit pages",
    Capability.VIEW_INITIATIVES: "the company's strategic initiatives and their progress",
    Capability.VIEW_METRICS: "business metrics (KPIs) and their values",
    Capability.RUN_IMPORTS: "importing HR and metric files",
    Capability.VIEW_AUDIT: "the audit log of every change",
    Capability.ADMIN_SITE: "the Django admin for reference data",
    Capability.VIEW_SYSTEM: "Tandem's security and platform settings (the System page)",
    Capability.MANAGE_USERS: "accounts and roles: creating users, granting roles, linking HR records",
    Capability.VIEW_LEARNING_DATA: "learning records, xAPI statements and their data quality, and surveys",
    Capability.MANAGE_LRS_CLIENTS: "credentials that let LMSs and learning content send xAPI statements",
    Capability.VIEW_PROGRAMS: "learning programs and their impact on business metrics",
    Capability.MANAGE_INITIATIVES: "creating and editing initiatives and the metrics they are measured by",
    Capability.MANAGE_METRICS: "creating and editing metric definitions",
    Capability.MANAGE_ORG: "creating and editing org units, job families and job roles",
    Capability.MANAGE_PROGRAMS: (
        "setting up programs: their cohorts, participants, comparison groups, pilot plans and costs"
    ),
}

# The start of a refusal: "<action> needs the L&D admin role."
CAPABILITY_ACTIONS: dict[Capability, str] = {
    Capability.VIEW_PEOPLE: "Seeing people's records",
    Capability.VIEW_ORG: "Seeing the organisation",
    Capability.VIEW_INITIATIVES: "Seeing initiatives",
    Capability.VIEW_METRICS: "Seeing business metrics",
    Capability.RUN_IMPORTS: "Importing files and changing how learning data is linked to people",
    Capability.VIEW_AUDIT: "Reading the audit log",
    Capability.ADMIN_SITE: "The Django admin",
    Capability.VIEW_SYSTEM: "The System page",
    Capability.MANAGE_USERS: "Changing users and roles",
    Capability.VIEW_LEARNING_DATA: "Learning data and surveys",
    Capability.MANAGE_LRS_CLIENTS: "Managing xAPI credentials",
    Capability.VIEW_PROGRAMS: "Programs and their impact",
    Capability.MANAGE_INITIATIVES: "Creating and editing initiatives",
    Capability.MANAGE_METRICS: "Creating and editing metric definitions",
    Capability.MANAGE_ORG: "Creating and editing org units and job roles",
    Capability.MANAGE_PROGRAMS: "Setting up and changing programs",
}

# Whose individual records each role sees (the PersonScope rule of tandem.accounts.selectors, in words).
ROLE_SCOPE_DESCRIPTIONS: dict[str, str] = {
    Role.LD_ADMIN: "everyone in the company",
    Role.LD_TEAM: "everyone in the company",
    Role.STAKEHOLDER: "the people in the org units granted to you and every unit below them",
    Role.MANAGER: "the people reporting to you today, directly or indirectly",
    Role.LEARNER: "your own record",
    Role.IT_REVIEWER: "nobody's (no HR or learning records)",
}


def capability_description(capability: Capability) -> str:
    return CAPABILITY_DESCRIPTIONS.get(capability, capability.value.replace("_", " "))


def capability_action(capability: Capability) -> str:
    return CAPABILITY_ACTIONS.get(capability, capability_description(capability).capitalize())


def capability_roles(*, capability: Capability) -> list[Role]:
    """The roles that grant a capability, narrowest first (the role to ask for is the one most like yours)."""
    return sorted(
        (Role(role) for role, capabilities in ROLE_CAPABILITIES.items() if capability in capabilities),
        key=lambda role: len(ROLE_CAPABILITIES[role]),
    )


def role_labels(roles: frozenset[str] | set[str] | list[str]) -> str:
    """ "Stakeholder and Manager": role labels for people, never their codes."""
    labels = dict(Role.choices)
    ordered = [str(labels.get(role, role)) for role in Role.values if role in roles]
    if len(ordered) < 2:
        return "".join(ordered) or "none"
    return f"{', '.join(ordered[:-1])} and {ordered[-1]}"


def role_can_see(*, roles: frozenset[str] | set[str]) -> tuple[list[str], list[str]]:
    """(what the roles may see or do, whose individual records), in words, from the tables above."""
    capabilities = role_capabilities(roles=roles)
    things = [capability_description(capability) for capability in Capability if capability in capabilities]
    scopes: list[str] = []
    for role in Role.values:
        scope = ROLE_SCOPE_DESCRIPTIONS.get(role)
        if role in roles and scope and scope not in scopes:
            scopes.append(scope)
    everyone = ROLE_SCOPE_DESCRIPTIONS[Role.LD_ADMIN]
    if everyone in scopes:  # the L&D roles' scope contains every other
        scopes = [everyone]
    elif len(scopes) > 1:  # "nobody's" only when no other role adds somebody
        scopes = [scope for scope in scopes if scope != ROLE_SCOPE_DESCRIPTIONS[Role.IT_REVIEWER]]
    return things, scopes
