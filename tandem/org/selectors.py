"""Reads for people and organisation. Every list takes the viewer's PersonScope."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Count, DateField, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from tandem.core.scope import AccessDenied, PersonScope
from tandem.org.models import Assignment, JobFamily, JobRole, OrgUnit, Person
from tandem.org.periods import in_force, overlapping_pairs
from tandem.org.records import AssignmentOverlap, AssignmentRecord, OrgUnitNode


def org_unit_descendant_ids(*, org_unit_ids: set[int] | frozenset[int]) -> set[int]:
    """The given units and every unit below them (one query)."""
    if not org_unit_ids:
        return set()
    paths = list(OrgUnit.objects.filter(pk__in=org_unit_ids).values_list("path", flat=True))
    if not paths:
        return set()  # unknown ids: an empty Q() below would match every unit
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
    """Everyone reporting to the manager on a date, directly or indirectly (from assignments).

    Walks down one level per query, so the cost follows the depth of the line, not the company size.
    """
    current = Assignment.objects.filter(in_force(on)).order_by()
    found: set[int] = set()
    frontier = {manager_id}
    while frontier:
        reports = set(current.filter(manager_id__in=frontier).values_list("person_id", flat=True))
        frontier = reports - found - {manager_id}
        found |= frontier
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
        .filter(in_force(on), person__employee_id=employee_id)
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


def _overlaps_another() -> Exists:
    """True for an assignment that shares at least one day with another assignment of the same person.

    Uses the (person, valid_from) index; portable SQL (no range types, no btree_gist extension).
    """
    return Exists(
        Assignment.objects.filter(
            person_id=OuterRef("person_id"),
            valid_from__lt=Coalesce(OuterRef("valid_to"), Value(dt.date.max), output_field=DateField()),
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=OuterRef("valid_from")))
        .exclude(pk=OuterRef("pk"))
    )


def assignment_overlap_pairs(*, person_ids: Collection[int]) -> set[tuple[int, int]]:
    """Pairs of assignment ids (lower first) of these people whose periods overlap: one query for any number of
    people. Empty when their histories are sound (the rule people_apply keeps)."""
    if not person_ids:
        return set()
    rows = (
        Assignment.objects.filter(_overlaps_another(), person_id__in_array=list(person_ids))
        .order_by()
        .values_list("person_id", "pk", "valid_from", "valid_to")
    )
    periods: dict[int, list[tuple[int, dt.date, dt.date | None]]] = defaultdict(list)
    for person_id, pk, valid_from, valid_to in rows:
        periods[person_id].append((pk, valid_from, valid_to))
    return {
        (min(a[0], b[0]), max(a[0], b[0]))
        for held in periods.values()
        for a, b in overlapping_pairs(held, lambda row: (row[1], row[2]))
    }


def assignment_overlap_list(*, scope: PersonScope) -> list[AssignmentOverlap]:
    """People whose assignments overlap, with each overlapping pair (one query): a data-quality list.

    An overlap counts a person in two places at once (headcounts, and reports that place xAPI statements in the
    team of the day). Imports refuse to write one; this finds any written before they did.
    """
    assignments = (
        Assignment.objects.filter(_overlaps_another(), person_scope_filter(scope, prefix="person__"))
        .select_related("person", "org_unit", "job_role", "manager")
        .order_by("person__last_name", "person__first_name", "person__employee_id", "valid_from", "pk")
    )
    by_person: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in assignments:
        by_person[assignment.person_id].append(assignment)
    return [
        AssignmentOverlap(
            employee_id=first.person.employee_id,
            person_name=first.person.full_name,
            first=_record(first),
            second=_record(second),
        )
        for held in by_person.values()
        for first, second in overlapping_pairs(held, lambda a: (a.valid_from, a.valid_to))
    ]


def org_unit_members_as_of(*, org_unit_id: int, on: dt.date, include_descendants: bool = True) -> list[int]:
    """Ids of people assigned to the unit (and below) on a date: the population for impact analysis."""
    unit_ids = org_unit_descendant_ids(org_unit_ids={org_unit_id}) if include_descendants else {org_unit_id}
    return list(
        Assignment.objects.filter(in_force(on), org_unit_id__in=unit_ids)
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
        Assignment.objects.filter(in_force(on)).order_by().values_list("org_unit_id").annotate(n=Count("id"))
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
    return [(month, base.filter(in_force(month)).values("person_id").distinct().count()) for month in months]


def org_unit_ancestors(*, org_unit: OrgUnit) -> list[OrgUnit]:
    ids = [int(part) for part in org_unit.path.strip("/").split("/") if part]
    by_id = OrgUnit.objects.in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def org_unit_choices(*, include_closed: bool = False) -> list[tuple[str, str]]:
    """(code, indented name) of the org units in tree order, for the edit forms' pickers."""
    units = OrgUnit.objects.order_by("path")
    if not include_closed:
        units = units.filter(valid_to__isnull=True)
    return [
        (code, "\u00a0\u00a0" * (path.count("/") - 2) + f"{name} ({code})")
        for code, name, path in units.values_list("code", "name", "path")
    ]


def job_family_list() -> QuerySet[JobFamily]:
    return JobFamily.objects.order_by("name")


def job_family_get(*, code: str) -> JobFamily:
    family = JobFamily.objects.filter(code=code).first()
    if family is None:
        raise AccessDenied(f"No job family {code}")
    return family


def job_role_get(*, code: str) -> JobRole:
    role = JobRole.objects.select_related("family").filter(code=code).first()
    if role is None:
        raise AccessDenied(f"No job role {code}")
    return role


def job_role_list() -> QuerySet[JobRole]:
    return JobRole.objects.select_related("family").order_by("family__name", "level", "name")


def location_list() -> list[str]:
    return list(
        Person.objects.exclude(location="").order_by("location").values_list("location", flat=True).distinct()
    )


# --- added for the people/org pages, home and API ------------------------------------------------


@dataclass(frozen=True)
class PeopleHeadline:
    active: int
    hires: int
    leavers: int


def people_headline(*, scope: PersonScope, since: dt.date, on: dt.date) -> PeopleHeadline:
    """Active headcount on `on`, hires and leavers from `since` to `on`, within the scope (one query)."""
    counts = Person.objects.filter(person_scope_filter(scope)).aggregate(
        active=Count("id", filter=Q(status__in=[Person.Status.ACTIVE, Person.Status.ON_LEAVE])),
        hires=Count("id", filter=Q(hire_date__gte=since, hire_date__lte=on)),
        leavers=Count("id", filter=Q(termination_date__gte=since, termination_date__lte=on)),
    )
    return PeopleHeadline(active=counts["active"], hires=counts["hires"], leavers=counts["leavers"])


def headcount_series(
    *, months: list[dt.date], org_unit_ids: set[int] | None = None
) -> list[tuple[dt.date, int]]:
    """People assigned (to the units, or anywhere when None) on each date, in one query.

    Pass descendant-expanded ids (org_unit_descendant_ids) for "this unit and everything below it".
    """
    if not months:
        return []
    base = Assignment.objects.order_by()
    if org_unit_ids is not None:
        base = base.filter(org_unit_id__in=org_unit_ids)
    counts = base.aggregate(
        **{
            f"m{i}": Count("person_id", distinct=True, filter=in_force(month))
            for i, month in enumerate(months)
        }
    )
    return [(month, counts[f"m{i}"] or 0) for i, month in enumerate(months)]


def people_flow_by_month(
    *, months: list[dt.date], org_unit_ids: set[int] | None = None
) -> list[tuple[dt.date, int, int]]:
    """(month, hires, leavers) for each month start; for units, by where the person sat at that moment."""
    if not months:
        return []
    start = months[0]
    end = (months[-1].replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    hires: dict[dt.date, int] = defaultdict(int)
    leavers: dict[dt.date, int] = defaultdict(int)
    if org_unit_ids is None:
        hire_dates = Person.objects.filter(hire_date__gte=start, hire_date__lt=end).values_list(
            "hire_date", flat=True
        )
        leave_dates = Person.objects.filter(
            termination_date__gte=start, termination_date__lt=end
        ).values_list("termination_date", flat=True)
        for day in hire_dates.order_by():
            hires[day.replace(day=1)] += 1
        for left in leave_dates.order_by():
            if left:
                leavers[left.replace(day=1)] += 1
    else:
        in_units = Assignment.objects.filter(org_unit_id__in=org_unit_ids).order_by()
        # The assignment that starts on the hire date is where the person was hired into.
        for _person_id, day in (
            in_units.filter(valid_from=F("person__hire_date"), valid_from__gte=start, valid_from__lt=end)
            .values_list("person_id", "valid_from")
            .distinct()
        ):
            hires[day.replace(day=1)] += 1
        # The assignment covering the termination date is where the person left from.
        for _person_id, leave_day in (
            in_units.filter(
                person__termination_date__gte=start,
                person__termination_date__lt=end,
                valid_from__lte=F("person__termination_date"),
            )
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=F("person__termination_date")))
            .values_list("person_id", "person__termination_date")
            .distinct()
        ):
            if leave_day:
                leavers[leave_day.replace(day=1)] += 1
    return [(month, hires.get(month, 0), leavers.get(month, 0)) for month in months]


def person_direct_reports(*, scope: PersonScope, person_id: int) -> QuerySet[Person]:
    """Current direct reports (anyone not terminated) that the scope may see."""
    return (
        Person.objects.filter(person_scope_filter(scope), manager_id=person_id)
        .exclude(status=Person.Status.TERMINATED)
        .select_related("org_unit", "job_role")
        .order_by("last_name", "first_name", "employee_id")
    )


def org_unit_detail_allowed(*, scope: PersonScope, org_unit_id: int) -> bool:
    """Whether org_unit_get would let this scope open the unit's page (for links in lists)."""
    return scope.everyone or org_unit_id in scope.org_unit_ids


def org_unit_id_for_code(*, code: str) -> int | None:
    return OrgUnit.objects.filter(code=code).values_list("id", flat=True).first()


def person_own_record(*, person_id: int) -> Person | None:
    """A viewer's own person record (everyone may see their own)."""
    return (
        Person.objects.select_related("org_unit", "job_role", "job_role__family", "manager")
        .filter(pk=person_id)
        .first()
    )


def job_role_id_for_code(*, code: str) -> int | None:
    return JobRole.objects.filter(code=code).values_list("id", flat=True).first()
