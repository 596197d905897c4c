"""Building the demo company: run the registered steps in order, in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from django.db import transaction

from tandem.audit.services import audit_record
from tandem.core.dates import month_starts, today
from tandem.core.scope import PersonScope
from tandem.demo import steps as _steps  # noqa: F401  (registers the built-in steps)
from tandem.demo.context import STEPS, DemoContext, Step, Tick
from tandem.org.selectors import person_list

DEFAULT_SEED = 20240917
HISTORY_MONTHS = 24

# Given a step and its size, returns a context manager yielding the tick function (e.g. a tqdm bar).
ProgressFactory = Callable[[Step, int], AbstractContextManager[Tick]]


def demo_is_loaded() -> bool:
    """The demo loads only into a database without people, so it never mixes with real HR data."""
    return person_list(scope=PersonScope.all()).exists()


def demo_months(*, on: dt.date, count: int = HISTORY_MONTHS) -> list[dt.date]:
    """The `count` month starts ending with last month."""
    last = on.replace(day=1) - dt.timedelta(days=1)
    first = last.replace(day=1)
    for _ in range(count - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return month_starts(first, last)


def _no_progress(step: Step, total: int) -> AbstractContextManager[Tick]:
    return nullcontext(lambda n: None)


def demo_build(
    *,
    seed: int = DEFAULT_SEED,
    passwords: dict[str, str],
    on: dt.date | None = None,
    progress: ProgressFactory | None = None,
) -> DemoContext:
    """Run every registered step; each writes one summary audit event. Returns the filled context."""
    on = on or today()
    ctx = DemoContext(seed=seed, today=on, months=demo_months(on=on), passwords=passwords)
    progress = progress or _no_progress
    # All or nothing: a failed build leaves the database empty, so `tandem demo` can simply run again.
    with transaction.atomic():
        for step in list(STEPS):
            with progress(step, step.total(ctx)) as tick:
                counts: dict[str, Any] = step.run(ctx, tick)
                ctx.summary[step.name] = counts
                audit_record(
                    actor_id=None,
                    action="import",
                    entity_type="demo",
                    entity_id=step.name,
                    entity_label=step.label,
                    changes={"seed": seed, **counts},
                    summary=f"Demo company: {step.label.lower()}",
                )
    return ctx
