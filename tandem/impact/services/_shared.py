"""Lookups the program, participant, comparison-group and pilot services share: the locked row a write
starts from, and who was employed (and where) on a cohort's start date.
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from collections.abc import Iterable

from tandem.core.scope import DomainError
from tandem.impact.models import (
    Cohort,
    ComparisonMember,
    Participant,
    Program,
    ProgramMetric,
)
from tandem.impact.records import SelectionRule
from tandem.initiatives.models import Initiative
from tandem.org.models import Assignment, Person
from tandem.org.periods import in_force
from tandem.org.selectors import org_unit_descendant_ids

MAX_LISTED_IN_AUDIT = 50


class Unset(enum.Enum):
    UNSET = 0


UNSET = Unset.UNSET


def new_seed() -> int:
    # Stored with the group, so a draw made without a seed can still be reproduced.
    return secrets.randbelow(2**31)


def person_id_of(employee_id: str | None) -> int | None:
    if not employee_id:
        return None
    person_id = Person.objects.filter(employee_id=employee_id).values_list("id", flat=True).first()
    if person_id is None:
        raise DomainError(f"Unknown employee id {employee_id!r}")
    return person_id


def initiative_id_of(code: str | None) -> int | None:
    if not code:
        return None
    initiative_id = Initiative.objects.filter(code=code).values_list("id", flat=True).first()
    if initiative_id is None:
        raise DomainError(f"Unknown initiative {code!r}")
    return initiative_id


def program_for_write(program_id: int, *, lock: bool = False) -> Program:
    query = Program.objects.select_for_update() if lock else Program.objects.all()
    program = query.filter(pk=program_id).first()
    if program is None:
        raise DomainError(f"No program {program_id}")
    return program


def cohort_for_write(cohort_id: int) -> Cohort:
    cohort = Cohort.objects.select_related("program").filter(pk=cohort_id).first()
    if cohort is None:
        raise DomainError(f"No cohort {cohort_id}")
    return cohort


def rule_person_ids(*, rule: SelectionRule, on: dt.date) -> list[int]:
    """People employed on `on` who match the rule, judged by the assignment valid that day."""
    if rule.is_empty:
        raise DomainError("A rule needs at least one condition")
    assignments = Assignment.objects.filter(in_force(on)).order_by()
    if rule.org_unit_id is not None:
        unit_ids = org_unit_descendant_ids(org_unit_ids={rule.org_unit_id})
        if not unit_ids:
            raise DomainError(f"No org unit {rule.org_unit_id}")
        assignments = assignments.filter(org_unit_id__in=unit_ids)
    if rule.job_role_id is not None:
        assignments = assignments.filter(job_role_id=rule.job_role_id)
    if rule.location:
        assignments = assignments.filter(person__location=rule.location)
    if rule.hired_before is not None:
        assignments = assignments.filter(person__hire_date__lt=rule.hired_before)
    return sorted(set(assignments.values_list("person_id", flat=True)))


def org_units_on(person_ids: Iterable[int], on: dt.date) -> dict[int, int]:
    """person id -> org unit id on the date (people not employed then are absent)."""
    return dict(
        Assignment.objects.filter(in_force(on), person_id__in=list(person_ids))
        .order_by("person_id", "valid_from")
        .values_list("person_id", "org_unit_id")
    )


def program_people(program_id: int) -> tuple[dict[int, int], set[int]]:
    """(participant person id -> cohort id, people in the program's current comparison groups)."""
    participants = dict(
        Participant.objects.filter(program_id=program_id).order_by().values_list("person_id", "cohort_id")
    )
    comparison = set(
        ComparisonMember.objects.filter(group__program_id=program_id, group__superseded_at__isnull=True)
        .order_by()
        .values_list("person_id", flat=True)
    )
    return participants, comparison


def cohort_participant_ids(cohort: Cohort) -> dict[int, int]:
    """person id -> participant id for the cohort."""
    return dict(
        Participant.objects.filter(cohort=cohort).order_by("person_id").values_list("person_id", "id")
    )


def candidate_pool(
    *, on: dt.date, rule: SelectionRule | None, employee_ids: list[str] | None, exclude: set[int]
) -> list[int]:
    """Candidate person ids employed on `on`: from a rule, a list, or (neither) everyone."""
    if rule is not None and employee_ids is not None:
        raise DomainError("Give a rule or a list of people, not both")
    if rule is not None:
        ids = rule_person_ids(rule=rule, on=on)
    elif employee_ids is not None:
        found = dict(Person.objects.filter(employee_id__in=employee_ids).values_list("employee_id", "id"))
        unknown = [e for e in employee_ids if e not in found]
        if unknown:
            raise DomainError(f"Unknown employee ids: {', '.join(unknown[:10])}")
        ids = sorted(set(org_units_on(found.values(), on)))
    else:
        ids = sorted(
            set(Assignment.objects.filter(in_force(on)).order_by().values_list("person_id", flat=True))
        )
    return [p for p in ids if p not in exclude]


def primary_metric_id(program_id: int) -> int | None:
    return (
        ProgramMetric.objects.filter(program_id=program_id, is_primary=True)
        .values_list("metric_id", flat=True)
        .first()
    )
