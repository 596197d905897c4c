"""Programs from the home pages' side: which need L&D's attention and why, what is measured next, and who
takes part in what. Cheap reads from stored rows (two queries), never an estimate: the program page computes
the figures, the home page says when there is one to read.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce

from tandem.core.scope import PersonScope
from tandem.impact.estimates import GRAIN_WORDS, MIN_MONTHS_AFTER, programs_visible_ids
from tandem.impact.models import Cohort, Participant, PilotPlan, Program, ProgramMetric
from tandem.metrics.models import MetricDefinition

CLOSED = (Program.Status.COMPLETED, Program.Status.STOPPED)


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1, day=1)


@dataclass(frozen=True)
class ProgramStatus:
    """Where a program stands, in words: what blocks a figure, when the next one is due."""

    id: int
    code: str
    name: str
    status_label: str
    is_pilot: bool
    participants: int
    first_start: dt.date | None
    metric_name: str | None  # the primary metric
    not_measurable: str  # why there cannot be an impact figure yet ("" when there can)
    first_figure_from: dt.date | None  # the first month the figure can be computed, when in the future
    pilot_decision_due: dt.date | None  # the frozen plan's end (first start + planned duration)
    pilot_plan_frozen: bool

    def pilot_verdict_reached(self, *, on: dt.date) -> bool:
        return self.pilot_decision_due is not None and self.pilot_decision_due <= on


def _why_not_measurable(
    *, metric: ProgramMetric | None, participants: int, first_start: dt.date | None, on: dt.date
) -> tuple[str, dt.date | None]:
    """The reason in words (the same as the estimate's where they overlap) and the first figure's month."""
    if metric is None:
        return "no primary metric is set, so there is nothing to measure the program against.", None
    if metric.metric.grain != MetricDefinition.Grain.PERSON:
        return (
            f"{metric.metric.name} is measured for {GRAIN_WORDS.get(metric.metric.grain, 'a group')} as a "
            "whole, not per person, so participants cannot be compared with colleagues who did not take part.",
            None,
        )
    if participants == 0 or first_start is None:
        return "nobody has been added to the program yet.", None
    # The estimate needs MIN_MONTHS_AFTER whole months of values after the first start month.
    first_figure = _add_months(first_start, MIN_MONTHS_AFTER + 1)
    if first_figure > on:
        return (
            f"the first wave started on {first_start:%-d %b %Y}; a figure needs {MIN_MONTHS_AFTER} months of "
            f"values after it, so the first one comes in {first_figure:%B %Y}.",
            first_figure,
        )
    return "", None


def program_status_list(
    *, scope: PersonScope, on: dt.date, include_closed: bool = False
) -> list[ProgramStatus]:
    """The programs the scope may see (those with a participant in it; every one for L&D), running and
    latest first; three queries however many programs."""
    visible = programs_visible_ids(scope=scope)
    # Correlated subqueries: joining participants and cohorts at once would multiply their rows.
    counted = (
        Participant.objects.filter(program=OuterRef("pk"))
        .order_by()
        .values("program")
        .annotate(n=Count("pk"))
    )
    starts = (
        Cohort.objects.filter(program=OuterRef("pk"))
        .order_by()
        .values("program")
        .annotate(first=Min("start_date"))
    )
    programs = Program.objects.order_by("-start_date", "name").annotate(
        n_participants=Coalesce(Subquery(counted.values("n"), output_field=IntegerField()), 0),
        first_start=Subquery(starts.values("first")),
    )
    if not include_closed:
        programs = programs.exclude(status__in=CLOSED)
    if visible is not None:
        programs = programs.filter(pk__in=visible)
    rows = list(programs)
    ids = [row.pk for row in rows]
    primary = {
        link.program_id: link
        for link in ProgramMetric.objects.filter(program_id__in=ids, is_primary=True).select_related("metric")
    }
    plans = {plan.program_id: plan for plan in PilotPlan.objects.filter(program_id__in=ids)}
    found = []
    for row in rows:
        first_start: dt.date | None = row.first_start
        participants: int = row.n_participants
        metric = primary.get(row.pk)
        why, first_figure = _why_not_measurable(
            metric=metric, participants=participants, first_start=first_start, on=on
        )
        plan = plans.get(row.pk)
        frozen = plan is not None and plan.frozen_at is not None
        due = (
            first_start + dt.timedelta(weeks=plan.duration_weeks)
            if plan is not None and frozen and first_start is not None
            else None
        )
        found.append(
            ProgramStatus(
                id=row.pk,
                code=row.code,
                name=row.name,
                status_label=row.get_status_display(),
                is_pilot=row.is_pilot,
                participants=participants,
                first_start=first_start,
                metric_name=metric.metric.name if metric else None,
                not_measurable=why,
                first_figure_from=first_figure,
                pilot_decision_due=due,
                pilot_plan_frozen=frozen,
            )
        )
    return found


@dataclass(frozen=True)
class ProgramParticipation:
    """A program some of the given people take part in, with their waves and names."""

    code: str
    name: str
    status_label: str
    end_date: dt.date | None
    people: tuple[str, ...]  # full names, sorted
    cohorts: tuple[tuple[str, dt.date], ...] = field(default=())  # (wave, start), earliest first

    @property
    def starts(self) -> dt.date | None:
        return self.cohorts[0][1] if self.cohorts else None


def program_participation_list(*, person_ids: Collection[int]) -> list[ProgramParticipation]:
    """The programs these people are participants of, latest wave first (one query).

    For a learner's own programs and a manager's reports (people the caller's scope already allows)."""
    if not person_ids:
        return []
    rows = (
        Participant.objects.filter(person_id__in=list(person_ids))
        .exclude(program__status=Program.Status.DRAFT)
        .select_related("program", "cohort", "person")
        .order_by("cohort__start_date", "program_id")
    )
    programs: dict[int, Program] = {}
    people: dict[int, set[str]] = defaultdict(set)
    cohorts: dict[int, dict[str, dt.date]] = defaultdict(dict)
    for row in rows:
        programs[row.program_id] = row.program
        people[row.program_id].add(row.person.full_name)
        cohorts[row.program_id][row.cohort.name] = row.cohort.start_date
    found = [
        ProgramParticipation(
            code=program.code,
            name=program.name,
            status_label=program.get_status_display(),
            end_date=program.end_date,
            people=tuple(sorted(people[pid])),
            cohorts=tuple(sorted(cohorts[pid].items(), key=lambda item: item[1])),
        )
        for pid, program in programs.items()
    ]
    return sorted(found, key=lambda item: item.starts or dt.date.min, reverse=True)
