"""Writes for accounts and role grants (audited)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from tandem.accounts.models import Role, RoleGrant, User
from tandem.audit.services import audit_record
from tandem.core.scope import DomainError
from tandem.org.models import OrgUnit, Person


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
    """Create a log-in, link it to a person in the HR data, and grant roles (stakeholders get org units)."""
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise DomainError(f"An account for {email} already exists")
    person = None
    if person_employee_id:
        person = Person.objects.filter(employee_id=person_employee_id).first()
        if person is None:
            raise DomainError(f"Unknown employee id {person_employee_id!r}")
    user = User.objects.create_user(
        email=email,
        password=password,
        person=person,
        first_name=first_name or (person.first_name if person else ""),
        last_name=last_name or (person.last_name if person else ""),
    )
    roles = list(roles)
    for role in roles:
        role_grant(actor_id=actor_id, user_id=user.pk, role=role, org_unit_codes=stakeholder_org_unit_codes)
    audit_record(
        actor_id=actor_id,
        action="create",
        entity_type="user",
        entity_id=user.pk,
        entity_label=email,
        changes={"email": email, "person": person_employee_id, "roles": roles},
    )
    return user


@transaction.atomic
def role_grant(
    *, actor_id: int | None, user_id: int, role: str, org_unit_codes: Iterable[str] = ()
) -> RoleGrant:
    if role not in Role.values:
        raise DomainError(f"Unknown role {role!r}")
    codes = list(org_unit_codes) if role == Role.STAKEHOLDER else []
    units = list(OrgUnit.objects.filter(code__in=codes))
    missing = sorted(set(codes) - {unit.code for unit in units})
    if missing:
        raise DomainError(f"Unknown org units: {', '.join(missing)}")
    if role == Role.STAKEHOLDER and not units:
        raise DomainError("A stakeholder role needs at least one org unit")
    grant, _ = RoleGrant.objects.get_or_create(user_id=user_id, role=role)
    if units:
        grant.org_units.set(units)
    audit_record(
        actor_id=actor_id,
        action="update",
        entity_type="user",
        entity_id=user_id,
        entity_label=grant.user.email,
        changes={"role_granted": role, "org_units": codes},
    )
    return grant
