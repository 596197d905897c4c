"""Reads for initiatives: the goals, and how far their metrics have moved from baseline to target.

Initiatives are company-wide, so every viewer with access sees all of them. Each linked metric is measured
on one line: the link's org unit when it has one and the viewer may see it, otherwise the company line
(the same scope rules as the metric pages).

The figures (docs/data-model.md, "Initiative progress"):
- now: the mean of the last three values of that line (window_mean), not one noisy month;
- baseline: with a baseline date, the same mean of the three values up to that date on the same line, so
  it equals the charted three-period average there; the entered baseline only where the line has no
  values up to that date;
- progress: (now - baseline) / (target - baseline);
- status: cancelled or completed when so decided; otherwise from the dates (planned before the start,
  active until the end date, completed after it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from tandem.core.dates import today
from tandem.core.scope import AccessDenied, PersonScope
from tandem.initiatives.models import Initiative, InitiativeMetric
from tandem.metrics.models import MetricDefinition
from tandem.metrics.selectors import (
    UNIT_GRAINS,
    MetricPoint,
    MetricSeries,
    WindowMean,
    metric_company_series,
    metric_pair_series,
    metric_unit_series,
    metric_visible_org_unit_ids,
    rolling_mean,
    window_mean,
)

Status = Initiative.Status
DECIDED = frozenset({Status.CANCELLED, Status.COMPLETED})


def initiative_status(*, stored: str, start_date: dt.date, end_date: dt.date, on: dt.date) -> str:
    """The status shown: a decision (cancelled, completed early) stands; otherwise the dates say it."""
    if stored in DECIDED:
        return stored
    if on < start_date:
        return Status.PLANNED
    if on > end_date:
        return Status.COMPLETED
    return Status.ACTIVE


def _status_filter(status: str, *, on: dt.date) -> Q:
    """initiative_status as a query."""
    open_ = ~Q(status__in=DECIDED)
    if status == Status.PLANNED:
        return open_ & Q(start_date__gt=on)
    if status == Status.ACTIVE:
        return open_ & Q(start_date__lte=on, end_date__gte=on)
    if status == Status.COMPLETED:
        return Q(status=Status.COMPLETED) | (open_ & Q(end_date__lt=on))
    return Q(status=status)


@dataclass(frozen=True)
class InitiativeMetricProgress:
    metric_code: str
    metric_name: str
    unit: str
    direction: str
    decimals: int
    baseline_entered: float | None
    baseline_date: dt.date | None
    target: float | None
    target_date: dt.date | None
    series: MetricSeries
    measured_at_code: str | None = None  # the link's org unit (None: the company line)
    measured_at_hidden: bool = False  # that unit is outside the viewer's scope: the company line is shown

    @property
    def latest(self) -> MetricPoint | None:
        """The last single value (shown beside the three-period figure, never used for progress)."""
        return self.series.latest

    @property
    def smoothed(self) -> tuple[MetricPoint, ...]:
        return rolling_mean(self.series.points)

    @property
    def now(self) -> WindowMean | None:
        return window_mean(self.series.points)

    @property
    def baseline_measured(self) -> WindowMean | None:
        if self.baseline_date is None:
            return None
        return window_mean(self.series.points, until=self.baseline_date)

    @property
    def baseline(self) -> float | None:
        measured = self.baseline_measured
        return measured.value if measured is not None else self.baseline_entered

    @property
    def baseline_source(self) -> str:
        """ "measured" (from the line shown), "entered", or "" when there is none."""
        if self.baseline_measured is not None:
            return "measured"
        return "entered" if self.baseline_entered is not None else ""

    @property
    def progress(self) -> float | None:
        """Share of the way from baseline to target (can be below 0 or above 1)."""
        now, baseline = self.now, self.baseline
        if now is None or baseline is None or self.target is None or self.target == baseline:
            return None
        return (now.value - baseline) / (self.target - baseline)

    @property
    def progress_percent(self) -> int | None:
        progress = self.progress
        return None if progress is None else round(progress * 100)

    @property
    def progress_bar(self) -> float:
        """The progress clamped to 0..1, for a <progress> element."""
        progress = self.progress
        return 0.0 if progress is None else max(0.0, min(1.0, progress))


@dataclass(frozen=True)
class InitiativeMetricLink:
    """A link as stored, for the edit forms."""

    metric_code: str
    metric_name: str
    org_unit_code: str | None
    baseline: float | None
    baseline_date: dt.date | None
    target: float | None
    target_date: dt.date | None


@dataclass(frozen=True)
class InitiativeSummary:
    code: str
    name: str
    description: str
    status: str  # as shown (initiative_status)
    status_label: str
    stored_status: str
    start_date: dt.date
    end_date: dt.date
    owner_name: str | None
    owner_employee_id: str | None
    sponsor_name: str | None
    sponsor_code: str | None
    metrics: tuple[InitiativeMetricProgress, ...]
    links: tuple[InitiativeMetricLink, ...]


def _initiatives() -> QuerySet[Initiative]:
    return Initiative.objects.select_related("owner", "sponsor_org_unit").prefetch_related(
        Prefetch(
            "metric_links",
            queryset=InitiativeMetric.objects.select_related("metric", "org_unit").order_by("id"),
        )
    )


def _summaries(
    initiatives: list[Initiative], *, scope: PersonScope, self_person_id: int | None, since: dt.date | None
) -> list[InitiativeSummary]:
    on = today()
    links = [link for initiative in initiatives for link in initiative.metric_links.all()]
    metrics: dict[int, MetricDefinition] = {link.metric_id: link.metric for link in links}
    company = metric_company_series(metrics=list(metrics.values()), since=since)
    visible = metric_visible_org_unit_ids(scope=scope, self_person_id=self_person_id)

    def shown(link: InitiativeMetric) -> bool:
        return link.org_unit_id is not None and (visible is None or link.org_unit_id in visible)

    pairs = {
        (link.metric_id, link.org_unit_id or 0)
        for link in links
        if shown(link) and link.metric.grain in UNIT_GRAINS
    }
    unit_values = metric_pair_series(pairs=pairs, since=since)
    result = []
    for initiative in initiatives:
        progress = []
        for link in initiative.metric_links.all():
            series = company[link.metric_id]
            unit = link.org_unit
            if unit is not None and shown(link):
                if link.metric.grain in UNIT_GRAINS:
                    points = unit_values.get((link.metric_id, unit.pk), ())
                    series = MetricSeries(
                        key=unit.code, label=unit.name, org_unit_code=unit.code, points=points
                    )
                else:  # person grain: the unit's mean, hidden below the minimum group size
                    series = metric_unit_series(metric=link.metric, org_unit_ids=[unit.pk], since=since)[0]
            progress.append(
                InitiativeMetricProgress(
                    metric_code=link.metric.code,
                    metric_name=link.metric.name,
                    unit=link.metric.unit,
                    direction=link.metric.direction,
                    decimals=link.metric.decimals,
                    baseline_entered=link.baseline,
                    baseline_date=link.baseline_date,
                    target=link.target,
                    target_date=link.target_date,
                    series=series,
                    measured_at_code=unit.code if unit else None,
                    measured_at_hidden=unit is not None and not shown(link),
                )
            )
        owner = initiative.owner
        sponsor = initiative.sponsor_org_unit
        status = initiative_status(
            stored=initiative.status, start_date=initiative.start_date, end_date=initiative.end_date, on=on
        )
        result.append(
            InitiativeSummary(
                code=initiative.code,
                name=initiative.name,
                description=initiative.description,
                status=status,
                status_label=Status(status).label,
                stored_status=initiative.status,
                start_date=initiative.start_date,
                end_date=initiative.end_date,
                owner_name=owner.full_name if owner else None,
                owner_employee_id=owner.employee_id if owner else None,
                sponsor_name=sponsor.name if sponsor else None,
                sponsor_code=sponsor.code if sponsor else None,
                metrics=tuple(progress),
                links=tuple(
                    InitiativeMetricLink(
                        metric_code=link.metric.code,
                        metric_name=link.metric.name,
                        org_unit_code=link.org_unit.code if link.org_unit else None,
                        baseline=link.baseline,
                        baseline_date=link.baseline_date,
                        target=link.target,
                        target_date=link.target_date,
                    )
                    for link in initiative.metric_links.all()
                ),
            )
        )
    return result


def initiative_list(
    *,
    scope: PersonScope,
    self_person_id: int | None = None,
    status: str = "",
    sponsor_org_unit_ids: set[int] | frozenset[int] | None = None,
    since: dt.date | None = None,
) -> list[InitiativeSummary]:
    """All initiatives (optionally by status as shown, or sponsor units) with metric progress."""
    initiatives = _initiatives().order_by("start_date", "name")
    if status:
        initiatives = initiatives.filter(_status_filter(status, on=today()))
    if sponsor_org_unit_ids is not None:
        initiatives = initiatives.filter(sponsor_org_unit_id__in=sponsor_org_unit_ids)
    return _summaries(list(initiatives), scope=scope, self_person_id=self_person_id, since=since)


def initiative_get(
    *, scope: PersonScope, code: str, self_person_id: int | None = None, since: dt.date | None = None
) -> InitiativeSummary:
    initiative = _initiatives().filter(code=code).first()
    if initiative is None:
        raise AccessDenied(f"No initiative {code}")
    return _summaries([initiative], scope=scope, self_person_id=self_person_id, since=since)[0]


def initiative_count(*, status: str = "") -> int:
    initiatives = Initiative.objects.all()
    if status:
        initiatives = initiatives.filter(_status_filter(status, on=today()))
    return initiatives.count()


def initiative_choices() -> list[tuple[str, str]]:
    """(code, name) of every initiative, by name, for pickers (one query)."""
    return list(Initiative.objects.order_by("name", "code").values_list("code", "name"))
