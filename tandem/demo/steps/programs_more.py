"""Step: two more programs, so the demo shows the other two things Tandem can say about impact.

* "Social selling pilot" (Sales): a randomised pilot. Account executives were split at random within each
  team, the plan (minimum effect, power, decision rule) was frozen before launch, and the program has no
  effect at all on the meetings reps book. Tandem must say the effect is not distinguishable from zero and
  the frozen rule must say "stop".
* "Cloud fundamentals" (Technology): started this month. There is operational data (learning activities,
  costs) but no value of its business metric since the start yet, so Tandem must say that business impact
  is not measurable yet, and why, instead of showing a number.

`program_codes()` lists the demo's programs in order (staggered, randomised pilot, operational only) for
steps that add survey answers and case studies to them.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from tandem.demo.company import SALES_REP_ROLES, SALES_REP_TEAMS
from tandem.demo.context import DemoContext, Step, Tick, register_step
from tandem.demo.steps import programs as staggered
from tandem.impact.estimates import program_impact_estimate
from tandem.impact.records import SelectionRule
from tandem.impact.selectors import pilot_plan_get
from tandem.impact.services import (
    cohort_create,
    comparison_group_explicit,
    cost_item_add,
    participants_add_rule,
    participants_assign_random,
    pilot_plan_freeze,
    pilot_plan_set,
    program_create,
    program_metric_set,
    program_update,
)
from tandem.metrics.records import ObservationRow
from tandem.metrics.services import metric_define, metric_observations_upsert
from tandem.org.selectors import org_unit_id_for_code

PILOT_CODE = "social-selling-pilot"
PILOT_METRIC = "sales-meetings-booked"
PILOT_MONTHS_AGO = 7  # the pilot started this many months before this month
PILOT_MDE = 3.0  # meetings per rep and month worth finding
PILOT_SCALE = 1.5  # scale when the CI's lower end reaches this
PILOT_STOP = 1.0  # stop when the estimate is below this
VALUE_PER_MEETING = Decimal("120.00")  # expected pipeline margin of one more qualified meeting
# Redraws of the post-start noise allowed to land on the typical null result (see _meetings_after_start).
PILOT_DRAWS = 12

CLOUD_CODE = "cloud-fundamentals"
CLOUD_METRIC = "eng-changes-deployed"
CLOUD_TEAMS = ("TECH-PLAT", "TECH-APP")
CLOUD_COMPARISON_TEAMS = ("TECH-DATA", "TECH-SEC")


def program_codes() -> tuple[str, str, str]:
    """The demo programs: staggered with an effect, randomised pilot without one, operational data only."""
    return (staggered.CODE, PILOT_CODE, CLOUD_CODE)


def _first_monday(month: dt.date) -> dt.date:
    return month + dt.timedelta(days=(7 - month.weekday()) % 7)


def _this_month_start(ctx: DemoContext) -> dt.date:
    """The first Monday of this month, else the 1st, whichever is three days past; early in a month the
    Monday before that. Learning is generated up to yesterday, so a start today (the first Monday, or the 1st
    when the demo is built on it) would leave the program without a single learning record."""
    settle = ctx.today - dt.timedelta(days=3)
    first = ctx.today.replace(day=1)
    for start in (_first_monday(first), first):
        if start <= settle:
            return start
    return settle - dt.timedelta(days=settle.weekday())


def _employed_on(ctx: DemoContext, employee_id: str, day: dt.date) -> bool:
    person = ctx.people[employee_id]
    return person.hire_date <= day and (person.termination_date is None or person.termination_date > day)


class _Meetings:
    """Discovery meetings booked per account executive and month: skill x ramp-up x season + noise.

    Quarter-end months book fewer meetings (reps are closing), January more (new budgets).
    """

    def __init__(self, ctx: DemoContext, rng: random.Random) -> None:
        self.ctx = ctx
        self.skill: dict[str, float] = {}
        for month in ctx.months:
            for employee_id, entry in sorted(ctx.roster[month].items()):
                if entry.team in SALES_REP_TEAMS and entry.role in SALES_REP_ROLES:
                    self.skill.setdefault(employee_id, max(0.5, rng.gauss(1.0, 0.2)))

    def expected(self, employee_id: str, month: dt.date) -> float:
        entry = self.ctx.roster[month][employee_id]
        tenure_months = (month - self.ctx.people[employee_id].hire_date).days / 30.4
        ramp = 1.0 if tenure_months >= 3 else max(0.3, tenure_months / 3)
        season = {1: 1.12, 3: 0.9, 6: 0.9, 9: 0.9, 12: 0.8}.get(month.month, 1.0)
        senior = 0.9 if entry.role == "SAE" else 1.0  # bigger deals, fewer meetings
        share = min(1.0, entry.days_worked / 30)
        return 16.0 * self.skill[employee_id] * ramp * season * senior * share

    def rows(self, rng: random.Random, months: list[dt.date]) -> list[ObservationRow]:
        rows = []
        for month in months:
            for employee_id, entry in sorted(self.ctx.roster[month].items()):
                if entry.team in SALES_REP_TEAMS and entry.role in SALES_REP_ROLES:
                    value = max(0.0, round(self.expected(employee_id, month) + rng.gauss(0, 2.5)))
                    rows.append(ObservationRow(PILOT_METRIC, month, "person", employee_id, float(value)))
        return rows


def _create_sales_pilot(ctx: DemoContext) -> dict[str, Any]:
    rng = ctx.rng("programs-pilot")
    metric_define(
        actor_id=None,
        code=PILOT_METRIC,
        name="Discovery meetings booked",
        unit="meetings",
        grain="person",
        direction="up",
        decimals=0,
        description="Qualified discovery meetings an account executive booked in the month (from the CRM).",
    )
    meetings = _Meetings(ctx, rng)
    metric_observations_upsert(rows=meetings.rows(rng, ctx.months), actor_id=None, source="demo", audit=False)
    month = ctx.months[-PILOT_MONTHS_AGO]
    start = _first_monday(month)
    program = program_create(
        actor_id=None,
        code=PILOT_CODE,
        name="Social selling pilot",
        owner_employee_id=ctx.key_people.get("lead:SALES"),
        description=(
            "Eight weeks of social selling: building a professional network and starting conversations "
            "online before the first call. Piloted as a randomised trial before any roll-out."
        ),
        initiative_code="sales-effectiveness",
        audience="Account executives in Enterprise and Mid-Market Sales, half of each team at random",
        delivery_modes=["elearning", "virtual"],
        start_date=start,
        is_pilot=True,
    )
    staggered.catalogue_activities_add(
        program_id=program.pk, slugs=("consultative-selling", "tip-objections")
    )
    program_metric_set(
        actor_id=None,
        program_id=program.pk,
        metric_code=PILOT_METRIC,
        value_per_unit=VALUE_PER_MEETING,
        is_primary=True,
    )
    cohort = cohort_create(
        actor_id=None, program_id=program.pk, name="Pilot: half of each team", start_date=start
    )
    # Reps past their ramp-up, employed on the start date: randomised within each team.
    pool = sorted(
        employee_id
        for employee_id, entry in ctx.roster[month].items()
        if entry.team in SALES_REP_TEAMS
        and entry.role in SALES_REP_ROLES
        and _employed_on(ctx, employee_id, start)
        and (start - ctx.people[employee_id].hire_date).days > 120
    )
    assignment = participants_assign_random(
        actor_id=None, cohort_id=cohort.pk, treatment_share=0.5, seed=ctx.seed, employee_ids=pool
    )
    # Sized and frozen before launch: a 3-meeting gain was worth finding; below 1 it does not pay.
    pilot_plan_set(
        actor_id=None,
        program_id=program.pk,
        minimum_detectable_effect=PILOT_MDE,
        duration_weeks=8,
        scale_threshold=PILOT_SCALE,
        stop_threshold=PILOT_STOP,
        correlation=0.6,
        ratio=1.0,
    )
    plan = pilot_plan_freeze(actor_id=None, program_id=program.pk)
    plan.frozen_at = dt.datetime.combine(start - dt.timedelta(days=10), dt.time(10), tzinfo=dt.UTC)
    plan.save(update_fields=["frozen_at"])
    licences = assignment.treated
    for kind, description, amount, hours, rate in (
        (
            "licence",
            f"Sales Navigator seats ({licences} reps, 6 months)",
            Decimal(licences * 480),
            None,
            None,
        ),
        ("vendor_fee", "Social selling workshops (vendor)", Decimal("14500"), None, None),
        ("ld_hours", "L&D design and evaluation", None, Decimal("90"), Decimal("65")),
        (
            "participant_time",
            "Reps' learning time (10 hours each)",
            None,
            Decimal(10 * licences),
            Decimal("45"),
        ),
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
    draws = _meetings_after_start(ctx, meetings, program.pk, month)
    return {
        "pilot_participants": assignment.treated,
        "pilot_comparison": assignment.comparison,
        "draws": draws,
    }


def _meetings_after_start(ctx: DemoContext, meetings: _Meetings, program_id: int, month: dt.date) -> int:
    """Redraw the months after the start until the estimate shows the null the design implies.

    The true effect is zero in every draw. But even then one draw in twenty gives a CI that excludes zero
    (and the demo's months move with today's date), so the demo picks, deterministically, the first draw that
    looks like the typical outcome: a CI around zero and an estimate below the stop threshold.
    """
    plan = pilot_plan_get(program_id=program_id)
    assert plan is not None
    after = [m for m in ctx.months if m >= month]
    for draw in range(1, PILOT_DRAWS + 1):
        estimate = program_impact_estimate(program_id=program_id, metric_code=PILOT_METRIC)
        overall = estimate.overall
        if (
            overall is not None
            and overall.ci_includes_zero
            and plan.decide(effect=overall.estimate, ci_low=overall.ci_low, ci_high=overall.ci_high) == "stop"
        ):
            return draw
        rng = ctx.rng(f"programs-pilot-draw-{draw}")
        metric_observations_upsert(rows=meetings.rows(rng, after), actor_id=None, source="demo", audit=False)
    return PILOT_DRAWS


def _create_cloud_fundamentals(ctx: DemoContext) -> dict[str, Any]:
    rng = ctx.rng("programs-cloud")
    metric_define(
        actor_id=None,
        code=CLOUD_METRIC,
        name="Changes deployed per engineer",
        unit="changes",
        grain="person",
        direction="up",
        decimals=0,
        description="Changes an engineer shipped to production in the month (from the deployment pipeline).",
    )
    skill: dict[str, float] = {}
    rows = []
    for t, month in enumerate(ctx.months):
        for employee_id, entry in sorted(ctx.roster[month].items()):
            if entry.team not in CLOUD_TEAMS + CLOUD_COMPARISON_TEAMS or entry.role in {"TECHLEAD"}:
                continue
            level = skill.setdefault(employee_id, max(2.0, rng.gauss(11.0, 3.0)))
            share = min(1.0, entry.days_worked / 30)
            value = max(0.0, round((level + 4.0 * t / 23) * share + rng.gauss(0, 2.0)))
            rows.append(ObservationRow(CLOUD_METRIC, month, "person", employee_id, float(value)))
    metric_observations_upsert(rows=rows, actor_id=None, source="demo", audit=False)
    start = _this_month_start(ctx)
    program = program_create(
        actor_id=None,
        code=CLOUD_CODE,
        name="Cloud fundamentals",
        owner_employee_id=ctx.key_people.get("lead:TP"),
        description=(
            "Self-paced cloud foundations course with hands-on labs, so engineers can build, deploy and run "
            "services on the new cloud platform as the data centres close."
        ),
        initiative_code="cloud-migration",
        audience="Engineers in Platform & Cloud and Application Development",
        delivery_modes=["elearning"],
        start_date=start,
    )
    staggered.catalogue_activities_add(program_id=program.pk, slugs=("cloud-foundations", "tip-focus-time"))
    program_metric_set(
        actor_id=None,
        program_id=program.pk,
        metric_code=CLOUD_METRIC,
        value_per_unit=Decimal("60.00"),
        is_primary=True,
    )
    cohort = cohort_create(
        actor_id=None, program_id=program.pk, name="Engineering, all teams", start_date=start
    )
    added = 0
    for team in CLOUD_TEAMS:
        added += participants_add_rule(
            actor_id=None,
            cohort_id=cohort.pk,
            rule=SelectionRule(org_unit_id=org_unit_id_for_code(code=team)),
        ).added
    latest = ctx.months[-1]
    comparison = sorted(
        employee_id
        for employee_id, entry in ctx.roster[latest].items()
        if entry.team in CLOUD_COMPARISON_TEAMS and _employed_on(ctx, employee_id, start)
    )
    comparison_group_explicit(actor_id=None, program_id=program.pk, employee_ids=comparison)
    for kind, description, amount, hours, rate in (
        ("licence", f"Cloud academy licences ({added} engineers, 1 year)", Decimal(added * 390), None, None),
        ("vendor_fee", "Hands-on lab environment", Decimal("9800"), None, None),
        ("ld_hours", "L&D curation and learning paths", None, Decimal("60"), Decimal("65")),
        (
            "participant_time",
            "Engineers' learning time (16 hours each)",
            None,
            Decimal(16 * added),
            Decimal("55"),
        ),
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
    program_update(actor_id=None, program_id=program.pk, status="running")
    return {"cloud_participants": added, "cloud_comparison": len(comparison)}


def create_more_programs(ctx: DemoContext, tick: Tick) -> dict[str, Any]:
    counts = _create_sales_pilot(ctx)
    tick(1)
    counts |= _create_cloud_fundamentals(ctx)
    tick(1)
    return {"programs": 2, **counts}


register_step(
    Step(
        "programs-more",
        "A randomised pilot and a program without outcome data yet",
        create_more_programs,
        lambda ctx: 2,
    ),
    after="programs",
)
