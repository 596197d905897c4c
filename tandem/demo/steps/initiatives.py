"""Step: strategic initiatives, their business metrics and 24 months of observations.

Series have a trend (the initiative working), seasonality (CSAT dips in December, tickets peak in
January, sales close at quarter end) and noise. Person-grain service metrics follow the simulated
workforce: only agents employed that month get a value, prorated for the days they worked, with a
ramp-up for new joiners. Attrition is measured from the simulated leavers, not invented.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tandem.demo.company import COMPANY_CODE, CS_AGENT_ROLES, CS_AGENT_TEAMS, SALES_REP_ROLES, SALES_REP_TEAMS
from tandem.demo.context import DemoContext, Step, Tick, register_step
from tandem.initiatives.services import initiative_create, initiative_metric_link
from tandem.metrics.records import ObservationRow
from tandem.metrics.services import metric_define, metric_observations_upsert


@dataclass(frozen=True)
class MetricSpec:
    code: str
    name: str
    unit: str
    grain: str
    direction: str
    decimals: int
    description: str


METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        "cloud-workloads-pct",
        "Workloads running in the cloud",
        "%",
        "company",
        "up",
        1,
        "Share of production workloads migrated to the cloud platform.",
    ),
    MetricSpec(
        "infra-cost-month",
        "Infrastructure cost per month",
        "EUR",
        "company",
        "down",
        0,
        "Data centre, hosting and cloud spend in the month.",
    ),
    MetricSpec(
        "deploy-frequency",
        "Production deployments per month",
        "deployments",
        "company",
        "up",
        0,
        "Successful production deployments across all product teams.",
    ),
    MetricSpec(
        "ai-weekly-users-pct",
        "Staff using AI tools weekly",
        "%",
        "company",
        "up",
        1,
        "Share of employees with at least one AI assistant session in a typical week.",
    ),
    MetricSpec(
        "cs-automated-tickets-pct",
        "Tickets resolved by automation",
        "%",
        "company",
        "up",
        1,
        "Share of customer tickets closed without an agent (bots, self-service).",
    ),
    MetricSpec(
        "cx-csat",
        "Customer satisfaction (CSAT)",
        "%",
        "team",
        "up",
        1,
        "Share of surveyed customers rating their contact 4 or 5 out of 5.",
    ),
    MetricSpec(
        "cx-fcr",
        "First-contact resolution",
        "%",
        "team",
        "up",
        1,
        "Share of tickets resolved in the first contact.",
    ),
    MetricSpec(
        "cx-tickets-per-agent",
        "Tickets closed per agent (team average)",
        "tickets",
        "team",
        "up",
        0,
        "Average tickets closed per agent in the month.",
    ),
    MetricSpec(
        "cx-tickets-closed",
        "Tickets closed per agent",
        "tickets",
        "person",
        "up",
        0,
        "Tickets an agent closed in the month.",
    ),
    MetricSpec(
        "cx-agent-csat",
        "Agent CSAT",
        "%",
        "person",
        "up",
        1,
        "CSAT of the contacts an agent handled in the month.",
    ),
    MetricSpec("sales-win-rate", "Win rate", "%", "team", "up", 1, "Share of qualified opportunities won."),
    MetricSpec(
        "sales-revenue-per-rep",
        "Revenue per rep",
        "EUR",
        "person",
        "up",
        0,
        "New bookings closed by the account executive in the month.",
    ),
    MetricSpec(
        "voluntary-attrition-pct",
        "Voluntary attrition (monthly)",
        "%",
        "org_unit",
        "down",
        2,
        "Voluntary leavers in the month as a share of headcount.",
    ),
)


@dataclass(frozen=True)
class InitiativeSpec:
    code: str
    name: str
    description: str
    owner: str  # a ctx.key_people key
    sponsor: str  # org unit code
    start_month: int  # index into ctx.months
    months: int
    targets: dict[str, Callable[[float], float]]  # metric code -> target from baseline


INITIATIVES: tuple[InitiativeSpec, ...] = (
    InitiativeSpec(
        "cloud-migration",
        "Cloud migration",
        "Move production workloads from the two data centres to the cloud platform and close the Slough data centre.",
        "lead:TP",
        "TECH",
        3,
        30,
        {
            "cloud-workloads-pct": lambda b: 90.0,
            "infra-cost-month": lambda b: b * 0.78,
            "deploy-frequency": lambda b: b * 3,
        },
    ),
    InitiativeSpec(
        "ai-adoption",
        "AI adoption",
        "Give every employee safe AI assistants and automate routine customer contacts.",
        "lead:TECH-DATA",
        "BWG",
        6,
        24,
        {"ai-weekly-users-pct": lambda b: 70.0, "cs-automated-tickets-pct": lambda b: 35.0},
    ),
    InitiativeSpec(
        "customer-experience",
        "Customer experience",
        "Resolve more customer contacts first time, with happier customers and more productive agents.",
        "lead:CS",
        "CS",
        2,
        24,
        {
            "cx-csat": lambda b: 88.0,
            "cx-fcr": lambda b: 80.0,
            "cx-tickets-per-agent": lambda b: b * 1.15,
            "cx-tickets-closed": lambda b: b * 1.15,
            "cx-agent-csat": lambda b: 88.0,
        },
    ),
    InitiativeSpec(
        "sales-effectiveness",
        "Sales effectiveness",
        "A common sales method and better qualification to win more of the deals we pursue.",
        "lead:SALES",
        "SALES",
        5,
        18,
        {"sales-win-rate": lambda b: 28.0, "sales-revenue-per-rep": lambda b: b * 1.2},
    ),
    InitiativeSpec(
        "retention",
        "Retention",
        "Keep the people we hire: better onboarding, career paths and managers.",
        "lead:PPL",
        "PPL",
        4,
        24,
        {"voluntary-attrition-pct": lambda b: round(b * 0.75, 2)},
    ),
)


def _s_curve(t: float, *, start: float, end: float, middle: float, width: float) -> float:
    return start + (end - start) / (1 + math.exp(-(t - middle) / width))


class Series:
    """Builds the observation rows, one metric at a time."""

    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.rng: random.Random = ctx.rng("metrics")
        self.rows: list[ObservationRow] = []
        self.decimals = {m.code: m.decimals for m in METRICS}

    def add(self, code: str, month: dt.date, kind: str, entity: str, value: float) -> None:
        self.rows.append(ObservationRow(code, month, kind, entity, round(value, self.decimals[code])))

    def company(self) -> None:
        rng = self.rng
        for t, month in enumerate(self.ctx.months):
            cloud = _s_curve(t, start=28, end=82, middle=13, width=3.5) + rng.gauss(0, 0.8)
            self.add("cloud-workloads-pct", month, "company", "", min(100.0, cloud))
            # Dual running during the migration raises cost before the data centre closes.
            bump = 60_000 * math.exp(-(((t - 11) / 5) ** 2))
            cost = 420_000 - 4_000 * max(0, t - 14) + bump + rng.gauss(0, 9_000)
            self.add("infra-cost-month", month, "company", "", cost)
            freeze = 0.65 if month.month == 12 else 1.0
            deploys = _s_curve(t, start=48, end=150, middle=14, width=4) * freeze + rng.gauss(0, 6)
            self.add("deploy-frequency", month, "company", "", max(0.0, deploys))
            ai = _s_curve(t, start=4, end=62, middle=15, width=3) + rng.gauss(0, 1.2)
            self.add("ai-weekly-users-pct", month, "company", "", max(0.0, ai))
            automated = _s_curve(t, start=3, end=28, middle=16, width=3) + rng.gauss(0, 0.7)
            self.add("cs-automated-tickets-pct", month, "company", "", max(0.0, automated))

    def customer_service(self) -> None:
        rng = self.rng
        team_offset = {team: rng.gauss(0, 2.5) for team in CS_AGENT_TEAMS}
        skill: dict[str, float] = {}
        csat_bias: dict[str, float] = {}
        for t, month in enumerate(self.ctx.months):
            roster = self.ctx.roster[month]
            days_in_month = max(entry.days_worked for entry in roster.values())
            # January is peak season (returns and billing questions); December is quiet but tense.
            season = {1: 1.18, 2: 1.06, 11: 1.05, 12: 0.9, 8: 0.94}.get(month.month, 1.0)
            csat_season = {12: -3.5, 1: -1.5, 8: 0.8}.get(month.month, 0.0)
            productivity = 1 + 0.12 * t / 23
            tickets_by_team: dict[str, list[float]] = defaultdict(list)
            weighted_csat: dict[str, list[tuple[float, float]]] = defaultdict(list)
            for employee_id, entry in sorted(roster.items()):
                if entry.team not in CS_AGENT_TEAMS or entry.role not in CS_AGENT_ROLES:
                    continue
                person = self.ctx.people[employee_id]
                skill.setdefault(employee_id, max(0.55, rng.gauss(1.0, 0.13)))
                csat_bias.setdefault(employee_id, rng.gauss(0, 4))
                tenure_months = (month - person.hire_date).days / 30.4
                ramp = 1.0 if tenure_months >= 3 else max(0.25, 0.3 + 0.25 * tenure_months)
                hours = {"part_time": 0.6, "temporary": 0.9}.get(person.employment_type, 1.0)
                senior = 1.08 if entry.role == "CSA-2" else 1.0
                share = entry.days_worked / days_in_month
                tickets = 300 * skill[employee_id] * ramp * hours * senior * season * productivity * share
                tickets = max(0.0, tickets + rng.gauss(0, 12))
                base_csat = 78 + 8 * t / 23 + team_offset[entry.team] + csat_season
                agent_csat = base_csat + csat_bias[employee_id] + (ramp - 1) * 6 + rng.gauss(0, 3)
                agent_csat = min(100.0, max(35.0, agent_csat))
                self.add("cx-tickets-closed", month, "person", employee_id, tickets)
                self.add("cx-agent-csat", month, "person", employee_id, agent_csat)
                tickets_by_team[entry.team].append(tickets / max(share, 0.05))
                weighted_csat[entry.team].append((agent_csat, tickets))
            for team in CS_AGENT_TEAMS:
                if not tickets_by_team[team]:
                    continue
                self.add(
                    "cx-tickets-per-agent",
                    month,
                    "org_unit",
                    team,
                    sum(tickets_by_team[team]) / len(tickets_by_team[team]),
                )
                total = sum(weight for _, weight in weighted_csat[team]) or 1.0
                csat = sum(value * weight for value, weight in weighted_csat[team]) / total
                self.add("cx-csat", month, "org_unit", team, csat)
                fcr = 67 + 9 * t / 23 + team_offset[team] * 0.8 + csat_season * 0.6 + rng.gauss(0, 1.1)
                self.add("cx-fcr", month, "org_unit", team, fcr)

    def sales(self) -> None:
        rng = self.rng
        skill: dict[str, float] = {}
        for t, month in enumerate(self.ctx.months):
            roster = self.ctx.roster[month]
            quarter_end = 1.35 if month.month in {3, 6, 9, 12} else 0.88
            improvement = 1 + 0.18 * max(0, t - 5) / 18
            for employee_id, entry in sorted(roster.items()):
                if entry.team not in SALES_REP_TEAMS or entry.role not in SALES_REP_ROLES:
                    continue
                person = self.ctx.people[employee_id]
                skill.setdefault(employee_id, math.exp(rng.gauss(0, 0.3)))
                tenure_months = (month - person.hire_date).days / 30.4
                ramp = 1.0 if tenure_months >= 6 else max(0.1, tenure_months / 6)
                base = 95_000.0 if entry.role == "SAE" else 58_000.0
                if entry.team == "SALES-MM":
                    base *= 0.7
                share = entry.days_worked / 30
                revenue = base * skill[employee_id] * ramp * quarter_end * improvement * min(1.0, share)
                self.add(
                    "sales-revenue-per-rep",
                    month,
                    "person",
                    employee_id,
                    max(0.0, revenue * rng.uniform(0.7, 1.3)),
                )
            for team, level in (("SALES-ENT", 22.0), ("SALES-MM", 19.0)):
                win = (
                    level
                    + 5 * max(0, t - 5) / 18
                    + (1.5 if month.month in {3, 6, 9, 12} else 0)
                    + rng.gauss(0, 1.2)
                )
                self.add("sales-win-rate", month, "org_unit", team, win)

    def attrition(self) -> None:
        """Voluntary leavers per department (and company-wide) divided by the month's headcount."""
        index = self.ctx.index
        for month in self.ctx.months:
            roster = self.ctx.roster[month]
            headcount: dict[str, int] = defaultdict(int)
            leavers: dict[str, int] = defaultdict(int)
            voluntary = {
                eid for eid in self.ctx.leavers.get(month, []) if self.ctx.people[eid].voluntary_exit
            }
            for employee_id, entry in roster.items():
                department = index.team_department.get(
                    entry.team, entry.team if entry.team in index.departments else None
                )
                for unit in (department, COMPANY_CODE):
                    if unit is None:
                        continue
                    headcount[unit] += 1
                    leavers[unit] += employee_id in voluntary
            for unit, count in headcount.items():
                # The company figure is recorded as the company's (not as one more org unit), so the
                # company line is the company's rate, not a mean of department rates.
                kind, code = ("company", "") if unit == COMPANY_CODE else ("org_unit", unit)
                self.add("voluntary-attrition-pct", month, kind, code, 100 * leavers[unit] / count)


def _company_lines(rows: list[ObservationRow]) -> dict[str, list[tuple[dt.date, float]]]:
    """Each metric's company line as the initiative pages read it: recorded company values, else the
    monthly mean across org units or people (every demo group is above the minimum group size)."""
    company: dict[str, dict[dt.date, float]] = defaultdict(dict)
    values: dict[str, dict[dt.date, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        if row.entity_kind == "company":
            company[row.metric_code][row.period_start] = row.value
        else:
            values[row.metric_code][row.period_start].append(row.value)
    lines = {code: sorted(points.items()) for code, points in company.items()}
    for code, by_month in values.items():
        if code not in lines:
            lines[code] = sorted((month, sum(v) / len(v)) for month, v in by_month.items())
    return lines


def _three_month_mean(line: list[tuple[dt.date, float]], *, until: dt.date) -> float:
    """What tandem.metrics.selectors.window_mean gives on that line (the baseline the page shows)."""
    window = [value for month, value in line if month <= until][-3:]
    return sum(window) / len(window)


def create_initiatives(ctx: DemoContext, tick: Tick) -> dict[str, Any]:
    for metric in METRICS:
        metric_define(
            actor_id=None,
            code=metric.code,
            name=metric.name,
            unit=metric.unit,
            grain=metric.grain,
            direction=metric.direction,
            decimals=metric.decimals,
            description=metric.description,
        )
    tick(1)
    series = Series(ctx)
    series.company()
    series.customer_service()
    series.sales()
    series.attrition()
    tick(1)
    counts = metric_observations_upsert(rows=series.rows, actor_id=None, source="demo", audit=False)
    tick(1)
    lines = _company_lines(series.rows)
    for spec in INITIATIVES:
        start = ctx.months[spec.start_month]
        # The baseline is measured by Tandem: the mean of the three months up to the one before the start,
        # on the company line. The demo computes it the same way only to set targets relative to it.
        baseline_date = ctx.months[max(0, spec.start_month - 1)]
        year, month = divmod(start.month - 1 + spec.months, 12)
        end = dt.date(start.year + year, month + 1, 1) - dt.timedelta(days=1)
        initiative_create(
            actor_id=None,
            code=spec.code,
            name=spec.name,
            description=spec.description,
            start_date=start,
            end_date=end,
            owner_employee_id=ctx.key_people[spec.owner],
            sponsor_org_unit_code=spec.sponsor,
        )
        for metric_code, target in spec.targets.items():
            baseline = _three_month_mean(lines[metric_code], until=baseline_date)
            initiative_metric_link(
                actor_id=None,
                initiative_code=spec.code,
                metric_code=metric_code,
                baseline_date=baseline_date,
                target=round(target(baseline), 2),
                target_date=end,
            )
    tick(1)
    return {
        "metrics": len(METRICS),
        "observations": counts["create"] + counts["update"],
        "initiatives": len(INITIATIVES),
    }


register_step(Step("initiatives", "Initiatives, metrics and observations", create_initiatives, lambda ctx: 4))
