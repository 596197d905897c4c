"""Writes for accounts and role grants, and the security events of the audit log (all audited)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import LearningShare, Role, RoleGrant, User
from tandem.audit.models import AuditEvent
from tandem.audit.services import audit_record
from tandem.core.scope import DomainError
from tandem.org.models import OrgUnit, Person

ENTITY = "user"


def _grants_snapshot(user_id: int) -> dict[str, list[str]]:
    """{role: [org unit codes]} of a user, for before/after diffs in the audit log."""
    snapshot: dict[str, list[str]] = {}
    for grant in RoleGrant.objects.filter(user_id=user_id).prefetch_related("org_units"):
        snapshot[grant.role] = sorted(unit.code for unit in grant.org_units.all())
    return dict(sorted(snapshot.items()))


def _grants_snapshot_changes(user_id: int) -> dict[str, Any]:
    grants = _grants_snapshot(user_id)
    changes: dict[str, Any] = {"roles": sorted(grants)}
    if Role.STAKEHOLDER in grants:
        changes["stakeholder_org_units"] = grants[Role.STAKEHOLDER]
    return changes


def _role_changes(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    if sorted(before) != sorted(after):
        changes["roles"] = [sorted(before), sorted(after)]
    if before.get(Role.STAKEHOLDER) != after.get(Role.STAKEHOLDER):
        changes["stakeholder_org_units"] = [before.get(Role.STAKEHOLDER), after.get(Role.STAKEHOLDER)]
    return changes


def user_password_validate(*, password: str, email: str = "") -> None:
    """Django's password validators (length, common, numeric, similar to the email); DomainError if weak."""
    try:
        validate_password(password, user=User(email=email))
    except ValidationError as error:
        raise DomainError(" ".join(error.messages)) from error


@transaction.atomic
def user_create(
    *,
    actor_id: int | None,
    email: str,
    password: str | None,
    person_employee_id: str | None = None,
    roles: Iterable[str] = (),
    stakeholder_org_unit_codes: Iterable[str] = (),
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create a log-in, link it to a person in the HR data, and grant roles (stakeholders get org units).

    Without a password the account gets a random one nobody knows: the user sets theirs through
    "Forgot your password?" (Django's reset form ignores accounts with an unusable password).
    """
    email = User.objects.normalize_email(email.strip()).lower()
    if not email or "@" not in email:
        raise DomainError("A valid email address is required")
    if User.objects.filter(email__iexact=email).exists():
        raise DomainError(f"An account for {email} already exists")
    person = None
    if person_employee_id:
        person = _person_for_link(employee_id=person_employee_id, user_id=None)
    user = User.objects.create_user(
        email=email,
        password=password if password is not None else secrets.token_urlsafe(32),
        person=person,
        first_name=first_name or (person.first_name if person else ""),
        last_name=last_name or (person.last_name if person else ""),
    )
    roles = list(roles)
    stakeholder_codes = list(stakeholder_org_unit_codes)
    for role in roles:
        _grant(user=user, role=role, org_unit_codes=stakeholder_codes)
    audit_record(
        actor_id=actor_id,
        action=AuditEvent.Action.CREATE,
        entity_type=ENTITY,
        entity_id=user.pk,
        entity_label=email,
        changes={"email": email, "person": person_employee_id, **_grants_snapshot_changes(user.pk)},
    )
    return user


def _grant(*, user: User, role: str, org_unit_codes: Iterable[str]) -> RoleGrant:
    if role not in Role.values:
        raise DomainError(f"Unknown role {role!r}")
    codes = (
        sorted({code.strip() for code in org_unit_codes if code.strip()}) if role == Role.STAKEHOLDER else []
    )
    units = list(OrgUnit.objects.filter(code__in=codes))
    missing = sorted(set(codes) - {unit.code for unit in units})
    if missing:
        raise DomainError(f"Unknown org units: {', '.join(missing)}")
    if role == Role.STAKEHOLDER and not units:
        raise DomainError("A stakeholder role needs at least one org unit")
    grant, _ = RoleGrant.objects.get_or_create(user=user, role=role)
    if role == Role.STAKEHOLDER:
        grant.org_units.set(units)
    return grant


@transaction.atomic
def role_grant(
    *, actor_id: int | None, user_id: int, role: str, org_unit_codes: Iterable[str] = ()
) -> RoleGrant:
    """Give a user a role. Granting stakeholder again replaces its org units."""
    user = User.objects.select_for_update().get(pk=user_id)
    before = _grants_snapshot(user_id)
    grant = _grant(user=user, role=role, org_unit_codes=org_unit_codes)
    after = _grants_snapshot(user_id)
    changes = _role_changes(before, after)
    if changes:
        audit_record(
            actor_id=actor_id,
            action=AuditEvent.Action.UPDATE,
            entity_type=ENTITY,
            entity_id=user_id,
            entity_label=user.email,
            changes=changes,
            summary=f"Granted role {Role(role).label}",
        )
    return grant


@transaction.atomic
def role_revoke(*, actor_id: int | None, user_id: int, role: str) -> bool:
    """Take a role away. Returns False when the user did not hold it. The last L&D admin stays."""
    user = User.objects.select_for_update().get(pk=user_id)
    grant = RoleGrant.objects.filter(user=user, role=role).first()
    if grant is None:
        return False
    if role == Role.LD_ADMIN and not _other_ld_admin_exists(user_id=user_id):
        raise DomainError("This is the last active L&D admin; grant the role to someone else first")
    before = _grants_snapshot(user_id)
    grant.delete()
    audit_record(
        actor_id=actor_id,
        action=AuditEvent.Action.UPDATE,
        entity_type=ENTITY,
        entity_id=user_id,
        entity_label=user.email,
        changes=_role_changes(before, _grants_snapshot(user_id)),
        summary=f"Revoked role {Role(role).label}",
    )
    return True


def _other_ld_admin_exists(*, user_id: int) -> bool:
    others = User.objects.filter(is_active=True).exclude(pk=user_id)
    return (
        others.filter(role_grants__role=Role.LD_ADMIN).exists() or others.filter(is_superuser=True).exists()
    )


def _person_for_link(*, employee_id: str, user_id: int | None) -> Person:
    person = Person.objects.filter(employee_id=employee_id.strip()).first()
    if person is None:
        raise DomainError(f"Unknown employee id {employee_id!r}")
    holders = User.objects.filter(person=person)
    if user_id is not None:
        holders = holders.exclude(pk=user_id)
    holder = holders.first()
    if holder is not None:
        raise DomainError(f"Employee {person.employee_id} is already linked to {holder.email}")
    return person


@transaction.atomic
def user_person_link(*, actor_id: int | None, user_id: int, employee_id: str | None) -> User:
    """Link the account to a person in the HR data (by employee id), or unlink it with None."""
    # No select_related: PostgreSQL refuses FOR UPDATE on the nullable side of the join.
    user = User.objects.select_for_update().get(pk=user_id)
    old = user.person.employee_id if user.person else None
    person = _person_for_link(employee_id=employee_id, user_id=user_id) if employee_id else None
    new = person.employee_id if person else None
    if old == new:
        return user
    user.person = person
    user.save(update_fields=["person"])
    audit_record(
        actor_id=actor_id,
        action=AuditEvent.Action.UPDATE,
        entity_type=ENTITY,
        entity_id=user_id,
        entity_label=user.email,
        changes={"person": [old, new]},
        summary=f"Linked to employee {new}" if new else "Unlinked from HR record",
    )
    return user


@transaction.atomic
def user_active_set(*, actor_id: int | None, user_id: int, active: bool) -> User:
    """Deactivate (or reactivate) an account. Deactivated users cannot log in; open sessions stop working."""
    user = User.objects.select_for_update().get(pk=user_id)
    if user.is_active == active:
        return user
    if not active:
        if actor_id == user_id:
            raise DomainError("You cannot deactivate your own account")
        holds_admin = user.is_superuser or RoleGrant.objects.filter(user=user, role=Role.LD_ADMIN).exists()
        if holds_admin and not _other_ld_admin_exists(user_id=user_id):
            raise DomainError("This is the last active L&D admin; grant the role to someone else first")
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_record(
        actor_id=actor_id,
        action=AuditEvent.Action.UPDATE,
        entity_type=ENTITY,
        entity_id=user_id,
        entity_label=user.email,
        changes={"is_active": [not active, active]},
        summary="Account reactivated" if active else "Account deactivated",
    )
    return user


def user_deactivate(*, actor_id: int | None, user_id: int) -> User:
    return user_active_set(actor_id=actor_id, user_id=user_id, active=False)


@transaction.atomic
def ld_admin_create(*, email: str, password: str, actor_id: int | None = None) -> User:
    """An L&D admin account (the first one comes from `tandem createadmin`). Not a Django superuser:
    the role gives every capability and the admin site, nothing more."""
    user_password_validate(password=password, email=email)
    return user_create(actor_id=actor_id, email=email, password=password, roles=[Role.LD_ADMIN])


# --- security events --------------------------------------------------------------------------

SECURITY_EVENTS: dict[str, str] = {
    "login": "Logged in",
    "logout": "Logged out",
    "login_failed": "Login failed",
    "locked_out": "Locked out after too many failed logins",
    "password_changed": "Password changed",
    "password_reset_requested": "Password reset requested",
    "password_reset_throttled": "Password reset refused: too many requests",
    "password_reset_completed": "Password reset completed",
}


def security_event_record(
    *,
    event: str,
    user_id: int | None = None,
    email: str = "",
    ip_address: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """One security event in the audit log (action "security"). Never stores a password."""
    if event not in SECURITY_EVENTS:
        raise ValueError(f"Unknown security event {event!r}")
    if user_id is not None and not email:
        email = User.objects.filter(pk=user_id).values_list("email", flat=True).first() or ""
    return audit_record(
        actor_id=user_id,
        actor_label=None if user_id is not None else "anonymous",
        action=AuditEvent.Action.SECURITY,
        entity_type=ENTITY,
        entity_id=user_id if user_id is not None else "",
        entity_label=email[:200],
        changes={"event": event, "ip_address": ip_address, **(details or {})},
        summary=SECURITY_EVENTS[event],
    )


@transaction.atomic
def learning_share_set(*, user_id: int, shared: bool) -> bool:
    """A learner gives or withdraws their consent that managers see their learning records (audited).

    Only the learner themself calls this (their home page): the actor is the user. Returns whether the
    consent changed.
    """
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    if user is None:
        raise DomainError("No active account to change")
    if shared:
        _share, created = LearningShare.objects.get_or_create(
            user=user, defaults={"granted_at": timezone.now()}
        )
        changed = created
    else:
        changed = LearningShare.objects.filter(user=user).delete()[0] > 0
    if changed:
        audit_record(
            actor_id=user_id,
            action=AuditEvent.Action.UPDATE,
            entity_type=ENTITY,
            entity_id=user_id,
            entity_label=user.email,
            changes={"learning_shared_with_managers": [not shared, shared]},
            summary="Shares learning records with managers" if shared else "Stopped sharing learning records",
        )
    return changed
