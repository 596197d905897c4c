"""Comparison groups: named person by person, randomised, or matched on a propensity score.

Computing a group and saving it are apart: `comparison_group_propose` returns who would be in it and its
balance table without writing, and `comparison_group_save` recomputes the same spec (the seed is part of
it, so the people are the same) and stores it. A new group supersedes the cohort's previous one, which is
kept so a re-match can be compared with it; estimates read only the current group.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from tandem.audit.services import audit_record
from tandem.core.bulk import bulk_insert
from tandem.core.scope import DomainError
from tandem.impact import matching
from tandem.impact.models import (
    Cohort,
    ComparisonGroup,
    ComparisonMember,
    Participant,
    Program,
)
from tandem.impact.records import (
    BalanceRowView,
    ComparisonProposal,
    ComparisonSpec,
    ProposedMember,
    SelectionRule,
)
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
METHODS = tuple(ComparisonGroup.Method.values)
CURRENT = Q(group__superseded_at__isnull=True)  # members of current groups (the ones estimates use)


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
    """A new current comparison group for the program (and cohort); the previous one is superseded, kept."""
    # Ordered by id: the model's default ordering joins the cohort, and PostgreSQL cannot lock an outer join.
    previous = (
        ComparisonGroup.objects.select_for_update()
        .filter(program=program, cohort=cohort, superseded_at__isnull=True)
        .order_by("pk")
    )
    replaced = list(previous.values_list("id", flat=True))
    if replaced:
        ComparisonGroup.objects.filter(pk__in=replaced).update(superseded_at=timezone.now())
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
            action="update",
            entity_type="comparison_group",
            entity_id=",".join(str(i) for i in replaced),
            entity_label=program.code,
            changes={"superseded_by": group.pk},
            summary="superseded by a new comparison group (kept for comparison)",
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


def _row_views(rows: list[matching.BalanceStat]) -> tuple[BalanceRowView, ...]:
    return tuple(
        BalanceRowView(
            covariate=row.covariate,
            mean_treated_before=row.mean_treated_before,
            mean_comparison_before=row.mean_comparison_before,
            mean_treated_after=row.mean_treated_after,
            mean_comparison_after=row.mean_comparison_after,
            smd_before=row.smd_before,
            smd_after=row.smd_after,
        )
        for row in rows
    )


def _balance_rows(
    *, treated_ids: list[int], comparison_ids: list[int], on: dt.date, program_id: int
) -> list[matching.BalanceStat]:
    """Balance of a drawn or listed group against the participants (before = the groups as they are)."""
    if not treated_ids or not comparison_ids:
        return []
    data = covariates_as_of(
        person_ids=[*treated_ids, *comparison_ids], on=on, metric_id=primary_metric_id(program_id)
    )
    treated_set = set(treated_ids)
    flags = np.array([p in treated_set for p in data.person_ids], dtype=bool)
    if flags.all() or not flags.any():
        return []
    return matching.balance_table(covariates=data.matrix, names=data.names, treated=flags)


def balance_store(*, group: ComparisonGroup, cohort: Cohort, comparison_ids: list[int]) -> None:
    """Store the balance of a drawn or listed group against the cohort (participants' random draw)."""
    rows = _balance_rows(
        treated_ids=list(cohort_participant_ids(cohort)),
        comparison_ids=comparison_ids,
        on=cohort.start_date,
        program_id=cohort.program_id,
    )
    if rows:
        group.balance = balance_json(rows)
        group.balance_warning = matching.is_imbalanced(rows)
        group.save(update_fields=["balance", "balance_warning"])


class _Draft:
    """What a proposal computes, in the shape the save needs (internal: ids, raw balance rows)."""

    def __init__(
        self,
        *,
        spec: ComparisonSpec,
        program: Program,
        cohort: Cohort | None,
        as_of: dt.date,
        participants: dict[int, int],
        member_ids: list[int],
        rows: list[matching.BalanceStat],
        warning: bool,
        strata: list[str],
        matched: dict[int, tuple[int, float]] | None = None,
        unmatched: list[int] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.spec, self.program, self.cohort, self.as_of = spec, program, cohort, as_of
        self.participants, self.member_ids, self.rows, self.warning = participants, member_ids, rows, warning
        self.strata, self.matched = strata, matched or {}
        self.unmatched, self.extra = unmatched or [], extra or {}


def resolve_people(identifiers: tuple[str, ...] | list[str]) -> tuple[list[int], list[str]]:
    """Person ids for employee ids or work emails (case-insensitive), in the order given, and the unknown."""
    wanted = list(dict.fromkeys(item.strip() for item in identifiers if item.strip()))
    emails = [item.lower() for item in wanted if "@" in item]
    by_id = dict(
        Person.objects.filter(employee_id__in=[i for i in wanted if "@" not in i]).values_list(
            "employee_id", "id"
        )
    )
    by_email: dict[str, int] = {}
    if emails:
        for email, email_person_id in (
            Person.objects.annotate(email=Lower("work_email"))
            .filter(email__in=emails)
            .order_by("id")
            .values_list("email", "id")
        ):
            by_email.setdefault(email, email_person_id)
    found: list[int] = []
    unknown: list[str] = []
    for item in wanted:
        known = by_email.get(item.lower()) if "@" in item else by_id.get(item)
        if known is None:
            unknown.append(item)
        elif known not in found:
            found.append(known)
    return found, unknown


def _cohort_of(spec: ComparisonSpec, program: Program) -> Cohort | None:
    if spec.cohort_id is None:
        return None
    cohort = cohort_for_write(spec.cohort_id)
    if cohort.program_id != program.pk:
        raise DomainError(f"Cohort {cohort.name} belongs to another program")
    return cohort


def _draft_explicit(spec: ComparisonSpec, program: Program, cohort: Cohort | None) -> _Draft:
    person_ids, unknown = resolve_people(spec.people)
    if unknown:
        raise DomainError(f"Unknown employee ids or emails: {', '.join(unknown[:10])}")
    if not person_ids:
        raise DomainError("A comparison group needs at least one person")
    program_participants, _ = program_people(program.pk)
    taking_part = [p for p in person_ids if p in program_participants]
    if taking_part:
        named = Person.objects.filter(pk__in=taking_part[:10]).values_list("employee_id", flat=True)
        raise DomainError(
            f"Already participants, cannot be in the comparison group: {', '.join(sorted(named))}"
        )
    if cohort is not None:
        as_of = cohort.start_date
        participants = cohort_participant_ids(cohort)
    else:
        starts = list(program.cohorts.order_by("start_date").values_list("start_date", flat=True)[:1])
        as_of = program.start_date or (starts[0] if starts else timezone.localdate())
        participants = dict(
            Participant.objects.filter(program=program).order_by("person_id").values_list("person_id", "id")
        )
    rows = _balance_rows(
        treated_ids=list(participants), comparison_ids=person_ids, on=as_of, program_id=program.pk
    )
    return _Draft(
        spec=spec,
        program=program,
        cohort=cohort,
        as_of=as_of,
        participants=participants,
        member_ids=person_ids,
        rows=rows,
        warning=matching.is_imbalanced(rows) if rows else False,
        strata=[],
    )


def _comparison_candidates(
    *, cohort: Cohort, rule: SelectionRule | None, employee_ids: list[str] | None
) -> tuple[dict[int, int], list[int]]:
    """The cohort's participants (person id -> participant id) and the people who may be compared with them (as of the cohort start)."""
    treated = cohort_participant_ids(cohort)
    if not treated:
        raise DomainError(f"Cohort {cohort.name} has no participants yet")
    participants, comparison = program_people(cohort.program_id)
    # People in another current group of this program stay out, so one person is never compared twice;
    # the cohort's own current group is being replaced, so its members may be drawn again.
    own = set(
        ComparisonMember.objects.filter(CURRENT, group__cohort=cohort).values_list("person_id", flat=True)
    )
    pool = candidate_pool(
        on=cohort.start_date,
        rule=rule,
        employee_ids=employee_ids,
        exclude=set(participants) | (comparison - own),
    )
    return treated, pool


def _candidate_ids(spec: ComparisonSpec) -> list[str] | None:
    """The pasted candidates as employee ids (emails resolved), or None for everyone employed."""
    if not spec.people:
        return None
    person_ids, unknown = resolve_people(spec.people)
    if unknown:
        raise DomainError(f"Unknown employee ids or emails: {', '.join(unknown[:10])}")
    return list(
        Person.objects.filter(pk__in=person_ids).order_by("employee_id").values_list("employee_id", flat=True)
    )


def _draft_randomise(spec: ComparisonSpec, cohort: Cohort) -> _Draft:
    if not (math.isfinite(spec.ratio) and spec.ratio > 0):
        raise DomainError("The ratio must be positive")
    treated, pool = _comparison_candidates(cohort=cohort, rule=spec.rule, employee_ids=_candidate_ids(spec))
    units = org_units_on([*pool, *treated], cohort.start_date)
    wanted: dict[int, int] = {}
    for person_id in treated:
        if person_id in units:
            wanted[units[person_id]] = wanted.get(units[person_id], 0) + 1
    wanted = {unit: math.ceil(count * spec.ratio - 1e-9) for unit, count in wanted.items()}
    seed = new_seed() if spec.seed is None else spec.seed
    chosen = matching.stratified_sample(pool_strata=[units[p] for p in pool], wanted=wanted, seed=seed)
    members = [pool[i] for i in chosen]
    rows = _balance_rows(
        treated_ids=list(treated), comparison_ids=members, on=cohort.start_date, program_id=cohort.program_id
    )
    short = sum(wanted.values()) - len(members)
    return _Draft(
        spec=replace(spec, seed=seed),
        program=cohort.program,
        cohort=cohort,
        as_of=cohort.start_date,
        participants=treated,
        member_ids=members,
        rows=rows,
        warning=matching.is_imbalanced(rows) if rows else False,
        strata=["org_unit"],
        extra={"ratio": spec.ratio, "short": short},
    )


def _draft_match(spec: ComparisonSpec, cohort: Cohort, baseline_months: int) -> _Draft:
    unknown = [name for name in spec.exact_on if name not in EXACT_KEYS]
    if unknown:
        raise DomainError(f"Cannot match exactly on {unknown[0]!r}")
    caliper = spec.caliper
    if caliper is not None and not (math.isfinite(caliper) and caliper > 0):
        raise DomainError("The caliper must be a positive number of standard deviations")
    metric_id: int | None
    if spec.metric_code:
        metric_id = (
            MetricDefinition.objects.filter(code=spec.metric_code).values_list("id", flat=True).first()
        )
        if metric_id is None:
            raise DomainError(f"Unknown metric {spec.metric_code!r}")
    else:
        metric_id = primary_metric_id(cohort.program_id)
    treated, pool = _comparison_candidates(cohort=cohort, rule=spec.rule, employee_ids=_candidate_ids(spec))
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
            exact=exact_keys(data, spec.exact_on),
        )
    except matching.MatchingError as error:
        raise DomainError(str(error)) from error
    rows = matching.balance_table(
        covariates=data.matrix,
        names=data.names,
        treated=flags,
        matched_treated=[t for t, _, _ in result.pairs],
        matched_controls=[c for _, c, _ in result.pairs],
    )
    matched_people = {data.person_ids[t] for t, _, _ in result.pairs}
    unmatched = [p for p in treated if p not in matched_people]
    matched = {data.person_ids[c]: (treated[data.person_ids[t]], distance) for t, c, distance in result.pairs}
    warning = (
        matching.is_imbalanced(rows)
        or len(unmatched) > UNMATCHED_WARNING_SHARE * len(treated)
        or not result.pairs
    )
    return _Draft(
        spec=spec,
        program=cohort.program,
        cohort=cohort,
        as_of=cohort.start_date,
        participants=treated,
        member_ids=list(matched),
        rows=rows,
        warning=warning,
        strata=[
            *[f"{name} (exact)" for name in spec.exact_on],
            "department",
            "role level",
            "tenure",
            "location",
            *(["baseline level", "baseline trend"] if metric_id else []),
        ],
        matched=matched,
        unmatched=unmatched,
        extra={
            "caliper": caliper,
            "unmatched": len(unmatched),
            "warning": warning,
            "regularised": result.regularised,
        },
    )


def _draft(spec: ComparisonSpec, *, baseline_months: int = BASELINE_MONTHS) -> _Draft:
    if spec.method not in METHODS:
        raise DomainError(f"Choose how the group is formed: {', '.join(METHODS)}")
    program = program_for_write(spec.program_id)
    cohort = _cohort_of(spec, program)
    if spec.method == ComparisonGroup.Method.EXPLICIT:
        return _draft_explicit(spec, program, cohort)
    if cohort is None:
        raise DomainError("A randomised or matched group is drawn for a cohort: choose the cohort")
    if spec.method == ComparisonGroup.Method.RANDOMISED:
        return _draft_randomise(spec, cohort)
    return _draft_match(spec, cohort, baseline_months)


def comparison_group_propose(*, spec: ComparisonSpec) -> ComparisonProposal:
    """The group `spec` would make and its balance table, without writing anything. The proposal's spec
    carries the seed drawn, so `comparison_group_save(spec=proposal.spec)` saves these same people."""
    draft = _draft(spec)
    people = {
        pk: (employee_id, f"{first} {last}".strip())
        for pk, employee_id, first, last in Person.objects.filter(
            pk__in=[*draft.member_ids, *draft.unmatched]
        ).values_list("id", "employee_id", "first_name", "last_name")
    }
    return ComparisonProposal(
        spec=draft.spec,
        program_code=draft.program.code,
        cohort_name=draft.cohort.name if draft.cohort else None,
        as_of=draft.as_of,
        strata=tuple(draft.strata),
        participants=len(draft.participants),
        members=tuple(
            ProposedMember(
                person_id=p,
                employee_id=people[p][0],
                name=people[p][1],
                matched_to_participant_id=draft.matched[p][0] if p in draft.matched else None,
                distance=draft.matched[p][1] if p in draft.matched else None,
            )
            for p in draft.member_ids
        ),
        rows=_row_views(draft.rows),
        warning=draft.warning,
        unmatched=tuple(people[p][0] for p in draft.unmatched),
        short=int(draft.extra.get("short", 0)),
        regularised=bool(draft.extra.get("regularised", False)),
    )


@transaction.atomic
def comparison_group_save(
    *, actor_id: int | None, spec: ComparisonSpec, baseline_months: int = BASELINE_MONTHS
) -> ComparisonGroup:
    """Compute `spec` again (same seed, same people as its proposal) and store it as the current group
    of the cohort (or program); the previous group is kept, marked superseded."""
    program_for_write(spec.program_id, lock=True)
    draft = _draft(spec, baseline_months=baseline_months)
    group = group_replace(
        actor_id=actor_id,
        cohort=draft.cohort,
        program=draft.program,
        method=spec.method,
        as_of=draft.as_of,
        seed=draft.spec.seed,
        strata=draft.strata,
        caliper=spec.caliper if spec.method == ComparisonGroup.Method.MATCHED else None,
    )
    if draft.rows:
        group.balance = balance_json(draft.rows)
    group.balance_warning = draft.warning
    group.unmatched_participants = len(draft.unmatched)
    group.save(update_fields=["balance", "balance_warning", "unmatched_participants"])
    members_insert(group=group, person_ids=draft.member_ids, matched=draft.matched or None)
    group_audit(actor_id=actor_id, group=group, members=len(draft.member_ids), extra=draft.extra)
    return group


def comparison_group_explicit(
    *, actor_id: int | None, program_id: int, employee_ids: list[str], cohort_id: int | None = None
) -> ComparisonGroup:
    """A comparison group named person by person (employee ids or emails; for the cohort, or the program)."""
    return comparison_group_save(
        actor_id=actor_id,
        spec=ComparisonSpec(
            program_id=program_id, method="explicit", cohort_id=cohort_id, people=tuple(employee_ids)
        ),
    )


def _program_of_cohort(cohort_id: int) -> int:
    return cohort_for_write(cohort_id).program_id


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
    return comparison_group_save(
        actor_id=actor_id,
        spec=ComparisonSpec(
            program_id=_program_of_cohort(cohort_id),
            method="randomised",
            cohort_id=cohort_id,
            people=tuple(employee_ids or ()),
            ratio=ratio,
            seed=seed,
            rule=rule,
        ),
    )


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
    "role level"; default the department). Candidates come from the rule or list, or everyone employed on
    the start date. The balance table and its warning (any |SMD| > 0.1 after matching, or more than 5% of
    the participants left without a match inside the caliper) are stored on the group with the number
    left unmatched.
    """
    return comparison_group_save(
        actor_id=actor_id,
        spec=ComparisonSpec(
            program_id=_program_of_cohort(cohort_id),
            method="matched",
            cohort_id=cohort_id,
            people=tuple(employee_ids or ()),
            caliper=caliper,
            exact_on=tuple(exact_on),
            metric_code=metric_code,
            rule=rule,
        ),
        baseline_months=baseline_months,
    )
