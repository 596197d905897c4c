"""Step: "Resolve first time", a coaching program rolled out in Customer Service team by team.

Four teams start a few months apart over the last year (a staggered rollout); agents in two other teams are
never coached and form the comparison group. The first wave was a pilot with a plan frozen at launch. The
program has a known true effect: coached agents close TRUE_EFFECT(e) more tickets in the e-th month after
their team started (growing with exposure), injected into their existing observations, so the impact page
should find a positive effect whose CI excludes zero.

Its xAPI activities are the "Customer empathy in support" course and the coaching provider's session log
(six weekly one-to-ones); the learning step, which runs after the programs, has each wave's agents take them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from tandem.core.scope import PersonScope
from tandem.demo.company import CS_AGENT_ROLES
from tandem.demo.context import DemoContext, Step, Tick, register_step
from tandem.demo.steps.lms import BY_SLUG
from tandem.impact.records import SelectionRule
from tandem.impact.selectors import program_participants_as_of
from tandem.impact.services import (
    cohort_create,
    comparison_group_explicit,
    cost_item_add,
    participants_add_rule,
    pilot_plan_freeze,
    pilot_plan_set,
    program_activity_add,
    program_create,
    program_metric_set,
    program_update,
)
from tandem.metrics.records import ObservationRow
from tandem.metrics.selectors import metric_get, metric_observation_list
from tandem.metrics.services import metric_observations_upsert
from tandem.org.selectors import job_role_id_for_code, org_unit_id_for_code

CODE = "resolve-first-time"
METRIC = "cx-tickets-closed"
WAVES: tuple[str, ...] = ("CS-UKI", "CS-PL", "CS-IBERIA", "CS-DACH")  # in rollout order
# Waves start in a month whose previous month (the estimator's base month) is outside the ticket seasons
# (peak in January-February and November, dips in December and August): L&D avoids launching into a peak.
CALM_BASE_MONTHS = frozenset({3, 4, 5, 6, 7, 9, 10})
COMPARISON_TEAMS = ("CS-NA", "CS-IN")
COACHING = "resolve-first-time-coaching"  # the coaching provider's sessions (an xAPI activity)
VALUE_PER_TICKET = Decimal("8.00")  # handling cost avoided per extra ticket closed by an agent


def true_effect(months_since_start: int) -> float:
    """Extra tickets a coached agent closes in the e-th month of their wave (e = 0 is the start month)."""
    return min(4.0 + 0.6 * months_since_start, 9.0)


def wave_starts(months: list[dt.date]) -> list[dt.date]:
    """Four start months over the last year, at least two months apart, each after a calm month."""
    picked: list[dt.date] = []
    for index in range(len(months) - 12, len(months)):
        month = months[index]
        if months[index - 1].month in CALM_BASE_MONTHS and (
            not picked or index - months.index(picked[-1]) >= 2
        ):
            picked.append(month)
    return picked[: len(WAVES)]


def catalogue_activities_add(*, program_id: int, slugs: Sequence[str]) -> None:
    """Link demo catalogue activities (tandem.demo.steps.lms) to a program, by their IRIs and names."""
    for slug in slugs:
        program_activity_add(
            actor_id=None, program_id=program_id, activity_iri=BY_SLUG[slug].iri, name=BY_SLUG[slug].name
        )


def create_programs(ctx: DemoContext, tick: Tick) -> dict[str, Any]:
    rng = ctx.rng("programs")
    starts = dict(zip(WAVES, wave_starts(ctx.months), strict=False))
    first = min(starts.values())
    # Experienced agents only (new joiners have onboarding instead): hired three months before the history
    # starts, so nobody is still ramping up in the months the estimate compares.
    back = ctx.start.year * 12 + ctx.start.month - 1 - 3
    hired_before = dt.date(back // 12, back % 12 + 1, 1)
    program = program_create(
        actor_id=None,
        code=CODE,
        name="Resolve first time",
        owner_employee_id=ctx.key_people.get("lead:CS"),
        description=(
            "Weekly one-to-one coaching on call handling and diagnosis, so agents resolve more contacts "
            "without a follow-up. Piloted in UK & Ireland, then rolled out team by team."
        ),
        initiative_code="customer-experience",
        audience="Experienced Customer Service agents (CSA-1 and CSA-2) in the teams of each wave",
        delivery_modes=["coaching", "virtual"],
        start_date=first,
        is_pilot=True,
    )
    catalogue_activities_add(program_id=program.pk, slugs=("customer-empathy", COACHING))
    before = [m for m in ctx.months if m < first][-3:]
    metric = metric_get(code=METRIC)
    baseline_values = list(
        metric_observation_list(metric=metric, scope=PersonScope.all(), since=before[0], until=before[-1])
        .filter(person__isnull=False)
        .values_list("value", flat=True)
    )
    baseline = round(sum(baseline_values) / max(1, len(baseline_values)), 1)
    program_metric_set(
        actor_id=None,
        program_id=program.pk,
        metric_code=METRIC,
        baseline=baseline,
        baseline_date=before[0],
        goal=round(baseline + 8, 1),
        value_per_unit=VALUE_PER_TICKET,
        is_primary=True,
    )
    program_metric_set(actor_id=None, program_id=program.pk, metric_code="cx-agent-csat")
    tick(1)
    roles = [job_role_id_for_code(code=code) for code in sorted(CS_AGENT_ROLES)]
    cohorts: list[tuple[int, str]] = []
    for number, team in enumerate(starts, start=1):
        cohort = cohort_create(
            actor_id=None, program_id=program.pk, name=f"Wave {number}: {team}", start_date=starts[team]
        )
        for role_id in roles:
            participants_add_rule(
                actor_id=None,
                cohort_id=cohort.pk,
                rule=SelectionRule(
                    org_unit_id=org_unit_id_for_code(code=team),
                    job_role_id=role_id,
                    hired_before=hired_before,
                ),
            )
        cohorts.append((cohort.pk, team))
    participants = program_participants_as_of(scope=PersonScope.all(), program_id=program.pk, on=ctx.today)
    taking_part = {p.employee_id for p in participants}
    for kind, description, amount, hours, rate in (
        ("vendor_fee", "Coaching provider: coach training and licences", Decimal("48000"), None, None),
        ("ld_hours", "L&D design, scheduling and evaluation", None, Decimal("320"), Decimal("65")),
        (
            "participant_time",
            "Agents' coaching time (6 hours each)",
            None,
            Decimal(6 * len(participants)),
            Decimal("28"),
        ),
        ("other", "Team leads' preparation and materials", Decimal("6500"), None, None),
    ):
        cost_item_add(
            actor_id=None,
            program_id=program.pk,
            kind=kind,
            description=description,
            amount=amount,
            hours=hours,
            rate=rate,
        )
    comparison = sorted(
        employee_id
        for employee_id, entry in ctx.roster[first].items()
        if entry.team in COMPARISON_TEAMS
        and entry.role in CS_AGENT_ROLES
        and ctx.people[employee_id].hire_date < hired_before
        and employee_id not in taking_part
    )
    # One explicit group per wave (the same agents), so each wave gets its own balance table.
    for cohort_id, _team in cohorts:
        comparison_group_explicit(
            actor_id=None, program_id=program.pk, employee_ids=comparison, cohort_id=cohort_id
        )
    tick(1)
    # The pilot (wave 1) was sized and its decision rule fixed before it started.
    pilot_plan_set(
        actor_id=None,
        program_id=program.pk,
        minimum_detectable_effect=8.0,
        duration_weeks=12,
        scale_threshold=2.0,
        stop_threshold=0.0,
        correlation=0.9,
        ratio=2.0,
    )
    plan = pilot_plan_freeze(actor_id=None, program_id=program.pk)
    # The demo is built today, but the plan was frozen when the pilot launched: date it so.
    plan.frozen_at = dt.datetime.combine(first - dt.timedelta(days=7), dt.time(10), tzinfo=dt.UTC)
    plan.save(update_fields=["frozen_at"])
    program_update(actor_id=None, program_id=program.pk, status="running")
    # The known true effect, added to the coached agents' existing values from their wave's start month.
    wave_start = {p.employee_id: p.cohort_start.replace(day=1) for p in participants}
    month_index = {month: i for i, month in enumerate(ctx.months)}
    response = {employee_id: max(0.3, rng.gauss(1.0, 0.25)) for employee_id in sorted(wave_start)}
    rows = []
    for employee_id, period, value in (
        metric_observation_list(metric=metric, scope=PersonScope.all(), since=first)
        .filter(person__employee_id__in=list(wave_start))
        .values_list("person__employee_id", "period_start", "value")
    ):
        start = wave_start[employee_id]
        if period < start:
            continue
        exposure = month_index[period] - month_index[start]
        lift = true_effect(exposure) * response[employee_id]
        rows.append(ObservationRow(METRIC, period, "person", employee_id, float(round(value + lift))))
    counts = metric_observations_upsert(rows=rows, actor_id=None, source="demo", audit=False)
    tick(1)
    return {
        "programs": 1,
        "cohorts": len(cohorts),
        "participants": len(participants),
        "comparison": len(comparison),
        "observations_lifted": counts["update"],
    }


register_step(
    Step("programs", "Programs and their impact", create_programs, lambda ctx: 3), after="initiatives"
)
