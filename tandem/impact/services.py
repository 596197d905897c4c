"""Writes for programs, cohorts, participants, comparison groups, pilot plans and feedback.

Every service is keyword-only, runs in one transaction and writes an audit row. People are always
evaluated as of the cohort start with effective-dated assignments, so a later move does not change who
was eligible or which stratum they were drawn from.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from tandem.audit.services import audit_record
from tandem.core.bulk import bulk_insert
from tandem.core.scope import DomainError
from tandem.impact import matching
from tandem.impact.models import (
    Cohort,
    ComparisonGroup,
    ComparisonMember,
    CostItem,
    Feedback,
    Participant,
    PilotPlan,
    Program,
    ProgramActivity,
    ProgramMetric,
)
from tandem.impact.records import ParticipantsAdded, RandomAssignment, RowError, SelectionRule
from tandem.impact.stats import DidDesign, MeansDesign, StatsError, sample_size
from tandem.initiatives.models import Initiative
from tandem.metrics.models import MetricDefinition, MetricObservation
from tandem.org.models import Assignment, OrgUnit, Person
from tandem.org.periods import in_force
from tandem.org.selectors import org_unit_descendant_ids

BASELINE_MONTHS = 6
MAX_LISTED_IN_AUDIT = 50
# A few participants outside the caliper are normal in the tails of the score; beyond this share the
# matched participants stop standing for the cohort, and the balance table says so.
UNMATCHED_WARNING_SHARE = 0.05


class _Unset(enum.Enum):
    UNSET = 0


UNSET = _Unset.UNSET


def _new_seed() -> int:
    # Stored with the group, so a draw made without a seed can still be reproduced.
    return secrets.randbelow(2**31)


# --- programs -----------------------------------------------------------------------------------


def _person_id(employee_id: str | None) -> int | None:
    if not employee_id:
        return None
    person_id = Person.objects.filter(employee_id=employee_id).values_list("id", flat=True).first()
    if person_id is None:
        raise DomainError(f"Unknown employee id {employee_id!r}")
    return person_id


def _initiative_id(code: str | None) -> int | None:
    if not code:
        return None
    initiative_id = Initiative.objects.filter(code=code).values_list("id", flat=True).first()
    if initiative_id is None:
        raise DomainError(f"Unknown initiative {code!r}")
    return initiative_id


def _check_program_fields(
    *, start_date: dt.date | None, end_date: dt.date | None, status: str, delivery_modes: list[str]
) -> None:
    if start_date and end_date and end_date < start_date:
        raise DomainError("A program cannot end before it starts")
    if status not in Program.Status.values:
        raise DomainError(f"Unknown status {status!r}")
    unknown = [mode for mode in delivery_modes if mode not in Program.DeliveryMode.values]
    if unknown:
        raise DomainError(f"Unknown delivery mode {unknown[0]!r}")


def _program_values(program: Program) -> dict[str, Any]:
    return {
        "name": program.name,
        "description": program.description,
        "owner": program.owner_id,
        "initiative": program.initiative_id,
        "request_ref": program.request_ref,
        "audience": program.audience,
        "delivery_modes": list(program.delivery_modes),
        "start_date": program.start_date.isoformat() if program.start_date else None,
        "end_date": program.end_date.isoformat() if program.end_date else None,
        "status": program.status,
        "is_pilot": program.is_pilot,
    }


@transaction.atomic
def program_create(
    *,
    actor_id: int | None,
    code: str,
    name: str,
    owner_employee_id: str | None = None,
    description: str = "",
    initiative_code: str | None = None,
    request_ref: str = "",
    audience: str = "",
    delivery_modes: list[str] | None = None,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    status: str = Program.Status.DRAFT,
    is_pilot: bool = False,
) -> Program:
    modes = list(dict.fromkeys(delivery_modes or []))
    if not code or not name:
        raise DomainError("A program needs a code and a name")
    if Program.objects.filter(code=code).exists():
        raise DomainError(f"A program with code {code!r} already exists")
    _check_program_fields(start_date=start_date, end_date=end_date, status=status, delivery_modes=modes)
    program = Program.objects.create(
        code=code,
        name=name,
        description=description,
        owner_id=_person_id(owner_employee_id),
        initiative_id=_initiative_id(initiative_code),
        request_ref=request_ref,
        audience=audience,
        delivery_modes=modes,
        start_date=start_date,
        end_date=end_date,
        status=status,
        is_pilot=is_pilot,
    )
    audit_record(
        actor_id=actor_id,
        action="create",
        entity_type="program",
        entity_id=program.pk,
        entity_label=f"{code} {name}",
        changes={"code": code, **_program_values(program)},
    )
    return program


@transaction.atomic
def program_update(
    *,
    actor_id: int | None,
    program_id: int,
    name: str | _Unset = UNSET,
    description: str | _Unset = UNSET,
    owner_employee_id: str | _Unset | None = UNSET,
    initiative_code: str | _Unset | None = UNSET,
    request_ref: str | _Unset = UNSET,
    audience: str | _Unset = UNSET,
    delivery_modes: list[str] | _Unset = UNSET,
    start_date: dt.date | _Unset | None = UNSET,
    end_date: dt.date | _Unset | None = UNSET,
    status: str | _Unset = UNSET,
    is_pilot: bool | _Unset = UNSET,
) -> Program:
    """Change the given fields (UNSET leaves a field alone; None clears a nullable one)."""
    program = Program.objects.select_for_update().filter(pk=program_id).first()
    if program is None:
        raise DomainError(f"No program {program_id}")
    before = _program_values(program)
    if not isinstance(name, _Unset):
        if not name:
            raise DomainError("A program needs a name")
        program.name = name
    if not isinstance(description, _Unset):
        program.description = description
    if not isinstance(owner_employee_id, _Unset):
        program.owner_id = _person_id(owner_employee_id)
    if not isinstance(initiative_code, _Unset):
        program.initiative_id = _initiative_id(initiative_code)
    if not isinstance(request_ref, _Unset):
        program.request_ref = request_ref
    if not isinstance(audience, _Unset):
        program.audience = audience
    if not isinstance(delivery_modes, _Unset):
        program.delivery_modes = list(dict.fromkeys(delivery_modes))
    if not isinstance(start_date, _Unset):
        program.start_date = start_date
    if not isinstance(end_date, _Unset):
        program.end_date = end_date
    if not isinstance(status, _Unset):
        program.status = status
    if not isinstance(is_pilot, _Unset):
        program.is_pilot = is_pilot
    _check_program_fields(
        start_date=program.start_date,
        end_date=program.end_date,
        status=program.status,
        delivery_modes=program.delivery_modes,
    )
    after = _program_values(program)
    diffs = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if diffs:
        program.save()
        audit_record(
            actor_id=actor_id,
            action="update",
            entity_type="program",
            entity_id=program.pk,
            entity_label=f"{program.code} {program.name}",
            changes=diffs,
        )
    return program


def _program(program_id: int, *, lock: bool = False) -> Program:
    query = Program.objects.select_for_update() if lock else Program.objects.all()
    program = query.filter(pk=program_id).first()
    if program is None:
        raise DomainError(f"No program {program_id}")
    return program


@transaction.atomic
def program_metric_set(
    *,
    actor_id: int | None,
    program_id: int,
    metric_code: str,
    baseline: float | None = None,
    baseline_date: dt.date | None = None,
    goal: float | None = None,
    value_per_unit: Decimal | None = None,
    is_primary: bool = False,
) -> ProgramMetric:
    """Link a business metric to the program (or change the link). A new primary demotes the old one."""
    program = _program(program_id, lock=True)
    metric = MetricDefinition.objects.filter(code=metric_code).first()
    if metric is None:
        raise DomainError(f"Unknown metric {metric_code!r}")
    if value_per_unit is not None and value_per_unit < 0:
        raise DomainError("The value per unit cannot be negative")
    if is_primary:
        ProgramMetric.objects.filter(program=program, is_primary=True).exclude(metric=metric).update(
            is_primary=False
        )
    link, _ = ProgramMetric.objects.update_or_create(
        program=program,
        metric=metric,
        defaults={
            "baseline": baseline,
            "baseline_date": baseline_date,
            "goal": goal,
            "value_per_unit": value_per_unit,
            "is_primary": is_primary,
        },
    )
    audit_record(
        actor_id=actor_id,
        action="update",
        entity_type="program",
        entity_id=program.pk,
        entity_label=program.name,
        changes={
            "metric": metric_code,
            "baseline": baseline,
            "goal": goal,
            "value_per_unit": str(value_per_unit) if value_per_unit is not None else None,
            "primary": is_primary,
        },
    )
    return link


@transaction.atomic
def program_activity_add(
    *, actor_id: int | None, program_id: int, activity_iri: str = "", catalog_key: str = "", name: str = ""
) -> ProgramActivity:
    program = _program(program_id)
    if not activity_iri and not catalog_key:
        raise DomainError("An activity needs an xAPI activity IRI or a catalogue key")
    if activity_iri and ":" not in activity_iri:
        raise DomainError(f"{activity_iri!r} is not an IRI")
    activity = ProgramActivity.objects.create(
        program=program, activity_iri=activity_iri, catalog_key=catalog_key, name=name
    )
    audit_record(
        actor_id=actor_id,
        action="update",
        entity_type="program",
        entity_id=program.pk,
        entity_label=program.name,
        changes={"activity_added": activity_iri or catalog_key, "name": name},
    )
    return activity


@transaction.atomic
def cost_item_add(
    *,
    actor_id: int | None,
    program_id: int,
    kind: str,
    description: str = "",
    amount: Decimal | None = None,
    hours: Decimal | None = None,
    rate: Decimal | None = None,
) -> CostItem:
    """A cost line: either a fixed amount, or hours × rate (L&D or participant time)."""
    program = _program(program_id)
    if kind not in CostItem.Kind.values:
        raise DomainError(f"Unknown cost kind {kind!r}")
    by_time = hours is not None and rate is not None
    if (amount is None) != by_time or (amount is not None and (hours is not None or rate is not None)):
        raise DomainError("Give either an amount, or hours and a rate")
    if any(value is not None and value < 0 for value in (amount, hours, rate)):
        raise DomainError("Costs cannot be negative")
    item = CostItem.objects.create(
        program=program, kind=kind, description=description, amount=amount, hours=hours, rate=rate
    )
    audit_record(
        actor_id=actor_id,
        action="update",
        entity_type="program",
        entity_id=program.pk,
        entity_label=program.name,
        changes={"cost_added": kind, "description": description, "total": str(item.total)},
    )
    return item


# --- cohorts and participants ------------------------------------------------------------------


@transaction.atomic
def cohort_create(*, actor_id: int | None, program_id: int, name: str, start_date: dt.date) -> Cohort:
    program = _program(program_id)
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


def _cohort(cohort_id: int) -> Cohort:
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


def _org_units_on(person_ids: Iterable[int], on: dt.date) -> dict[int, int]:
    """person id -> org unit id on the date (people not employed then are absent)."""
    return dict(
        Assignment.objects.filter(in_force(on), person_id__in=list(person_ids))
        .order_by("person_id", "valid_from")
        .values_list("person_id", "org_unit_id")
    )


def _program_people(program_id: int) -> tuple[dict[int, int], set[int]]:
    """(participant person id -> cohort id, people in any of the program's comparison groups)."""
    participants = dict(
        Participant.objects.filter(program_id=program_id).order_by().values_list("person_id", "cohort_id")
    )
    comparison = set(
        ComparisonMember.objects.filter(group__program_id=program_id)
        .order_by()
        .values_list("person_id", flat=True)
    )
    return participants, comparison


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
    cohort = _cohort(cohort_id)
    wanted = [employee_id.strip() for employee_id in employee_ids]
    people = dict(
        Person.objects.filter(employee_id__in=[e for e in wanted if e]).values_list("employee_id", "id")
    )
    employed = set(_org_units_on(people.values(), cohort.start_date))
    participants, comparison = _program_people(cohort.program_id)
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
    cohort = _cohort(cohort_id)
    eligible = rule_person_ids(rule=rule, on=cohort.start_date)
    participants, comparison = _program_people(cohort.program_id)
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


def _pool(
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
        ids = sorted(set(_org_units_on(found.values(), on)))
    else:
        ids = sorted(
            set(Assignment.objects.filter(in_force(on)).order_by().values_list("person_id", flat=True))
        )
    return [p for p in ids if p not in exclude]


def _replace_group(
    *,
    actor_id: int | None,
    cohort: Cohort | None,
    program: Program,
    method: str,
    as_of: dt.date,
    seed: int | None = None,
    strata: list[str] | None = None,
    caliper: float | None = None,
) -> ComparisonGroup:
    """A new comparison group for the program (and cohort); the previous one for it is replaced."""
    previous = ComparisonGroup.objects.filter(program=program, cohort=cohort)
    replaced = list(previous.values_list("id", flat=True))
    if replaced:
        previous.delete()
    group = ComparisonGroup.objects.create(
        program=program,
        cohort=cohort,
        method=method,
        as_of=as_of,
        seed=seed,
        strata=strata or [],
        caliper=caliper,
    )
    if replaced:
        audit_record(
            actor_id=actor_id,
            action="delete",
            entity_type="comparison_group",
            entity_id=",".join(str(i) for i in replaced),
            entity_label=program.code,
            summary="replaced by a new comparison group",
        )
    return group


def _insert_members(
    *, group: ComparisonGroup, person_ids: list[int], matched: dict[int, tuple[int, float]] | None = None
) -> None:
    matched = matched or {}
    bulk_insert(
        objs=[
            ComparisonMember(
                group_id=group.pk,
                person_id=person_id,
                matched_to_id=matched[person_id][0] if person_id in matched else None,
                distance=matched[person_id][1] if person_id in matched else None,
            )
            for person_id in person_ids
        ]
    )


def _audit_group(
    *, actor_id: int | None, group: ComparisonGroup, members: int, extra: dict[str, Any]
) -> None:
    audit_record(
        actor_id=actor_id,
        action="create",
        entity_type="comparison_group",
        entity_id=group.pk,
        entity_label=group.program.code,
        changes={
            "method": group.method,
            "cohort": group.cohort.name if group.cohort else None,
            "as_of": group.as_of.isoformat(),
            "members": members,
            "seed": group.seed,
            **extra,
        },
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
    cohort = _cohort(cohort_id)
    if not 0.0 < treatment_share < 1.0:
        raise DomainError("The treatment share must be between 0 and 1 (exclusive)")
    # Randomising again would drop the first draw's comparison group; a new draw needs a new cohort.
    if Participant.objects.filter(cohort=cohort).exists() or cohort.comparison_groups.exists():
        raise DomainError(f"Cohort {cohort.name} already has people; randomise into a new cohort")
    participants, comparison = _program_people(cohort.program_id)
    pool = _pool(
        on=cohort.start_date, rule=rule, employee_ids=employee_ids, exclude=set(participants) | comparison
    )
    if len(pool) < 2:
        raise DomainError("Fewer than two eligible people: nothing to randomise")
    units = _org_units_on(pool, cohort.start_date)
    seed = _new_seed() if seed is None else seed
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
    group = _replace_group(
        actor_id=actor_id,
        cohort=cohort,
        program=cohort.program,
        method=ComparisonGroup.Method.RANDOMISED,
        as_of=cohort.start_date,
        seed=seed,
        strata=["org_unit"],
    )
    _insert_members(group=group, person_ids=control)
    _store_balance(group=group, cohort=cohort, comparison_ids=control)
    _audit_group(actor_id=actor_id, group=group, members=len(control), extra={"share": treatment_share})
    return RandomAssignment(
        treated=len(treated), comparison=len(control), seed=seed, comparison_group_id=group.pk
    )


@transaction.atomic
def comparison_group_explicit(
    *, actor_id: int | None, program_id: int, employee_ids: list[str], cohort_id: int | None = None
) -> ComparisonGroup:
    """A comparison group named person by person (for the cohort, or the whole program)."""
    program = _program(program_id)
    cohort = _cohort(cohort_id) if cohort_id is not None else None
    if cohort is not None and cohort.program_id != program.pk:
        raise DomainError(f"Cohort {cohort.name} belongs to another program")
    as_of = cohort.start_date if cohort else program.start_date or timezone.localdate()
    ids = list(dict.fromkeys(e.strip() for e in employee_ids if e.strip()))
    if not ids:
        raise DomainError("A comparison group needs at least one person")
    people = dict(Person.objects.filter(employee_id__in=ids).values_list("employee_id", "id"))
    unknown = [e for e in ids if e not in people]
    if unknown:
        raise DomainError(f"Unknown employee ids: {', '.join(unknown[:10])}")
    participants, _ = _program_people(program.pk)
    taking_part = [e for e in ids if people[e] in participants]
    if taking_part:
        raise DomainError(
            f"Already participants, cannot be in the comparison group: {', '.join(taking_part[:10])}"
        )
    group = _replace_group(
        actor_id=actor_id, cohort=cohort, program=program, method=ComparisonGroup.Method.EXPLICIT, as_of=as_of
    )
    person_ids = [people[e] for e in ids]
    _insert_members(group=group, person_ids=person_ids)
    if cohort is not None:
        _store_balance(group=group, cohort=cohort, comparison_ids=person_ids)
    _audit_group(actor_id=actor_id, group=group, members=len(person_ids), extra={})
    return group


def _cohort_participant_ids(cohort: Cohort) -> dict[int, int]:
    """person id -> participant id for the cohort."""
    return dict(
        Participant.objects.filter(cohort=cohort).order_by("person_id").values_list("person_id", "id")
    )


def _comparison_candidates(
    *, cohort: Cohort, rule: SelectionRule | None, employee_ids: list[str] | None
) -> tuple[dict[int, int], list[int]]:
    """The cohort's participants (person id -> participant id) and the people who may be compared with them (as of the cohort start)."""
    treated = _cohort_participant_ids(cohort)
    if not treated:
        raise DomainError(f"Cohort {cohort.name} has no participants yet")
    participants, comparison = _program_people(cohort.program_id)
    # People in another group of this program stay out, so one person is never compared twice.
    own = set(
        ComparisonMember.objects.filter(
            group__program_id=cohort.program_id, group__cohort=cohort
        ).values_list("person_id", flat=True)
    )
    pool = _pool(
        on=cohort.start_date,
        rule=rule,
        employee_ids=employee_ids,
        exclude=set(participants) | (comparison - own),
    )
    return treated, pool


@transaction.atomic
def comparison_group_randomise(
    *,
    actor_id: int | None,
    cohort_id: int,
    ratio: float = 1.0,
    seed: int | None = None,
    rule: SelectionRule | None = None,
    employee_ids: list[str] | None = None,
) -> ComparisonGroup:
    """Draw non-participants at random, `ratio` per participant within each org unit (as of the cohort
    start), so the comparison group has the participants' mix of units. Same seed, same draw."""
    cohort = _cohort(cohort_id)
    if not (math.isfinite(ratio) and ratio > 0):
        raise DomainError("The ratio must be positive")
    treated, pool = _comparison_candidates(cohort=cohort, rule=rule, employee_ids=employee_ids)
    units = _org_units_on([*pool, *treated], cohort.start_date)
    wanted: dict[int, int] = {}
    for person_id in treated:
        if person_id in units:
            wanted[units[person_id]] = wanted.get(units[person_id], 0) + 1
    wanted = {unit: math.ceil(count * ratio - 1e-9) for unit, count in wanted.items()}
    seed = _new_seed() if seed is None else seed
    chosen = matching.stratified_sample(pool_strata=[units[p] for p in pool], wanted=wanted, seed=seed)
    group = _replace_group(
        actor_id=actor_id,
        cohort=cohort,
        program=cohort.program,
        method=ComparisonGroup.Method.RANDOMISED,
        as_of=cohort.start_date,
        seed=seed,
        strata=["org_unit"],
    )
    members = [pool[i] for i in chosen]
    _insert_members(group=group, person_ids=members)
    _store_balance(group=group, cohort=cohort, comparison_ids=members)
    short = sum(wanted.values()) - len(members)
    _audit_group(actor_id=actor_id, group=group, members=len(members), extra={"ratio": ratio, "short": short})
    return group


# --- covariates and matching --------------------------------------------------------------------


@dataclass(frozen=True)
class _Covariates:
    person_ids: list[int]
    matrix: np.ndarray  # all columns, for the balance table
    names: list[str]
    regression: list[int]  # columns for the propensity model (one level of each category left out)
    exact: dict[str, list[Any]]  # department, location, role level per person, for exact matching


def _department_of(units: dict[int, tuple[str, str, str]], unit_id: int) -> int:
    """The department a unit belongs to (itself, or the nearest ancestor of kind department)."""
    path = [int(part) for part in units[unit_id][1].strip("/").split("/") if part]
    for ancestor in reversed(path):
        if ancestor in units and units[ancestor][0] == OrgUnit.Kind.DEPARTMENT:
            return ancestor
    return unit_id


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _covariates(
    *, person_ids: list[int], on: dt.date, metric_id: int | None, baseline_months: int = BASELINE_MONTHS
) -> _Covariates:
    """Department, role level, tenure, location and the metric's baseline level and trend, as of `on`.

    People not employed on `on` are left out. Missing role levels and baselines are filled with the
    mean and flagged with an indicator column, so they neither drop people nor look like zeros.
    """
    assignment_rows = list(
        Assignment.objects.filter(in_force(on), person_id__in=person_ids)
        .order_by("person_id", "valid_from")
        .values_list("person_id", "org_unit_id", "job_role__level", "person__hire_date", "person__location")
    )
    by_person = {row[0]: row[1:] for row in assignment_rows}
    ids = [p for p in person_ids if p in by_person]
    units = {
        unit_id: (kind, path, name)
        for unit_id, kind, path, name in OrgUnit.objects.order_by().values_list("id", "kind", "path", "name")
    }
    departments = [_department_of(units, by_person[p][0]) for p in ids]
    levels = [by_person[p][1] for p in ids]
    tenure = [max((on - by_person[p][2]).days, 0) / 365.25 for p in ids]
    locations = [by_person[p][3] or "(none)" for p in ids]

    level_values = [float(v) for v in levels if v is not None]
    level_mean = float(np.mean(level_values)) if level_values else 0.0
    columns: list[list[float]] = []
    names: list[str] = []
    regression: list[int] = []

    def add(name: str, values: list[float], *, in_model: bool = True) -> None:
        if in_model:
            regression.append(len(columns))
        columns.append(values)
        names.append(name)

    def add_category(label: str, values: list[Any], display: dict[Any, str]) -> None:
        levels_sorted = sorted(set(values), key=lambda v: display[v])
        for position, level in enumerate(levels_sorted):
            # The first level is the reference category: with a constant, all dummies are collinear.
            add(
                f"{label}: {display[level]}",
                [1.0 if v == level else 0.0 for v in values],
                in_model=position > 0,
            )

    add_category("Department", departments, {d: units[d][2] for d in set(departments)})
    add("Role level", [float(v) if v is not None else level_mean for v in levels])
    if any(v is None for v in levels):
        add("Role level missing", [1.0 if v is None else 0.0 for v in levels])
    add("Tenure (years)", tenure)
    add_category("Location", locations, {loc: loc for loc in set(locations)})

    if metric_id is not None:
        start = (on.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        for _ in range(baseline_months - 1):
            start = (start - dt.timedelta(days=1)).replace(day=1)
        series: dict[int, list[tuple[int, float]]] = {}
        for person_id, period, value in (
            MetricObservation.objects.filter(
                metric_id=metric_id, person_id__in=ids, period_start__gte=start, period_start__lt=on
            )
            .order_by()
            .values_list("person_id", "period_start", "value")
        ):
            series.setdefault(person_id, []).append((_month_index(period), value))
        level_by = {p: float(np.mean([v for _, v in obs])) for p, obs in series.items()}
        trend_by = {
            p: matching.linear_trend(
                months=np.array([m for m, _ in obs], dtype=float), values=np.array([v for _, v in obs])
            )
            for p, obs in series.items()
        }
        known_level = list(level_by.values())
        fill_level = float(np.mean(known_level)) if known_level else 0.0
        fill_trend = float(np.mean(list(trend_by.values()))) if trend_by else 0.0
        add("Baseline level", [level_by.get(p, fill_level) for p in ids])
        add("Baseline trend (per month)", [trend_by.get(p, fill_trend) for p in ids])
        if len(series) < len(ids):
            add("No baseline data", [0.0 if p in series else 1.0 for p in ids])
    matrix = np.array(columns, dtype=np.float64).T if columns else np.zeros((len(ids), 0))
    return _Covariates(
        person_ids=ids,
        matrix=matrix.reshape(len(ids), len(names)),
        names=names,
        regression=regression,
        exact={"department": departments, "location": locations, "role level": levels},
    )


EXACT_KEYS = ("department", "location", "role level")


def _exact_keys(data: _Covariates, exact_on: tuple[str, ...]) -> np.ndarray | None:
    """One integer per person for the combination of their exact-match categories."""
    if not exact_on:
        return None
    codes: dict[tuple[Any, ...], int] = {}
    keys = [
        codes.setdefault(tuple(data.exact[name][i] for name in exact_on), len(codes))
        for i in range(len(data.person_ids))
    ]
    return np.array(keys, dtype=np.int64)


def _balance_json(rows: list[matching.BalanceStat]) -> list[dict[str, Any]]:
    return [
        {
            "covariate": row.covariate,
            "mean_treated_before": row.mean_treated_before,
            "mean_comparison_before": row.mean_comparison_before,
            "mean_treated_after": row.mean_treated_after,
            "mean_comparison_after": row.mean_comparison_after,
            "smd_before": row.smd_before,
            "smd_after": row.smd_after,
        }
        for row in rows
    ]


def _primary_metric_id(program_id: int) -> int | None:
    return (
        ProgramMetric.objects.filter(program_id=program_id, is_primary=True)
        .values_list("metric_id", flat=True)
        .first()
    )


def _store_balance(*, group: ComparisonGroup, cohort: Cohort, comparison_ids: list[int]) -> None:
    """Balance of a drawn or listed group against the cohort (before = the groups as they are)."""
    treated_ids = list(_cohort_participant_ids(cohort))
    if not treated_ids or not comparison_ids:
        return
    data = _covariates(
        person_ids=[*treated_ids, *comparison_ids],
        on=cohort.start_date,
        metric_id=_primary_metric_id(cohort.program_id),
    )
    treated_set = set(treated_ids)
    flags = np.array([p in treated_set for p in data.person_ids], dtype=bool)
    if flags.all() or not flags.any():
        return
    rows = matching.balance_table(covariates=data.matrix, names=data.names, treated=flags)
    group.balance = _balance_json(rows)
    group.balance_warning = matching.is_imbalanced(rows)
    group.save(update_fields=["balance", "balance_warning"])


@transaction.atomic
def comparison_group_match(
    *,
    actor_id: int | None,
    cohort_id: int,
    metric_code: str | None = None,
    caliper: float | None = matching.DEFAULT_CALIPER,
    exact_on: tuple[str, ...] = ("department",),
    rule: SelectionRule | None = None,
    employee_ids: list[str] | None = None,
    baseline_months: int = BASELINE_MONTHS,
) -> ComparisonGroup:
    """1:1 propensity-score matching of the cohort's participants to non-participants.

    The score models taking part from department, role level, tenure, location and the metric's level
    and trend over the `baseline_months` before the cohort start (default metric: the program's primary
    one). People are only matched within the same `exact_on` categories ("department", "location",
    "role level"; default the department). Candidates come
    from the rule or list, or everyone employed on the start date. The balance
    table and its warning (any |SMD| > 0.1 after matching, or more than 5% of the participants left
    without a match inside the caliper) are stored on the group with the number left unmatched.
    """
    cohort = _cohort(cohort_id)
    unknown = [name for name in exact_on if name not in EXACT_KEYS]
    if unknown:
        raise DomainError(f"Cannot match exactly on {unknown[0]!r}")
    if caliper is not None and not (math.isfinite(caliper) and caliper > 0):
        raise DomainError("The caliper must be a positive number of standard deviations")
    metric_id: int | None
    if metric_code:
        metric_id = MetricDefinition.objects.filter(code=metric_code).values_list("id", flat=True).first()
        if metric_id is None:
            raise DomainError(f"Unknown metric {metric_code!r}")
    else:
        metric_id = _primary_metric_id(cohort.program_id)
    treated, pool = _comparison_candidates(cohort=cohort, rule=rule, employee_ids=employee_ids)
    if not pool:
        raise DomainError("No candidates to match with")
    data = _covariates(
        person_ids=[*treated, *pool],
        on=cohort.start_date,
        metric_id=metric_id,
        baseline_months=baseline_months,
    )
    flags = np.array([p in treated for p in data.person_ids], dtype=bool)
    if not flags.any() or flags.all():
        raise DomainError("Need participants and candidates employed on the cohort start to match")
    try:
        result = matching.nearest_neighbour_match(
            covariates=data.matrix[:, data.regression],
            treated=flags,
            caliper=caliper,
            exact=_exact_keys(data, exact_on),
        )
    except matching.MatchingError as error:
        raise DomainError(str(error)) from error
    treated_rows = [t for t, _, _ in result.pairs]
    control_rows = [c for _, c, _ in result.pairs]
    rows = matching.balance_table(
        covariates=data.matrix,
        names=data.names,
        treated=flags,
        matched_treated=treated_rows,
        matched_controls=control_rows,
    )
    not_employed = len(treated) - int(flags.sum())
    unmatched = len(result.unmatched_treated) + not_employed
    group = _replace_group(
        actor_id=actor_id,
        cohort=cohort,
        program=cohort.program,
        method=ComparisonGroup.Method.MATCHED,
        as_of=cohort.start_date,
        strata=[
            *[f"{name} (exact)" for name in exact_on],
            "department",
            "role level",
            "tenure",
            "location",
            *(["baseline level", "baseline trend"] if metric_id else []),
        ],
        caliper=caliper,
    )
    group.balance = _balance_json(rows)
    group.unmatched_participants = unmatched
    group.balance_warning = (
        matching.is_imbalanced(rows) or unmatched > UNMATCHED_WARNING_SHARE * len(treated) or not result.pairs
    )
    group.save(update_fields=["balance", "unmatched_participants", "balance_warning"])
    matched = {data.person_ids[c]: (treated[data.person_ids[t]], distance) for t, c, distance in result.pairs}
    _insert_members(group=group, person_ids=list(matched), matched=matched)
    _audit_group(
        actor_id=actor_id,
        group=group,
        members=len(matched),
        extra={
            "caliper": caliper,
            "unmatched": unmatched,
            "warning": group.balance_warning,
            "regularised": result.regularised,
        },
    )
    return group


# --- pilot plan and feedback -----------------------------------------------------------------------


def _estimated_sd(*, metric_id: int, before: dt.date) -> float:
    """SD of person-level values of the metric over the 12 months before `before`."""
    since = before.replace(year=before.year - 1)
    values = list(
        MetricObservation.objects.filter(
            metric_id=metric_id, person__isnull=False, period_start__gte=since, period_start__lt=before
        )
        .order_by()
        .values_list("value", flat=True)
    )
    if len(values) < 2 or float(np.std(values, ddof=1)) <= 0:
        raise DomainError("Not enough past values of the metric to estimate its spread; give the outcome SD")
    return float(np.std(values, ddof=1))


@transaction.atomic
def pilot_plan_set(
    *,
    actor_id: int | None,
    program_id: int,
    minimum_detectable_effect: float,
    duration_weeks: int,
    scale_threshold: float,
    stop_threshold: float,
    metric_code: str | None = None,
    outcome_sd: float | None = None,
    correlation: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
) -> PilotPlan:
    """Write the pilot plan and the sample size it needs (DiD design when a pre/post correlation is
    given, else a difference in means). Thresholds are in metric units, "better" positive.
    Raises DomainError once the plan is frozen."""
    program = _program(program_id, lock=True)
    existing = PilotPlan.objects.select_for_update().filter(program=program).first()
    if existing is not None and existing.frozen_at is not None:
        raise DomainError("The pilot plan was frozen at launch and cannot change")
    primary_id = _primary_metric_id(program.pk)
    metric = (
        MetricDefinition.objects.filter(code=metric_code).first()
        if metric_code
        else (MetricDefinition.objects.filter(pk=primary_id).first() if primary_id is not None else None)
    )
    if metric is None:
        raise DomainError(
            f"Unknown metric {metric_code!r}" if metric_code else "Choose the pilot's primary metric"
        )
    if duration_weeks <= 0:
        raise DomainError("The pilot must last at least a week")
    if minimum_detectable_effect <= 0:
        raise DomainError("The minimum detectable effect must be positive")
    if stop_threshold > scale_threshold:
        raise DomainError("The stop threshold cannot be above the scale threshold")
    sd = (
        outcome_sd
        if outcome_sd is not None
        else _estimated_sd(metric_id=metric.pk, before=program.start_date or timezone.localdate())
    )
    try:
        design: MeansDesign | DidDesign = (
            DidDesign(
                difference=minimum_detectable_effect, sd=sd, correlation=correlation, ratio=ratio, alpha=alpha
            )
            if correlation is not None
            else MeansDesign(difference=minimum_detectable_effect, sd=sd, ratio=ratio, alpha=alpha)
        )
        needed = sample_size(design=design, target_power=power)
    except StatsError as error:
        raise DomainError(f"Cannot size the pilot: {error}") from error
    values: dict[str, Any] = {
        "metric": metric,
        "design": PilotPlan.Design.DID if correlation is not None else PilotPlan.Design.MEANS,
        "minimum_detectable_effect": minimum_detectable_effect,
        "outcome_sd": sd,
        "correlation": correlation,
        "alpha": alpha,
        "power": power,
        "ratio": ratio,
        "required_per_group": needed.n_a,
        "required_comparison": needed.n_b,
        "achieved_power": needed.achieved_power,
        "duration_weeks": duration_weeks,
        "scale_threshold": scale_threshold,
        "stop_threshold": stop_threshold,
    }
    plan, created = PilotPlan.objects.update_or_create(program=program, defaults=values)
    audit_record(
        actor_id=actor_id,
        action="create" if created else "update",
        entity_type="pilot_plan",
        entity_id=plan.pk,
        entity_label=program.code,
        changes={key: (value.code if key == "metric" else value) for key, value in values.items()},
    )
    return plan


@transaction.atomic
def pilot_plan_freeze(*, actor_id: int | None, program_id: int) -> PilotPlan:
    """Fix the plan at launch so the decision rule cannot be moved after the results are in.
    A draft program becomes a pilot."""
    program = _program(program_id, lock=True)
    plan = PilotPlan.objects.select_for_update().filter(program=program).first()
    if plan is None:
        raise DomainError("Set the pilot plan before launching")
    if plan.frozen_at is not None:
        raise DomainError("The pilot plan is already frozen")
    plan.frozen_at = timezone.now()
    plan.frozen_by_id = actor_id
    plan.save(update_fields=["frozen_at", "frozen_by_id", "updated_at"])
    if program.status == Program.Status.DRAFT:
        program.status = Program.Status.PILOT
        program.save(update_fields=["status", "updated_at"])
    audit_record(
        actor_id=actor_id,
        action="update",
        entity_type="pilot_plan",
        entity_id=plan.pk,
        entity_label=program.code,
        changes={"frozen_at": plan.frozen_at.isoformat(), "program_status": program.status},
        summary="pilot plan frozen at launch",
    )
    return plan


@transaction.atomic
def feedback_publish(
    *, actor_id: int | None, program_id: int, you_said: str, we_did: str, cohort_id: int | None = None
) -> Feedback:
    """Publish a 'you said, we did' note; participants of the program see it."""
    program = _program(program_id)
    if not you_said.strip() or not we_did.strip():
        raise DomainError("Say both what participants said and what was done about it")
    cohort = _cohort(cohort_id) if cohort_id is not None else None
    if cohort is not None and cohort.program_id != program.pk:
        raise DomainError(f"Cohort {cohort.name} belongs to another program")
    feedback = Feedback.objects.create(
        program=program,
        cohort=cohort,
        you_said=you_said.strip(),
        we_did=we_did.strip(),
        published_at=timezone.now(),
        published_by_id=actor_id,
    )
    audit_record(
        actor_id=actor_id,
        action="create",
        entity_type="feedback",
        entity_id=feedback.pk,
        entity_label=program.code,
        changes={"you_said": feedback.you_said[:200], "we_did": feedback.we_did[:200]},
    )
    return feedback
