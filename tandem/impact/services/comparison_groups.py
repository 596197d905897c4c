"""Writes for comparison groups: named person by person, randomised, or matched on a propensity score.
Each group stores its balance table against the cohort, so the page can show it without recomputing.
"""

from __future__ import annotations

import datetime as dt
import math
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
    Program,
)
from tandem.impact.records import SelectionRule
from tandem.impact.services._shared import (
    candidate_pool,
    cohort_for_write,
    cohort_participant_ids,
    new_seed,
    org_units_on,
    primary_metric_id,
    program_for_write,
    program_people,
)
from tandem.impact.services.covariates import (
    BASELINE_MONTHS,
    EXACT_KEYS,
    covariates_as_of,
    exact_keys,
)
from tandem.metrics.models import MetricDefinition
from tandem.org.models import Person

# A few participants outside the caliper are normal in the tails of the score; beyond this share the
# matched participants stop standing for the cohort, and the balance table says so.
UNMATCHED_WARNING_SHARE = 0.05


def group_replace(
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


def members_insert(
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


def group_audit(*, actor_id: int | None, group: ComparisonGroup, members: int, extra: dict[str, Any]) -> None:
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


def balance_json(rows: list[matching.BalanceStat]) -> list[dict[str, Any]]:
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


def balance_store(*, group: ComparisonGroup, cohort: Cohort, comparison_ids: list[int]) -> None:
    """Balance of a drawn or listed group against the cohort (before = the groups as they are)."""
    treated_ids = list(cohort_participant_ids(cohort))
    if not treated_ids or not comparison_ids:
        return
    data = covariates_as_of(
        person_ids=[*treated_ids, *comparison_ids],
        on=cohort.start_date,
        metric_id=primary_metric_id(cohort.program_id),
    )
    treated_set = set(treated_ids)
    flags = np.array([p in treated_set for p in data.person_ids], dtype=bool)
    if flags.all() or not flags.any():
        return
    rows = matching.balance_table(covariates=data.matrix, names=data.names, treated=flags)
    group.balance = balance_json(rows)
    group.balance_warning = matching.is_imbalanced(rows)
    group.save(update_fields=["balance", "balance_warning"])


@transaction.atomic
def comparison_group_explicit(
    *, actor_id: int | None, program_id: int, employee_ids: list[str], cohort_id: int | None = None
) -> ComparisonGroup:
    """A comparison group named person by person (for the cohort, or the whole program)."""
    program = program_for_write(program_id)
    cohort = cohort_for_write(cohort_id) if cohort_id is not None else None
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
    participants, _ = program_people(program.pk)
    taking_part = [e for e in ids if people[e] in participants]
    if taking_part:
        raise DomainError(
            f"Already participants, cannot be in the comparison group: {', '.join(taking_part[:10])}"
        )
    group = group_replace(
        actor_id=actor_id, cohort=cohort, program=program, method=ComparisonGroup.Method.EXPLICIT, as_of=as_of
    )
    person_ids = [people[e] for e in ids]
    members_insert(group=group, person_ids=person_ids)
    if cohort is not None:
        balance_store(group=group, cohort=cohort, comparison_ids=person_ids)
    group_audit(actor_id=actor_id, group=group, members=len(person_ids), extra={})
    return group


def _comparison_candidates(
    *, cohort: Cohort, rule: SelectionRule | None, employee_ids: list[str] | None
) -> tuple[dict[int, int], list[int]]:
    """The cohort's participants (person id -> participant id) and the people who may be compared with them (as of the cohort start)."""
    treated = cohort_participant_ids(cohort)
    if not treated:
        raise DomainError(f"Cohort {cohort.name} has no participants yet")
    participants, comparison = program_people(cohort.program_id)
    # People in another group of this program stay out, so one person is never compared twice.
    own = set(
        ComparisonMember.objects.filter(
            group__program_id=cohort.program_id, group__cohort=cohort
        ).values_list("person_id", flat=True)
    )
    pool = candidate_pool(
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
    cohort = cohort_for_write(cohort_id)
    if not (math.isfinite(ratio) and ratio > 0):
        raise DomainError("The ratio must be positive")
    treated, pool = _comparison_candidates(cohort=cohort, rule=rule, employee_ids=employee_ids)
    units = org_units_on([*pool, *treated], cohort.start_date)
    wanted: dict[int, int] = {}
    for person_id in treated:
        if person_id in units:
            wanted[units[person_id]] = wanted.get(units[person_id], 0) + 1
    wanted = {unit: math.ceil(count * ratio - 1e-9) for unit, count in wanted.items()}
    seed = new_seed() if seed is None else seed
    chosen = matching.stratified_sample(pool_strata=[units[p] for p in pool], wanted=wanted, seed=seed)
    group = group_replace(
        actor_id=actor_id,
        cohort=cohort,
        program=cohort.program,
        method=ComparisonGroup.Method.RANDOMISED,
        as_of=cohort.start_date,
        seed=seed,
        strata=["org_unit"],
    )
    members = [pool[i] for i in chosen]
    members_insert(group=group, person_ids=members)
    balance_store(group=group, cohort=cohort, comparison_ids=members)
    short = sum(wanted.values()) - len(members)
    group_audit(actor_id=actor_id, group=group, members=len(members), extra={"ratio": ratio, "short": short})
    return group


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
    cohort = cohort_for_write(cohort_id)
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
        metric_id = primary_metric_id(cohort.program_id)
    treated, pool = _comparison_candidates(cohort=cohort, rule=rule, employee_ids=employee_ids)
    if not pool:
        raise DomainError("No candidates to match with")
    data = covariates_as_of(
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
            exact=exact_keys(data, exact_on),
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
    group = group_replace(
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
    group.balance = balance_json(rows)
    group.unmatched_participants = unmatched
    group.balance_warning = (
        matching.is_imbalanced(rows) or unmatched > UNMATCHED_WARNING_SHARE * len(treated) or not result.pairs
    )
    group.save(update_fields=["balance", "unmatched_participants", "balance_warning"])
    matched = {data.person_ids[c]: (treated[data.person_ids[t]], distance) for t, c, distance in result.pairs}
    members_insert(group=group, person_ids=list(matched), matched=matched)
    group_audit(
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
