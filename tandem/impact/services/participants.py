"""Writes for cohorts and who takes part in them: by list, by rule, or drawn at random.

People are always evaluated as of the cohort start with effective-dated assignments, so a later move
does not change who was eligible or which stratum they were drawn from.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from tandem.audit.services import audit_record
from tandem.core.bulk import bulk_insert
from tandem.core.scope import DomainError
from tandem.impact import matching
from tandem.impact.models import (
    Cohort,
    ComparisonGroup,
    Participant,
)
from tandem.impact.records import ParticipantsAdded, RandomAssignment, RowError, SelectionRule
from tandem.impact.services._shared import (
    MAX_LISTED_IN_AUDIT,
    candidate_pool,
    cohort_for_write,
    new_seed,
    org_units_on,
    program_for_write,
    program_people,
    rule_person_ids,
)
from tandem.impact.services.comparison_groups import balance_store, group_audit, group_replace, members_insert
from tandem.org.models import Person


@transaction.atomic
def cohort_create(*, actor_id: int | None, program_id: int, name: str, start_date: dt.date) -> Cohort:
    program = program_for_write(program_id)
    if not name:
        raise DomainError("A cohort needs a name")
    if program.cohorts.filter(name=name).exists():
        raise DomainError(f"{program.name} already has a cohort called {name!r}")
    if program.end_date and start_date > program.end_date:
        raise DomainError("A cohort cannot start after the program ends")
    cohort = Cohort.objects.create(program=program, name=name, start_date=start_date)
    audit_record(
        actor_id=actor_id,
        action="create",
        entity_type="cohort",
        entity_id=cohort.pk,
        entity_label=f"{program.code} {name}",
        changes={"program": program.code, "name": name, "start_date": start_date.isoformat()},
    )
    return cohort


def _insert_participants(*, cohort: Cohort, person_ids: list[int], assigned_by: str) -> None:
    bulk_insert(
        objs=[
            Participant(
                program_id=cohort.program_id,
                cohort_id=cohort.pk,
                person_id=person_id,
                assigned_by=assigned_by,
                joined_on=cohort.start_date,
            )
            for person_id in person_ids
        ]
    )


def _audit_participants(
    *,
    actor_id: int | None,
    cohort: Cohort,
    how: str,
    person_ids: list[int],
    extra: dict[str, Any] | None = None,
) -> None:
    employee_ids = list(
        Person.objects.filter(pk__in=person_ids[:MAX_LISTED_IN_AUDIT])
        .order_by("employee_id")
        .values_list("employee_id", flat=True)
    )
    audit_record(
        actor_id=actor_id,
        action="update",
        entity_type="cohort",
        entity_id=cohort.pk,
        entity_label=f"{cohort.program.code} {cohort.name}",
        changes={
            "participants_added": len(person_ids),
            "by": how,
            "employee_ids": employee_ids,
            **(extra or {}),
        },
        summary=f"{len(person_ids)} participants added ({how})",
    )


@transaction.atomic
def participants_add_list(
    *, actor_id: int | None, cohort_id: int, employee_ids: list[str]
) -> ParticipantsAdded:
    """Add people by employee id. Valid rows are added; each invalid row is named with its reason."""
    cohort = cohort_for_write(cohort_id)
    wanted = [employee_id.strip() for employee_id in employee_ids]
    people = dict(
        Person.objects.filter(employee_id__in=[e for e in wanted if e]).values_list("employee_id", "id")
    )
    employed = set(org_units_on(people.values(), cohort.start_date))
    participants, comparison = program_people(cohort.program_id)
    cohort_names = dict(Cohort.objects.filter(program_id=cohort.program_id).values_list("id", "name"))
    errors: list[RowError] = []
    to_add: list[int] = []
    already = 0
    seen: set[str] = set()
    for row, employee_id in enumerate(wanted, start=1):
        person_id = people.get(employee_id)
        message = ""
        if not employee_id:
            message = "empty employee id"
        elif employee_id in seen:
            message = "listed twice"
        elif person_id is None:
            message = "unknown employee id"
        elif participants.get(person_id) == cohort.pk:
            already += 1
        elif person_id in participants:
            message = f"already a participant in cohort {cohort_names.get(participants[person_id], '?')}"
        elif person_id in comparison:
            message = "in the program's comparison group"
        elif person_id not in employed:
            message = f"not employed on {cohort.start_date.isoformat()}"
        else:
            to_add.append(person_id)
        seen.add(employee_id)
        if message:
            errors.append(RowError(row=row, employee_id=employee_id, message=message))
    _insert_participants(cohort=cohort, person_ids=to_add, assigned_by=Participant.AssignedBy.LIST)
    if to_add:
        _audit_participants(actor_id=actor_id, cohort=cohort, how="list", person_ids=to_add)
    return ParticipantsAdded(added=len(to_add), already=already, errors=tuple(errors))


def _rule_changes(rule: SelectionRule) -> dict[str, Any]:
    return {
        "org_unit_id": rule.org_unit_id,
        "job_role_id": rule.job_role_id,
        "location": rule.location,
        "hired_before": rule.hired_before.isoformat() if rule.hired_before else None,
    }


@transaction.atomic
def participants_add_rule(*, actor_id: int | None, cohort_id: int, rule: SelectionRule) -> ParticipantsAdded:
    """Add everyone matching the rule on the cohort start. People already in the program are skipped;
    people in its comparison group are named as errors."""
    cohort = cohort_for_write(cohort_id)
    eligible = rule_person_ids(rule=rule, on=cohort.start_date)
    participants, comparison = program_people(cohort.program_id)
    to_add = [p for p in eligible if p not in participants and p not in comparison]
    in_comparison = [p for p in eligible if p in comparison and p not in participants]
    codes = dict(Person.objects.filter(pk__in=in_comparison).values_list("id", "employee_id"))
    errors = tuple(
        RowError(row=0, employee_id=codes[p], message="in the program's comparison group")
        for p in in_comparison
    )
    _insert_participants(cohort=cohort, person_ids=to_add, assigned_by=Participant.AssignedBy.RULE)
    if to_add:
        _audit_participants(
            actor_id=actor_id,
            cohort=cohort,
            how="rule",
            person_ids=to_add,
            extra={"rule": _rule_changes(rule)},
        )
    return ParticipantsAdded(
        added=len(to_add), already=sum(1 for p in eligible if p in participants), errors=errors
    )


@transaction.atomic
def participants_assign_random(
    *,
    actor_id: int | None,
    cohort_id: int,
    treatment_share: float = 0.5,
    seed: int | None = None,
    rule: SelectionRule | None = None,
    employee_ids: list[str] | None = None,
) -> RandomAssignment:
    """Randomise an eligible pool: `treatment_share` of each org unit (as of the cohort start) joins the
    cohort, the rest becomes the cohort's randomised comparison group. Same seed, same split."""
    cohort = cohort_for_write(cohort_id)
    if not 0.0 < treatment_share < 1.0:
        raise DomainError("The treatment share must be between 0 and 1 (exclusive)")
    # Randomising again would drop the first draw's comparison group; a new draw needs a new cohort.
    if Participant.objects.filter(cohort=cohort).exists() or cohort.comparison_groups.exists():
        raise DomainError(f"Cohort {cohort.name} already has people; randomise into a new cohort")
    participants, comparison = program_people(cohort.program_id)
    pool = candidate_pool(
        on=cohort.start_date, rule=rule, employee_ids=employee_ids, exclude=set(participants) | comparison
    )
    if len(pool) < 2:
        raise DomainError("Fewer than two eligible people: nothing to randomise")
    units = org_units_on(pool, cohort.start_date)
    seed = new_seed() if seed is None else seed
    chosen, rest = matching.stratified_shuffle(
        strata=[units[p] for p in pool], share=treatment_share, seed=seed
    )
    treated = [pool[i] for i in chosen]
    control = [pool[i] for i in rest]
    _insert_participants(cohort=cohort, person_ids=treated, assigned_by=Participant.AssignedBy.RANDOM)
    _audit_participants(
        actor_id=actor_id,
        cohort=cohort,
        how="random",
        person_ids=treated,
        extra={"seed": seed, "share": treatment_share},
    )
    group = group_replace(
        actor_id=actor_id,
        cohort=cohort,
        program=cohort.program,
        method=ComparisonGroup.Method.RANDOMISED,
        as_of=cohort.start_date,
        seed=seed,
        strata=["org_unit"],
    )
    members_insert(group=group, person_ids=control)
    balance_store(group=group, cohort=cohort, comparison_ids=control)
    group_audit(actor_id=actor_id, group=group, members=len(control), extra={"share": treatment_share})
    return RandomAssignment(
        treated=len(treated), comparison=len(control), seed=seed, comparison_group_id=group.pk
    )
