"""The shared state of a demo build and the registry of steps that fill it.

Each step is a function over DemoContext. Later features add their own steps (learning records,
programmes, requests, skills) with `register_step`, reading what earlier steps left in the context.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tandem.demo.company import UnitIndex


@dataclass
class PersonState:
    """One person as the simulation knows them at the current month (mutable)."""

    employee_id: str
    first_name: str
    last_name: str
    work_email: str
    team: str  # org unit code (a team, department, division or the company for leaders)
    role: str
    title: str
    manager: str | None
    location: str
    country: str
    employment_type: str
    hire_date: dt.date
    role_since: dt.date
    termination_date: dt.date | None = None
    voluntary_exit: bool = True
    last_change: dt.date | None = None  # effective date of the latest move this month


@dataclass(frozen=True)
class RosterEntry:
    """Where a person was during a month (used by metric and later steps)."""

    team: str
    role: str
    manager: str | None
    days_worked: int  # of the month's days


@dataclass
class DemoContext:
    seed: int
    today: dt.date
    months: list[dt.date]  # first days of the simulated months, oldest first; the last is last month
    passwords: dict[str, str]  # role -> password for the demo log-ins
    index: UnitIndex = field(default_factory=UnitIndex.build)
    people: dict[str, PersonState] = field(default_factory=dict)
    # month start -> employee id -> where they were that month (anyone employed at some point of it).
    roster: dict[dt.date, dict[str, RosterEntry]] = field(default_factory=dict)
    # month start -> employee ids who left that month (voluntarily or not).
    leavers: dict[dt.date, list[str]] = field(default_factory=dict)
    # Named people other steps need: "ceo", "cto", "head:CS", "lead:HR-LD", ...
    key_people: dict[str, str] = field(default_factory=dict)
    logins: list[dict[str, str]] = field(default_factory=list)  # role, label, email, password
    summary: dict[str, Any] = field(default_factory=dict)  # step name -> counts

    def rng(self, step: str) -> random.Random:
        """A generator per step, so adding or changing one step does not reshuffle the others."""
        return random.Random(f"tandem-demo:{self.seed}:{step}")

    @property
    def start(self) -> dt.date:
        return self.months[0]

    @property
    def last_month(self) -> dt.date:
        return self.months[-1]


Tick = Callable[[int], None]


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    run: Callable[[DemoContext, Tick], dict[str, Any]]  # returns the counts for its summary audit event
    total: Callable[[DemoContext], int]  # units of progress the step reports through Tick


STEPS: list[Step] = []


def register_step(step: Step, *, after: str | None = None) -> Step:
    """Add a step at the end, or right after the named one. Re-registering a name replaces it."""
    existing = [s.name for s in STEPS]
    if step.name in existing:
        STEPS[existing.index(step.name)] = step
        return step
    if after is None:
        STEPS.append(step)
    else:
        STEPS.insert(existing.index(after) + 1, step)
    return step
