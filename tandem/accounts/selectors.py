"""Who is this user, what may they do, whose records may they see."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser

from tandem.accounts.models import Role, RoleGrant, User
from tandem.accounts.permissions import ROLE_CAPABILITIES, Capability
from tandem.core.dates import today
from tandem.core.scope import AccessDenied, PersonScope
from tandem.org.selectors import org_unit_descendant_ids, person_reporting_line_ids

AnyUser = User | AnonymousUser


@dataclass(frozen=True)
class Viewer:
    """Everything a page or endpoint needs to know about who is asking (computed once per request)."""

    user_id: int | None
    email: str
    roles: frozenset[str]
    capabilities: frozenset[Capability]
    scope: PersonScope
    person_id: int | None

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def primary_role(self) -> str | None:
        """The role whose home page the user sees (the broadest one they hold)."""
        for role in (
            Role.LD_ADMIN,
            Role.LD_TEAM,
            Role.STAKEHOLDER,
            Role.MANAGER,
            Role.IT_REVIEWER,
            Role.LEARNER,
        ):
            if role in self.roles:
                return str(role)
        return None


def user_roles(*, user: AnyUser) -> frozenset[str]:
    if not user.is_authenticated:
        return frozenset()
    roles = set(RoleGrant.objects.filter(user_id=user.pk).values_list("role", flat=True))
    if user.is_superuser:
        roles.add(Role.LD_ADMIN)
    return frozenset(str(role) for role in roles)


def user_person_scope(*, user: AnyUser, roles: frozenset[str] | None = None) -> PersonScope:
    """The people this user may see individually, by the union of their roles."""
    if not user.is_authenticated:
        return PersonScope.nobody()
    roles = user_roles(user=user) if roles is None else roles
    if Role.LD_ADMIN in roles or Role.LD_TEAM in roles:
        return PersonScope.all()
    org_unit_ids: set[int] = set()
    person_ids: set[int] = set()
    person_id = getattr(user, "person_id", None)
    if Role.STAKEHOLDER in roles:
        granted = set(
            RoleGrant.org_units.through.objects.filter(
                rolegrant__user_id=user.pk, rolegrant__role=Role.STAKEHOLDER
            ).values_list("orgunit_id", flat=True)
        )
        org_unit_ids |= org_unit_descendant_ids(org_unit_ids=granted)
    if Role.MANAGER in roles and person_id:
        person_ids |= person_reporting_line_ids(manager_id=person_id, on=today())
    if person_id and roles:
        person_ids.add(person_id)  # everyone with a role sees their own record
    return PersonScope(org_unit_ids=frozenset(org_unit_ids), person_ids=frozenset(person_ids))


def viewer_for(*, user: AnyUser) -> Viewer:
    roles = user_roles(user=user)
    capabilities: set[Capability] = set()
    for role in roles:
        capabilities |= ROLE_CAPABILITIES.get(role, frozenset())
    return Viewer(
        user_id=user.pk if user.is_authenticated else None,
        email=getattr(user, "email", ""),
        roles=roles,
        capabilities=frozenset(capabilities),
        scope=user_person_scope(user=user, roles=roles),
        person_id=getattr(user, "person_id", None),
    )


def viewer_require(*, viewer: Viewer, capability: Capability) -> None:
    if not viewer.can(capability):
        raise AccessDenied(f"Your roles ({', '.join(sorted(viewer.roles)) or 'none'}) do not allow this")
