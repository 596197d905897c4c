"""Reads for people and organisation. Every list takes the viewer's PersonScope."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Q, QuerySet

from tandem.core.scope import AccessDenied, PersonScope
from tandem.org.models import Assignment, JobRole, OrgUnit, Person
from tandem.org.records import AssignmentRecord, OrgUnitNode


def _as_of(on: dt.date) -> Q:
    return Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gt=on))


def org_unit_descendant_ids(*, org_unit_ids: set[int] | frozenset[int]) -> set[int]:
    """The given units and every unit below them (one query)."""
    if not org_unit_ids:
        return set()
    paths = OrgUnit.objects.filter(pk__in=org_unit_ids).values_list("path", flat=True)
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return set(OrgUnit.objects.filter(condition).values_list("id", flat=True))


def person_scope_filter(scope: PersonScope, *, prefix: str = "") -> Q:
    """A Q that keeps only people the scope allows (prefix for related lookups, e.g. 'person__')."""
    if scope.everyone:
        return Q()
    condition = Q(pk__in=[]) if not prefix else Q(**{f"{prefix}id__in": []})
    if scope.org_unit_ids:
        condition |= Q(**{f"{prefix}org_unit_id__in": scope.org_unit_ids})
    if scope.person_ids:
        condition |= Q(**{f"{prefix}id__in" if prefix else "pk__in": scope.person_ids})
    return condition


def person_reporting_line_ids(*, manager_id: int, on: dt.date) -> set[int]:
    """Everyone reporting to the manager on a date, directly or indirectly (from assignments)."""
    edges: dict[int, list[int]] = defaultdict(list)
    for person_id, boss_id in (
        Assignment.objects.filter(_as_of(on), manager_id__isnull=False)
        .order_by()
        .values_list("person_id", "manager_id")
    ):
        edges[boss_id].append(person_id)
    found: set[int] = set()
    stack = [manager_id]
    while stack:
        for report in edges.get(stack.pop(), []):
            if report not in found:
                found.add(report)
                stack.append(report)
    found.discard(manager_id)
    return found


def person_list(
    *,
    scope: PersonScope,
    search: str = "",
    org_unit_id: int | None = None,
    job_role_id: int | None = None,
    location: str = "",
    status: str = "",
) -> QuerySet[Person]:
    people = Person.objects.filter(person_scope_filter(scope)).select_related(
        "org_unit", "job_role", "manager"
    )
    if search:
        for word in search.split():
            people = people.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(employee_id__iexact=word)
                | Q(work_email__icontains=word)
                | Q(job_title__icontains=word)
            )
    if org_unit_id:
        people = people.filter(org_unit_id__in=org_unit_descendant_ids(org_unit_ids={org_unit_id}))
    if job_role_id:
        people = people.filter(job_role_id=job_role_id)
    if location:
        people = people.filter(location=location)
    if status:
        people = people.filter(status=status)
    return people.order_by("last_name", "first_name", "employee_id")


def person_get(*, scope: PersonScope, employee_id: str) -> Person:
    person = (
        Person.objects.select_related("org_unit", "job_role", "job_role__family", "manager")
        .filter(employee_id=employee_id)
        .first()
    )
    if person is None or not Person.objects.filter(person_scope_filter(scope), pk=person.pk).exists():
        raise AccessDenied(f"No person {employee_id} in your scope")
    return person


def _record(assignment: Assignment) -> AssignmentRecord:
    return AssignmentRecord(
        employee_id=assignment.person.employee_id,
        person_name=assignment.person.full_name,
        org_unit_code=assignment.org_unit.code,
        org_unit_name=assignment.org_unit.name,
        job_role_code=assignment.job_role.code if assignment.job_role else None,
        job_role_name=assignment.job_role.name if assignment.job_role else None,
        manager_employee_id=assignment.manager.employee_id if assignment.manager else None,
        manager_name=assignment.manager.full_name if assignment.manager else None,
        job_title=assignment.job_title,
        valid_from=assignment.valid_from,
        valid_to=assignment.valid_to,
    )


def person_assignment_as_of(*, employee_id: str, on: dt.date) -> AssignmentRecord | None:
    """Where was this person on this date? Org unit, role, manager and title, or None if not employed."""
    assignment = (
        Assignment.objects.select_related("person", "org_unit", "job_role", "manager")
        .filter(_as_of(on), person__employee_id=employee_id)
        .first()
    )
    return _record(assignment) if assignment else None


def person_assignment_history(*, employee_id: str) -> list[AssignmentRecord]:
    assignments = (
        Assignment.objects.select_related("person", "org_unit", "job_role", "manager")
        .filter(person__employee_id=employee_id)
        .order_by("-valid_from")
    )
    return [_record(a) for a in assignments]


def org_unit_members_as_of(*, org_unit_id: int, on: dt.date, include_descendants: bool = True) -> list[int]:
    """Ids of people assigned to the unit (and below) on a date: the population for impact analysis."""
    unit_ids = org_unit_descendant_ids(org_unit_ids={org_unit_id}) if include_descendants else {org_unit_id}
    return list(
        Assignment.objects.filter(_as_of(on), org_unit_id__in=unit_ids)
        .order_by()
        .values_list("person_id", flat=True)
        .distinct()
    )


def org_unit_tree(*, scope: PersonScope, on: dt.date) -> list[OrgUnitNode]:
    """Units the viewer may see, in tree order, with current headcount (people active on `on`)."""
    units = OrgUnit.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on)).order_by("path")
    if not scope.everyone:
        visible = set(scope.org_unit_ids)
        if scope.person_ids:
            visible |= set(
                Person.objects.filter(pk__in=scope.person_ids).values_list("org_unit_id", flat=True)
            )
        units = units.filter(pk__in=visible)
    counts = dict(
        Assignment.objects.filter(_as_of(on)).order_by().values_list("org_unit_id").annotate(n=Count("id"))
    )
    nodes = list(units)
    # Headcount rolls up: a department counts the people in its teams.
    rolled: dict[int, int] = defaultdict(int)
    all_paths = dict(OrgUnit.objects.values_list("id", "path"))
    for unit_id, count in counts.items():
        for ancestor in all_paths.get(unit_id, "").strip("/").split("/"):
            if ancestor:
                rolled[int(ancestor)] += count
    return [
        OrgUnitNode(
            id=unit.pk,
            code=unit.code,
            name=unit.name,
            kind=unit.kind,
            depth=unit.path.count("/") - 2,
            parent_id=unit.parent_id,
            cost_centre=unit.cost_centre,
            headcount=rolled.get(unit.pk, 0),
        )
        for unit in nodes
    ]


def org_unit_get(*, scope: PersonScope, code: str) -> OrgUnit:
    unit = OrgUnit.objects.select_related("parent").filter(code=code).first()
    if unit is None:
        raise AccessDenied(f"No org unit {code}")
    if scope.everyone or unit.pk in scope.org_unit_ids:
        return unit
    raise AccessDenied(f"Org unit {code} is outside your scope")


def org_unit_headcount_series(*, org_unit_id: int, months: list[dt.date]) -> list[tuple[dt.date, int]]:
    """Headcount of the unit and everything below it at each date (one query per date, bounded by 36)."""
    unit_ids = org_unit_descendant_ids(org_unit_ids={org_unit_id})
    base = Assignment.objects.filter(org_unit_id__in=unit_ids).order_by()
    return [(month, base.filter(_as_of(month)).values("person_id").distinct().count()) for month in months]


def org_unit_ancestors(*, org_unit: OrgUnit) -> list[OrgUnit]:
    ids = [int(part) for part in org_unit.path.strip("/").split("/") if part]
    by_id = OrgUnit.objects.in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def job_role_list() -> QuerySet[JobRole]:
    return JobRole.objects.select_related("family").order_by("family__name", "level", "name")


def location_list() -> list[str]:
    return list(
        Person.objects.exclude(location="").order_by("location").values_list("location", flat=True).distinct()
    )
