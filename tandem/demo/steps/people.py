"""Step: 24 months of workforce history, applied as monthly HR snapshots through the org services.

A small simulation keeps each person's current state; every month people leave (more in customer
service and in their first year), leaders who leave are replaced from within, people are promoted
(mostly in the January and July review cycles), transfer between teams, and teams hire back to
their planned size. The state at the end of each month becomes one `people_bulk_upsert` call, which
turns the differences into effective-dated assignments exactly as a real HRIS feed would.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import random
from collections.abc import Callable
from typing import Any

from tandem.demo.company import (
    COMPANY_CODE,
    EMAIL_DOMAIN,
    LOCATIONS,
    NAME_REGION,
    DepartmentSpec,
    TeamSpec,
)
from tandem.demo.context import DemoContext, PersonState, RosterEntry, Step, Tick, register_step
from tandem.demo.names import FIRST_NAMES, GLOBAL_SHARE, LAST_NAMES, email_part
from tandem.demo.steps.org import founding_date
from tandem.org.people import people_bulk_upsert
from tandem.org.records import PersonRow

LEADER_ROLES = frozenset({"CEO", "DIR", "HEAD", "TL", "EM", "SUP", "TECHLEAD"})
EMPLOYMENT_MIX: dict[str, dict[str, float]] = {
    "CS": {"full_time": 0.75, "part_time": 0.17, "temporary": 0.08},
    "OPS": {"full_time": 0.8, "part_time": 0.1, "temporary": 0.1},
    "TECH": {"full_time": 0.88, "contractor": 0.1, "intern": 0.02},
    "": {"full_time": 0.92, "part_time": 0.06, "contractor": 0.01, "intern": 0.01},
}


def month_end(*, month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[key] for key in keys])[0]


def _day_in(rng: random.Random, month: dt.date, *, last: int | None = None, weekday: bool = True) -> dt.date:
    days = calendar.monthrange(month.year, month.month)[1] if last is None else last
    for _ in range(10):
        day = month.replace(day=rng.randint(1, days))
        if not weekday or day.weekday() < 5:
            return day
    return day


class Simulation:
    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.rng = ctx.rng("people")
        self.index = ctx.index
        self.people = ctx.people
        self.next_id = 10001
        self.used_emails: set[str] = set()
        self.pods: dict[str, list[str]] = {}  # team code -> pod lead employee ids
        self.leads: dict[str, str] = {}  # org unit code -> its leader's employee id
        self.founded = founding_date(ctx=ctx)
        self.targets = {code: float(team.size) for code, team in self.index.teams.items()}

    # --- people ------------------------------------------------------------------------------

    def _name(self, location: str) -> tuple[str, str]:
        region = NAME_REGION[location]
        first_pool = FIRST_NAMES["GLOBAL" if self.rng.random() < GLOBAL_SHARE else region]
        last_pool = LAST_NAMES["GLOBAL" if self.rng.random() < GLOBAL_SHARE else region]
        return self.rng.choice(first_pool), self.rng.choice(last_pool)

    def _email(self, first: str, last: str) -> str:
        base = f"{email_part(first)}.{email_part(last)}"
        local, n = base, 1
        while local in self.used_emails:
            n += 1
            local = f"{base}{n}"
        self.used_emails.add(local)
        return f"{local}@{EMAIL_DOMAIN}"

    def _employment_type(self, department: str, role: str) -> str:
        if role in LEADER_ROLES:
            return "full_time"
        mix = EMPLOYMENT_MIX.get(department, EMPLOYMENT_MIX[""])
        kind = _weighted(self.rng, mix)
        # Interns only join at entry level.
        return "full_time" if kind == "intern" and self.index.roles[role].level > 2 else kind

    def new_person(
        self, *, unit: str, role: str, title: str, manager: str | None, location: str, hired: dt.date
    ) -> PersonState:
        first, last = self._name(location)
        department = self.index.team_department.get(unit, unit)
        person = PersonState(
            employee_id="",  # numbered in hire order by the caller
            first_name=first,
            last_name=last,
            work_email=self._email(first, last),
            team=unit,
            role=role,
            title=title,
            manager=manager,
            location=location,
            country=LOCATIONS[location],
            employment_type=self._employment_type(department, role),
            hire_date=hired,
            role_since=hired,
        )
        return person

    def _number(self, person: PersonState) -> str:
        person.employee_id = f"BW{self.next_id:05d}"
        self.next_id += 1
        self.people[person.employee_id] = person
        return person.employee_id

    def _tenure_start(self, *, mean_years: float, before: dt.date) -> dt.date:
        longest = (before - self.founded).days / 365.25 - 0.05
        years = self.rng.expovariate(1 / mean_years)
        if years > longest:
            # Redraw rather than cap, which would pile everyone up on the founding date.
            years = self.rng.uniform(0, longest)
        day = before - dt.timedelta(days=max(14, int(years * 365.25)))
        return max(self.founded, day)

    def active(self, on: dt.date) -> list[PersonState]:
        return [
            p
            for p in self.people.values()
            if p.hire_date <= on and (p.termination_date is None or p.termination_date >= on)
        ]

    def staff_of(self, team: str, *, on: dt.date) -> list[PersonState]:
        return [
            p
            for p in self.people.values()
            if p.team == team
            and p.role not in LEADER_ROLES
            and p.termination_date is None
            and p.hire_date <= on
        ]

    # --- the starting organisation -------------------------------------------------------------

    def _lead_title(self, team: TeamSpec) -> tuple[str, str]:
        if team.tech:
            return "EM", team.lead_title or f"Engineering Manager, {team.name}"
        return "TL", team.lead_title or f"Team Lead, {team.name}"

    def _pod_title(self, team: TeamSpec) -> tuple[str, str]:
        return (
            ("TECHLEAD", f"Tech Lead, {team.name}") if team.tech else ("SUP", f"Team Supervisor, {team.name}")
        )

    def populate(self) -> None:
        """Everyone employed on the first day of the history, numbered in hire order."""
        start = self.ctx.start
        initial: list[PersonState] = []

        def add(person: PersonState) -> PersonState:
            initial.append(person)
            # Temporary key until numbering: managers are resolved by object identity below.
            person.employee_id = f"tmp{len(initial)}"
            return person

        ceo = add(
            self.new_person(
                unit=COMPANY_CODE,
                role="CEO",
                title="Chief Executive Officer",
                manager=None,
                location="London",
                hired=self.founded + dt.timedelta(days=45),
            )
        )
        self.leads[COMPANY_CODE] = ceo.employee_id
        add(
            self.new_person(
                unit=COMPANY_CODE,
                role="EA",
                title="Executive Assistant to the CEO",
                manager=ceo.employee_id,
                location="London",
                hired=self._tenure_start(mean_years=4, before=start),
            )
        )
        for division in self.index.divisions.values():
            director = add(
                self.new_person(
                    unit=division.code,
                    role="DIR",
                    title=division.head_title,
                    manager=ceo.employee_id,
                    location="London",
                    hired=self._tenure_start(mean_years=7, before=start),
                )
            )
            self.leads[division.code] = director.employee_id
            for department in division.departments:
                head = add(
                    self.new_person(
                        unit=department.code,
                        role="HEAD",
                        title=department.head_title,
                        manager=director.employee_id,
                        location=department.location,
                        hired=self._tenure_start(mean_years=6, before=start),
                    )
                )
                self.leads[department.code] = head.employee_id
                for team in department.teams:
                    self._populate_team(team, department, head.employee_id, add)

        # Number in hire order so employee ids grow with seniority, as in most HR systems.
        renumber: dict[str, str] = {}
        for person in sorted(initial, key=lambda p: (p.hire_date, p.employee_id)):
            old = person.employee_id
            renumber[old] = self._number(person)
        for person in initial:
            person.manager = renumber[person.manager] if person.manager else None
        self.leads = {unit: renumber[eid] for unit, eid in self.leads.items()}
        self.pods = {team: [renumber[eid] for eid in pods] for team, pods in self.pods.items()}

    def _populate_team(
        self, team: TeamSpec, department: DepartmentSpec, head: str, add: Callable[[PersonState], PersonState]
    ) -> None:
        start = self.ctx.start
        staff_mean = 2.3 if department.code in {"CS", "OPS"} else 4.0
        role, title = self._lead_title(team)
        lead = add(
            self.new_person(
                unit=team.code,
                role=role,
                title=title,
                manager=head,
                location=_weighted(self.rng, team.locations),
                hired=self._tenure_start(mean_years=5, before=start),
            )
        )
        self.leads[team.code] = lead.employee_id
        pods: list[PersonState] = []
        if team.size > team.pod_size * 1.5:
            pod_role, pod_title = self._pod_title(team)
            for _ in range(round(team.size / team.pod_size)):
                pods.append(
                    add(
                        self.new_person(
                            unit=team.code,
                            role=pod_role,
                            title=pod_title,
                            manager=lead.employee_id,
                            location=_weighted(self.rng, team.locations),
                            hired=self._tenure_start(mean_years=4.5, before=start),
                        )
                    )
                )
        self.pods[team.code] = [pod.employee_id for pod in pods]
        for n in range(team.size):
            role = _weighted(self.rng, team.roles)
            if pods:
                manager_person = pods[n % len(pods)]
                location = (
                    manager_person.location
                    if self.rng.random() < 0.85
                    else _weighted(self.rng, team.locations)
                )
            else:
                manager_person = lead
                location = _weighted(self.rng, team.locations)
            hired = self._tenure_start(mean_years=staff_mean, before=start)
            person = add(
                self.new_person(
                    unit=team.code,
                    role=role,
                    title=self.index.roles[role].name,
                    manager=manager_person.employee_id,
                    location=location,
                    hired=hired,
                )
            )
            # Time in role: a share of tenure, so promotions have someone eligible from the start.
            person.role_since = hired + (start - hired) * self.rng.random() * 0.7

    # --- one month -----------------------------------------------------------------------------

    def _move(self, person: PersonState, effective: dt.date, **changes: Any) -> None:
        for key, value in changes.items():
            setattr(person, key, value)
        if person.last_change is None or effective > person.last_change:
            person.last_change = effective

    def _reports_of(self, manager: str, *, on: dt.date | None = None) -> list[PersonState]:
        """Current reports; with `on`, also those leaving later this month (still employed on that day)."""
        return [
            p
            for p in self.people.values()
            if p.manager == manager
            and (p.termination_date is None or (on is not None and p.termination_date >= on))
        ]

    def _pick_successor(self, candidates: list[PersonState], before: dt.date) -> PersonState | None:
        eligible = [p for p in candidates if p.hire_date < before and p.termination_date is None]
        if not eligible:
            return None
        return max(
            eligible, key=lambda p: (self.index.roles[p.role].level, -p.hire_date.toordinal(), p.employee_id)
        )

    def _replace_leader(self, leaver: PersonState, month: dt.date) -> None:
        """Fill a leaving leader's seat from the effective day after they go; their reports follow."""
        assert leaver.termination_date is not None
        effective = leaver.termination_date + dt.timedelta(days=1)
        unit = leaver.team
        successor: PersonState | None = None
        if leaver.role in {"TL", "EM"}:
            team = self.index.teams[unit]
            pods = [self.people[eid] for eid in self.pods.get(unit, [])]
            successor = self._pick_successor(pods or self.staff_of(unit, on=month), effective)
            if successor is not None:
                was_pod_lead = successor.employee_id in self.pods.get(unit, [])
                role, title = self._lead_title(team)
                old_reports = self._reports_of(successor.employee_id, on=effective)
                self._move(
                    successor, effective, role=role, title=title, manager=leaver.manager, role_since=effective
                )
                if was_pod_lead:
                    self.pods[unit].remove(successor.employee_id)
                    # The pod the new lead leaves behind gets a new supervisor from its own members.
                    self._new_pod_lead(unit, old_reports, effective, manager=successor.employee_id)
                self.leads[unit] = successor.employee_id
        elif leaver.role in {"SUP", "TECHLEAD"}:
            pod_members = self._reports_of(leaver.employee_id, on=effective)
            self.pods[unit].remove(leaver.employee_id)
            self._new_pod_lead(unit, pod_members, effective, manager=self.leads[unit])
            return
        if successor is None:
            # Heads and directors (and empty teams) are replaced from outside.
            successor = self.new_person(
                unit=unit,
                role=leaver.role,
                title=leaver.title,
                manager=leaver.manager,
                location=leaver.location,
                hired=effective,
            )
            self._number(successor)
            self.leads[unit] = successor.employee_id
        for report in self._reports_of(leaver.employee_id, on=effective):
            if report is not successor:
                self._move(report, effective, manager=successor.employee_id)

    def _new_pod_lead(
        self, team_code: str, members: list[PersonState], effective: dt.date, *, manager: str | None
    ) -> None:
        candidates = [p for p in members if p.role not in LEADER_ROLES]
        chosen = self._pick_successor(candidates, effective)
        if chosen is None:
            for member in members:
                self._move(member, effective, manager=manager)
            return
        role, title = self._pod_title(self.index.teams[team_code])
        self._move(chosen, effective, role=role, title=title, manager=manager, role_since=effective)
        self.pods.setdefault(team_code, []).append(chosen.employee_id)
        for member in members:
            if member is not chosen:
                self._move(member, effective, manager=chosen.employee_id)

    def _manager_for(self, team_code: str) -> str:
        """The pod with the fewest people (or the team lead when the team has no pods)."""
        pods = self.pods.get(team_code) or []
        if not pods:
            return self.leads[team_code]
        sizes = {eid: 0 for eid in pods}
        for person in self.people.values():
            if person.manager in sizes and person.termination_date is None:
                sizes[person.manager] += 1
        return min(pods, key=lambda eid: (sizes[eid], eid))

    def run_month(self, month: dt.date, number: int) -> dict[str, int]:
        rng = self.rng
        end = month_end(month=month)
        counts = {"hires": 0, "leavers": 0, "promotions": 0, "transfers": 0, "manager_changes": 0}
        for person in self.people.values():
            person.last_change = None
        current = [p for p in self.active(month) if p.termination_date is None]
        managers_before = {p.employee_id: p.manager for p in current}

        # 1. Leavers. Seasonal: more in January and after the summer.
        season = {1: 1.35, 9: 1.2, 12: 0.7}.get(month.month, 1.0)
        leaving: list[PersonState] = []
        for person in current:
            if person.role in {"CEO", "EA"}:
                continue
            if person.role in {"DIR", "HEAD"}:
                rate = 0.003
            else:
                team = self.index.teams[person.team]
                rate = team.attrition * (0.45 if person.role in LEADER_ROLES else 1.0)
                if (month - person.hire_date).days < 365:
                    rate *= 1.4
            if rng.random() < rate * season:
                leaving.append(person)
        for person in leaving:
            person.termination_date = _day_in(rng, month, last=end.day - 1)
            person.voluntary_exit = rng.random() < 0.85
        for person in sorted(leaving, key=lambda p: (p.termination_date or end, p.employee_id)):
            if person.role in LEADER_ROLES:
                self._replace_leader(person, month)
        self.ctx.leavers[month] = [p.employee_id for p in leaving]
        counts["leavers"] = len(leaving)
        staying = [p for p in current if p.termination_date is None]

        # The first month only starts the history: moves need an assignment to move from.
        if number > 0:
            # 2. Promotions, mostly in the January and July review cycles.
            chance = 0.07 if month.month in {1, 7} else 0.004
            for person in staying:
                spec = self.index.roles[person.role]
                if spec.next_role and (month - person.role_since).days >= 365 and rng.random() < chance:
                    nxt = self.index.roles[spec.next_role]
                    self._move(person, month, role=nxt.code, title=nxt.name, role_since=month)
                    counts["promotions"] += 1

            # 3. Transfers to another team that uses the same role.
            for person in staying:
                if person.role in LEADER_ROLES or person.last_change is not None or rng.random() >= 0.004:
                    continue
                options = [
                    code
                    for code, team in self.index.teams.items()
                    if code != person.team and person.role in team.roles
                ]
                if not options:
                    continue
                target = self.index.teams[rng.choice(sorted(options))]
                location = (
                    person.location
                    if person.location in target.locations
                    else _weighted(rng, target.locations)
                )
                self._move(
                    person,
                    month,
                    team=target.code,
                    manager=self._manager_for(target.code),
                    location=location,
                    country=LOCATIONS[location],
                )
                counts["transfers"] += 1

            # 4. Teams that outgrew their supervisors get a new pod.
            for code, team in self.index.teams.items():
                pods = self.pods.get(code) or []
                staff = self.staff_of(code, on=month)
                if pods and len(staff) / len(pods) > team.pod_size * 1.4:
                    sizes = {eid: sum(1 for p in staff if p.manager == eid) for eid in pods}
                    biggest = max(pods, key=lambda eid: (sizes[eid], eid))
                    movers = [p for p in staff if p.manager == biggest]
                    self._new_pod_lead(code, movers[: len(movers) // 2 + 1], month, manager=self.leads[code])

        # 5. Hiring back to plan (the plan grows or shrinks with each team's growth rate).
        for code, team in self.index.teams.items():
            self.targets[code] *= 1 + team.growth
            gap = round(self.targets[code]) - len(self.staff_of(code, on=end))
            hires = gap if gap <= 2 else math.ceil(gap * rng.uniform(0.6, 1.0))
            entry = {
                role: weight * (2.0 if self.index.roles[role].level <= 2 else 1.0)
                for role, weight in team.roles.items()
            }
            for _ in range(max(0, hires)):
                role = _weighted(rng, entry)
                manager = self._manager_for(code)
                manager_location = self.people[manager].location
                location = (
                    manager_location
                    if manager_location in team.locations and rng.random() < 0.8
                    else _weighted(rng, team.locations)
                )
                hired = _day_in(rng, month)
                person = self.new_person(
                    unit=code,
                    role=role,
                    title=self.index.roles[role].name,
                    manager=manager,
                    location=location,
                    hired=hired,
                )
                self._number(person)
                counts["hires"] += 1

        counts["manager_changes"] = sum(
            1
            for eid, manager in managers_before.items()
            if self.people[eid].termination_date is None and self.people[eid].manager != manager
        )
        self._record_roster(month, end)
        return counts

    def _record_roster(self, month: dt.date, end: dt.date) -> None:
        days = end.day
        roster: dict[str, RosterEntry] = {}
        for person in self.people.values():
            if person.hire_date > end or (person.termination_date and person.termination_date < month):
                continue
            first = max(person.hire_date, month)
            last = min(person.termination_date or end, end)
            worked = min(days, (last - first).days + 1)
            roster[person.employee_id] = RosterEntry(person.team, person.role, person.manager, worked)
        self.ctx.roster[month] = roster

    def rows(self, month: dt.date) -> list[PersonRow]:
        """The HR system's view at the end of the month: everyone employed, plus this month's leavers."""
        end = month_end(month=month)
        return [
            PersonRow(
                employee_id=p.employee_id,
                first_name=p.first_name,
                last_name=p.last_name,
                work_email=p.work_email,
                org_unit_code=p.team,
                hire_date=p.hire_date,
                job_title=p.title,
                job_role_code=p.role,
                manager_employee_id=p.manager,
                location=p.location,
                country=p.country,
                employment_type=p.employment_type,
                termination_date=p.termination_date,
                effective_date=p.last_change or month,
            )
            for p in self.people.values()
            if p.hire_date <= end and (p.termination_date is None or p.termination_date >= month)
        ]


def simulate_people(ctx: DemoContext, tick: Tick) -> dict[str, Any]:
    simulation = Simulation(ctx)
    simulation.populate()
    totals = {"hires": 0, "leavers": 0, "promotions": 0, "transfers": 0, "manager_changes": 0}
    applied = {"create": 0, "update": 0, "move": 0, "terminate": 0}
    for number, month in enumerate(ctx.months):
        for key, value in simulation.run_month(month, number).items():
            totals[key] += value
        counts = people_bulk_upsert(
            rows=simulation.rows(month),
            on=month_end(month=month),
            actor_id=None,
            source="demo",
            audit_each_change=False,
        )
        for key in applied:
            applied[key] += counts[key]
        tick(1)
    _record_key_people(ctx, simulation)
    active = sum(1 for p in ctx.people.values() if p.termination_date is None)
    return {
        "people": len(ctx.people),
        "active": active,
        "months": len(ctx.months),
        **totals,
        "applied": applied,
    }


def _record_key_people(ctx: DemoContext, simulation: Simulation) -> None:
    ctx.key_people.update({f"lead:{unit}": eid for unit, eid in simulation.leads.items()})
    ctx.key_people["ceo"] = simulation.leads[COMPANY_CODE]


register_step(
    Step("people", "People and 24 months of HR history", simulate_people, lambda ctx: len(ctx.months))
)
