"""Reads for initiatives: the goals, and how far their metrics have moved from baseline to target.

Initiatives are company-wide, so every viewer with access sees all of them. A metric's progress is read
from the sponsor org unit's values when the viewer may see that unit and it has values, otherwise from the
company-level line (the same scope rules as the metric pages).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from tandem.core.scope import AccessDenied, PersonScope
from tandem.initiatives.models import Initiative, InitiativeMetric
from tandem.metrics.models import MetricDefinition
from tandem.metrics.selectors import (
    UNIT_GRAINS,
    MetricPoint,
    MetricSeries,
    metric_company_series,
    metric_pair_series,
    metric_visible_org_unit_ids,
)


@dataclass(frozen=True)
class InitiativeMetricProgress:
    metric_code: str
    metric_name: str
    unit: str
    direction: str
    decimals: int
    baseline: float | None
    baseline_date: dt.date | None
    target: float | None
    target_date: dt.date | None
    series: MetricSeries

    @property
    def latest(self) -> MetricPoint | None:
        return self.series.latest

    @property
    def progress(self) -> float | None:
        """Share of the way from baseline to target (can be below 0 or above 1)."""
        latest = self.latest
        if latest is None or latest.value is None or self.baseline is None or self.target is None:
            return None
        if self.target == self.baseline:
            return None
        return (latest.value - self.baseline) / (self.target - self.baseline)

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
class InitiativeSummary:
    code: str
    name: str
    description: str
    status: str
    status_label: str
    start_date: dt.date
    end_date: dt.date
    owner_name: str | None
    owner_employee_id: str | None
    sponsor_name: str | None
    sponsor_code: str | None
    metrics: tuple[InitiativeMetricProgress, ...]


def _initiatives() -> QuerySet[Initiative]:
    return Initiative.objects.select_related("owner", "sponsor_org_unit").prefetch_related(
        Prefetch("metric_links", queryset=InitiativeMetric.objects.select_related("metric").order_by("id"))
    )


def _summaries(
    initiatives: list[Initiative], *, scope: PersonScope, self_person_id: int | None, since: dt.date | None
) -> list[InitiativeSummary]:
    links = [link for initiative in initiatives for link in initiative.metric_links.all()]
    metrics: dict[int, MetricDefinition] = {link.metric_id: link.metric for link in links}
    company = metric_company_series(metrics=list(metrics.values()), since=since)
    visible = metric_visible_org_unit_ids(scope=scope, self_person_id=self_person_id)
    pairs = {
        (link.metric_id, initiative.sponsor_org_unit_id)
        for initiative in initiatives
        for link in initiative.metric_links.all()
        if initiative.sponsor_org_unit_id
        and link.metric.grain in UNIT_GRAINS
        and (visible is None or initiative.sponsor_org_unit_id in visible)
    }
    unit_values = metric_pair_series(pairs=pairs, since=since)
    result = []
    for initiative in initiatives:
        sponsor = initiative.sponsor_org_unit
        progress = []
        for link in initiative.metric_links.all():
            points = unit_values.get((link.metric_id, initiative.sponsor_org_unit_id or 0))
            if points and sponsor is not None:
                series = MetricSeries(
                    key=sponsor.code, label=sponsor.name, org_unit_code=sponsor.code, points=points
                )
            else:
                series = company[link.metric_id]
            progress.append(
                InitiativeMetricProgress(
                    metric_code=link.metric.code,
                    metric_name=link.metric.name,
                    unit=link.metric.unit,
                    direction=link.metric.direction,
                    decimals=link.metric.decimals,
                    baseline=link.baseline,
                    baseline_date=link.baseline_date,
                    target=link.target,
                    target_date=link.target_date,
                    series=series,
                )
            )
        owner = initiative.owner
        result.append(
            InitiativeSummary(
                code=initiative.code,
                name=initiative.name,
                description=initiative.description,
                status=initiative.status,
                status_label=initiative.get_status_display(),
                start_date=initiative.start_date,
                end_date=initiative.end_date,
                owner_name=owner.full_name if owner else None,
                owner_employee_id=owner.employee_id if owner else None,
                sponsor_name=sponsor.name if sponsor else None,
                sponsor_code=sponsor.code if sponsor else None,
                metrics=tuple(progress),
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
    """All initiatives (optionally by status or sponsor units) with metric progress, in bounded queries."""
    initiatives = _initiatives().order_by("start_date", "name")
    if status:
        initiatives = initiatives.filter(status=status)
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
        initiatives = initiatives.filter(status=status)
    return initiatives.count()
