from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from tandem.core.dates import today
from tandem.demo.context import DemoContext
from tandem.demo.services import demo_months
from tandem.demo.steps.people import Simulation

SEED = 7


@dataclass(frozen=True)
class DemoRun:
    data_dir: Path
    output: str
    logins: list[dict[str, str]]
    ctx: DemoContext  # the same simulation, replayed in memory (it is deterministic)


@functools.cache
def simulate(seed: int, months: int = 24) -> DemoContext:
    """The people simulation alone, without the database."""
    ctx = DemoContext(seed=seed, today=today(), months=demo_months(on=today())[:months], passwords={})
    simulation = Simulation(ctx)
    simulation.populate()
    for number, month in enumerate(ctx.months):
        simulation.run_month(month, number)
    return ctx


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[DemoRun]:
    """`tandem demo --no-serve` at full scale, once per module (committed), removed after the module."""
    data_dir = tmp_path_factory.mktemp("demo-data")
    out = StringIO()
    with django_db_blocker.unblock(), override_settings(DATA_DIR=data_dir):
        call_command("demo", "--no-serve", "--seed", str(SEED), stdout=out)
        try:
            logins = json.loads((data_dir / "demo-logins.json").read_text())["logins"]
            yield DemoRun(data_dir=data_dir, output=out.getvalue(), logins=logins, ctx=simulate(SEED))
        finally:
            call_command("flush", interactive=False, verbosity=0)
