"""Who is this user, what may they do, whose records may they see; and the user list for admins."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet

from tandem.accounts.models import LearningShare, Role, RoleGrant, User
from tandem.accounts.permissions import (
    Capability,
    capability_action,
    capability_roles,
    role_capabilities,
    role_labels,
)
from tandem.accounts.records import RoleGrantRecord, UserPage, UserRecord
from tandem.core.dates import today
from tandem.core.scope import AccessDenied, PersonScope
from tandem.org.selectors import org_unit_descendant_ids, person_reporting_line_ids

AnyUser = User | AnonymousUser

# Broadest first: decides whose home page a multi-role user sees.
ROLE_PRECEDENCE: tuple[str, ...] = (
    Role.LD_ADMIN,
    Role.LD_TEAM,
    Role.STAKEHOLDER,
    Role.MANAGER,
    Role.IT_REVIEWER,
    Role.LEARNER,
)


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
        for role in ROLE_PRECEDENCE:
            if role in self.roles:
                return str(role)
        return None


def user_roles(*, user: AnyUser) -> frozenset[str]:
    # A deactivated account holds no role even if a session outlived the deactivation.
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    roles = set(RoleGrant.objects.filter(user_id=user.pk).values_list("role", flat=True))
    if user.is_superuser:
        roles.add(Role.LD_ADMIN)
    return frozenset(str(role) for role in roles)


def user_is_ld_admin(*, user: AnyUser) -> bool:
    return Role.LD_ADMIN in user_roles(user=user)


def user_stakeholder_org_unit_ids(*, user_id: int) -> set[int]:
    """The org units granted to a stakeholder, before descendants are added."""
    return set(
        RoleGrant.org_units.through.objects.filter(
            rolegrant__user_id=user_id, rolegrant__role=Role.STAKEHOLDER
        ).values_list("orgunit_id", flat=True)
    )


def user_person_scope(*, user: AnyUser, roles: frozenset[str] | None = None) -> PersonScope:
    """The people this user may see individually: the union of what each of their roles allows.

    L&D admin / team: everyone. Stakeholder: people in the granted org units and every unit below.
    Manager: their reporting line today, direct and indirect, from effective-dated assignments (so a
    report who moved to another manager last month is no longer visible). Learner: their own record.
    """
    if not user.is_authenticated:
        return PersonScope.nobody()
    roles = user_roles(user=user) if roles is None else roles
    if Role.LD_ADMIN in roles or Role.LD_TEAM in roles:
        return PersonScope.all()
    org_unit_ids: set[int] = set()
    person_ids: set[int] = set()
    person_id = getattr(user, "person_id", None)
    if Role.STAKEHOLDER in roles:
        org_unit_ids |= org_unit_descendant_ids(org_unit_ids=user_stakeholder_org_unit_ids(user_id=user.pk))
    if Role.MANAGER in roles and person_id:
        person_ids |= person_reporting_line_ids(manager_id=person_id, on=today())
    if person_id and roles & {Role.STAKEHOLDER, Role.MANAGER, Role.LEARNER}:
        person_ids.add(person_id)  # anyone who may see people sees their own record
    return PersonScope(org_unit_ids=frozenset(org_unit_ids), person_ids=frozenset(person_ids))


def viewer_for(*, user: AnyUser) -> Viewer:
    roles = user_roles(user=user)
    return Viewer(
        user_id=user.pk if user.is_authenticated else None,
        email=getattr(user, "email", ""),
        roles=roles,
        capabilities=role_capabilities(roles=roles),
        scope=user_person_scope(user=user, roles=roles),
        person_id=getattr(user, "person_id", None),
    )


def ld_admin_names(*, limit: int = 3) -> list[str]:
    """Names (or emails) of active L&D admins, whom a refusal tells people to ask: they grant roles."""
    admins = (
        User.objects.filter(is_active=True)
        .filter(Q(role_grants__role=Role.LD_ADMIN) | Q(is_superuser=True))
        .distinct()
        .order_by("last_name", "first_name", "email")
        .values_list("first_name", "last_name", "email")[:limit]
    )
    return [f"{first} {last}".strip() or email for first, last, email in admins]


def access_refusal(*, roles: frozenset[str], capability: Capability) -> AccessDenied:
    """The refusal for a capability none of the roles has, in words: what is missing and whom to ask."""
    needed = [str(role.label) for role in capability_roles(capability=capability)]
    role_words = " or ".join(needed) if needed else "a role nobody holds"
    yours = (
        f"Your roles ({role_labels(roles)}) do not allow this" if roles else "Your account has no role yet"
    )
    names = ld_admin_names()
    ask = f"Ask an L&D admin: {', '.join(names)}." if names else "Ask your L&D admin."
    return AccessDenied(f"{capability_action(capability)} needs the {role_words} role. {yours}.", ask=ask)


def viewer_require(*, viewer: Viewer, capability: Capability) -> None:
    if not viewer.can(capability):
        raise access_refusal(roles=viewer.roles, capability=capability)


# --- user administration ----------------------------------------------------------------------


def _user_queryset() -> QuerySet[User]:
    return User.objects.select_related("person").prefetch_related("role_grants__org_units").order_by("email")


def _user_record(user: User) -> UserRecord:
    labels = dict(Role.choices)
    grants = tuple(
        RoleGrantRecord(
            role=grant.role,
            role_label=labels.get(grant.role, grant.role),
            org_unit_codes=tuple(unit.code for unit in grant.org_units.all()),
            org_unit_names=tuple(unit.name for unit in grant.org_units.all()),
            granted_at=grant.granted_at,
        )
        for grant in sorted(user.role_grants.all(), key=lambda g: ROLE_PRECEDENCE.index(g.role))
    )
    person = user.person
    return UserRecord(
        id=user.pk,
        email=user.email,
        name=user.get_full_name(),
        is_active=user.is_active,
        is_superuser=user.is_superuser,
        last_login=user.last_login,
        date_joined=user.date_joined,
        person_employee_id=person.employee_id if person else None,
        person_name=person.full_name if person else None,
        grants=grants,
    )


def _user_filter(*, search: str = "", role: str = "", active: bool | None = None) -> QuerySet[User]:
    users = _user_queryset()
    for word in search.split():
        users = users.filter(
            Q(email__icontains=word)
            | Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(person__employee_id__iexact=word)
        )
    if role:
        users = users.filter(role_grants__role=role)
    if active is not None:
        users = users.filter(is_active=active)
    return users.distinct()


def user_list(*, search: str = "", role: str = "", active: bool | None = None) -> list[UserRecord]:
    return [_user_record(user) for user in _user_filter(search=search, role=role, active=active)]


def user_page(
    *, search: str = "", role: str = "", page: int | str | None = 1, per_page: int = 100
) -> UserPage:
    """One page of the user list (every learner may have an account: thousands of rows)."""
    current = Paginator(_user_filter(search=search, role=role), per_page).get_page(page)
    return UserPage(
        rows=tuple(_user_record(user) for user in current.object_list),
        number=current.number,
        num_pages=current.paginator.num_pages,
        count=current.paginator.count,
    )


def user_get(*, user_id: int) -> UserRecord:
    user = _user_queryset().filter(pk=user_id).first()
    if user is None:
        raise AccessDenied(f"No user {user_id}")
    return _user_record(user)


def user_role_counts() -> dict[str, int]:
    """Active accounts per role, every role listed (zero included), for the system page."""
    counts = Counter(RoleGrant.objects.filter(user__is_active=True).order_by().values_list("role", flat=True))
    return {str(role): counts.get(role, 0) for role in ROLE_PRECEDENCE}


def user_counts() -> dict[str, int]:
    users = User.objects.order_by()
    return {
        "total": users.count(),
        "active": users.filter(is_active=True).count(),
        "superusers": users.filter(is_superuser=True, is_active=True).count(),
        "without_role": users.filter(is_active=True, is_superuser=False, role_grants__isnull=True).count(),
    }


# --- managers and their reports' learning records (docs/access.md) -------------------------------------

MANAGER_LEARNING_POLICIES = {
    "consent": "You see the learning records of the people in your reporting line who chose to share them.",
    "all": "Company policy lets managers see the learning records of everyone in their reporting line.",
    "none": "Company policy keeps individual learning records private: managers see group figures only.",
}


def manager_learning_policy() -> str:
    """settings.TANDEM_MANAGER_LEARNING: "consent" (the default), "all" or "none"."""
    return str(getattr(settings, "TANDEM_MANAGER_LEARNING", "consent"))


def learning_share_get(*, user_id: int) -> bool:
    """Whether this user consents to their managers seeing their learning records."""
    return LearningShare.objects.filter(user_id=user_id).exists()


def learning_shared_person_ids(*, viewer: Viewer, person_ids: Collection[int]) -> set[int]:
    """Of these people, whose individual learning records the viewer may read as their manager.

    Only people in the viewer's scope (their reporting line), never themselves through this path, and per
    the company policy: all of them, none, or those whose active account consents (one query).
    """
    if not viewer.has_role(Role.MANAGER):
        return set()
    allowed = {pid for pid in person_ids if pid in viewer.scope.person_ids and pid != viewer.person_id}
    policy = manager_learning_policy()
    if policy == "all" or not allowed:
        return allowed
    if policy == "none":
        return set()
    return set(
        LearningShare.objects.filter(user__person_id__in=allowed, user__is_active=True).values_list(
            "user__person_id", flat=True
        )
    )
