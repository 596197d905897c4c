"""Reads for metrics, limited by the viewer's scope.

Who sees what: everyone with metric access sees company-level values; stakeholders the org units in their
scope; managers the units their people sit in. Person-grain metrics are shown per org unit as a mean, with
no figure for groups smaller than settings.TANDEM_MIN_GROUP_SIZE; individual values only for people the
viewer manages (or everyone, for L&D).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Avg, Count, OuterRef, Q, QuerySet, Subquery, Sum

from tandem.core.scope import AccessDenied, PersonScope
from tandem.metrics.models import MetricDefinition, MetricObservation
from tandem.org.models import Assignment, OrgUnit, Person

UNIT_GRAINS = (MetricDefinition.Grain.ORG_UNIT, MetricDefinition.Grain.TEAM)


@dataclass(frozen=True)
class MetricPoint:
    period_start: dt.date
    value: float | None  # None when hidden by the minimum group size
    people: int | None = None  # how many people a person-grain figure averages
    suppressed: bool = False


@dataclass(frozen=True)
class MetricSeries:
    key: str  # "company" or an org unit code
    label: str
    org_unit_code: str | None
    points: tuple[MetricPoint, ...]
    derived: bool = False  # computed from lower-level values rather than recorded at this level

    @property
    def latest(self) -> MetricPoint | None:
        for point in reversed(self.points):
            if point.value is not None:
                return point
        return None

    @property
    def chart_points(self) -> list[tuple[dt.date, float | None]]:
        return [(p.period_start, p.value) for p in self.points]

    def at(self, period: dt.date) -> MetricPoint | None:
        for point in self.points:
            if point.period_start == period:
                return point
        return None


SMOOTHING_PERIODS = 3  # a period value is the mean of the last three values (see window_mean)


@dataclass(frozen=True)
class WindowMean:
    """The mean of up to SMOOTHING_PERIODS consecutive recorded values of a line, and which they were."""

    value: float
    first_period: dt.date
    last_period: dt.date
    count: int


def window_mean(
    points: Sequence[MetricPoint], *, until: dt.date | None = None, periods: int = SMOOTHING_PERIODS
) -> WindowMean | None:
    """The mean of the last `periods` values on or before `until` (all dates when None).

    One month of a small unit is noise (one leaver in 30 people is 3.3 points of attrition); initiative
    baselines and progress are read from this mean so that the figure and the charted average agree.
    Hidden values (below the minimum group size) are skipped, not counted as zero.
    """
    values = [p for p in points if p.value is not None and (until is None or p.period_start <= until)]
    window = values[-periods:]
    if not window:
        return None
    return WindowMean(
        value=sum(p.value for p in window if p.value is not None) / len(window),
        first_period=window[0].period_start,
        last_period=window[-1].period_start,
        count=len(window),
    )


def rolling_mean(
    points: Sequence[MetricPoint], *, periods: int = SMOOTHING_PERIODS
) -> tuple[MetricPoint, ...]:
    """The line of window means: at each recorded value, the mean of it and the values before it."""
    result = []
    for point in points:
        if point.value is None:
            continue
        mean = window_mean(points, until=point.period_start, periods=periods)
        result.append(MetricPoint(period_start=point.period_start, value=mean.value if mean else None))
    return tuple(result)


@dataclass(frozen=True)
class OrgUnitOption:
    id: int
    code: str
    name: str
    depth: int
    parent_id: int | None
    kind: str

    @property
    def indented_name(self) -> str:
        return "\u00a0\u00a0" * max(self.depth, 0) + self.name


@dataclass(frozen=True)
class PersonValue:
    employee_id: str
    name: str
    org_unit_name: str
    period_start: dt.date
    value: float


@dataclass(frozen=True)
class ObservationView:
    """One observation as the API shows it."""

    period_start: dt.date
    level: str  # "company" | "org_unit" | "person"
    org_unit_code: str | None
    employee_id: str | None
    value: float
    source: str


def min_group_size() -> int:
    return int(settings.TANDEM_MIN_GROUP_SIZE)


def metric_list() -> QuerySet[MetricDefinition]:
    return MetricDefinition.objects.order_by("name")


def metric_get(*, code: str) -> MetricDefinition:
    metric = MetricDefinition.objects.filter(code=code).first()
    if metric is None:
        raise AccessDenied(f"No metric {code}")
    return metric


def metric_visible_org_unit_ids(*, scope: PersonScope, self_person_id: int | None = None) -> set[int] | None:
    """Org units whose values this scope may see; None means all of them.

    Stakeholder scope already holds descendant-expanded unit ids. Managers see the units their people sit
    in; the viewer's own record does not open their unit (a learner sees company level only).
    """
    if scope.everyone:
        return None
    visible = set(scope.org_unit_ids)
    managed = set(scope.person_ids) - ({self_person_id} if self_person_id else set())
    if managed:
        visible |= set(
            Person.objects.filter(pk__in=managed, org_unit_id__isnull=False).values_list(
                "org_unit_id", flat=True
            )
        )
    return visible


def metric_org_unit_options(*, metric: MetricDefinition, visible: set[int] | None) -> list[OrgUnitOption]:
    """Units a viewer can filter this metric by: those with values recorded (org grain), or the units of the
    people with values and the units above them (person grain)."""
    if metric.grain == MetricDefinition.Grain.COMPANY:
        return []
    units = OrgUnit.objects.order_by("path")
    if metric.grain in UNIT_GRAINS:
        units = units.filter(
            pk__in=MetricObservation.objects.filter(metric=metric, org_unit_id__isnull=False)
            .order_by()
            .values("org_unit_id")
        )
    else:
        # People's current units are enough to offer a filter; the figures themselves use the unit
        # each person sat in at the time.
        leaf_paths = (
            OrgUnit.objects.filter(
                pk__in=Person.objects.filter(
                    pk__in=MetricObservation.objects.filter(metric=metric, person_id__isnull=False)
                    .order_by()
                    .values("person_id")
                )
                .order_by()
                .values("org_unit_id")
            )
            .order_by()
            .values_list("path", flat=True)
        )
        ids = {int(part) for path in leaf_paths for part in path.strip("/").split("/") if part}
        units = units.filter(pk__in=ids, valid_to__isnull=True)
    if visible is not None:
        units = units.filter(pk__in=visible)
    return [
        OrgUnitOption(
            id=u.pk, code=u.code, name=u.name, depth=u.path.count("/") - 2, parent_id=u.parent_id, kind=u.kind
        )
        for u in units.only("id", "code", "name", "path", "parent_id", "kind")
    ]


def _period(
    query: QuerySet[MetricObservation], *, since: dt.date | None, until: dt.date | None
) -> QuerySet[MetricObservation]:
    if since:
        query = query.filter(period_start__gte=since)
    if until:
        query = query.filter(period_start__lte=until)
    return query


def _suppress(*, period: dt.date, total: float, people: int, minimum: int) -> MetricPoint:
    if people < minimum:
        return MetricPoint(period_start=period, value=None, people=people, suppressed=True)
    return MetricPoint(period_start=period, value=total / people, people=people)


def metric_company_series(
    *, metrics: Sequence[MetricDefinition], since: dt.date | None = None, until: dt.date | None = None
) -> dict[int, MetricSeries]:
    """The company-level line of each metric, in at most three queries.

    Recorded company values where they exist; otherwise the mean across org units (org grain) or across
    people (person grain, hidden below the minimum group size).
    """
    ids = [m.pk for m in metrics]
    result: dict[int, MetricSeries] = {}
    points: dict[int, list[MetricPoint]] = defaultdict(list)
    recorded = _period(
        MetricObservation.objects.filter(metric_id__in=ids, entity_key="company"), since=since, until=until
    )
    for metric_id, period, value in recorded.order_by("metric_id", "period_start").values_list(
        "metric_id", "period_start", "value"
    ):
        points[metric_id].append(MetricPoint(period_start=period, value=value))
    for metric_id, series_points in points.items():
        result[metric_id] = MetricSeries(
            key="company", label="Company", org_unit_code=None, points=tuple(series_points)
        )

    missing = [m for m in metrics if m.pk not in result]
    by_unit = [m.pk for m in missing if m.grain in UNIT_GRAINS]
    by_person = [m.pk for m in missing if m.grain == MetricDefinition.Grain.PERSON]
    derived: dict[int, list[MetricPoint]] = defaultdict(list)
    if by_unit:
        rows = (
            _period(
                MetricObservation.objects.filter(metric_id__in=by_unit, org_unit_id__isnull=False),
                since=since,
                until=until,
            )
            .values("metric_id", "period_start")
            .annotate(mean=Avg("value"))
            .order_by("metric_id", "period_start")
        )
        for row in rows:
            derived[row["metric_id"]].append(MetricPoint(period_start=row["period_start"], value=row["mean"]))
    if by_person:
        minimum = min_group_size()
        person_rows = (
            _period(
                MetricObservation.objects.filter(metric_id__in=by_person, person_id__isnull=False),
                since=since,
                until=until,
            )
            .values("metric_id", "period_start")
            .annotate(total=Sum("value"), people=Count("id"))
            .order_by("metric_id", "period_start")
        )
        for row in person_rows:
            derived[row["metric_id"]].append(
                _suppress(
                    period=row["period_start"], total=row["total"], people=row["people"], minimum=minimum
                )
            )
    for metric in missing:
        label = "Average across org units" if metric.grain in UNIT_GRAINS else "Average across people"
        result[metric.pk] = MetricSeries(
            key="company",
            label=label,
            org_unit_code=None,
            points=tuple(derived.get(metric.pk, [])),
            derived=True,
        )
    return result


def _person_grain_unit_totals(
    *, metric_id: int, since: dt.date | None, until: dt.date | None
) -> dict[tuple[dt.date, int], tuple[float, int]]:
    """Sum and count of person values per (period, unit), rolled up to every ancestor unit.

    Each value counts for the unit the person was assigned to at the start of that period.
    """
    unit_then = (
        Assignment.objects.filter(person_id=OuterRef("person_id"), valid_from__lte=OuterRef("period_start"))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=OuterRef("period_start")))
        .order_by("-valid_from")
        .values("org_unit_id")[:1]
    )
    rows = (
        _period(
            MetricObservation.objects.filter(metric_id=metric_id, person_id__isnull=False),
            since=since,
            until=until,
        )
        .annotate(unit_id=Subquery(unit_then))
        .values("period_start", "unit_id")
        .annotate(total=Sum("value"), people=Count("id"))
        .order_by()
    )
    paths = dict(OrgUnit.objects.values_list("id", "path"))
    totals: dict[tuple[dt.date, int], list[float]] = defaultdict(lambda: [0.0, 0])
    for row in rows:
        if row["unit_id"] is None:
            continue
        for part in paths.get(row["unit_id"], "").strip("/").split("/"):
            if part:
                bucket = totals[(row["period_start"], int(part))]
                bucket[0] += row["total"]
                bucket[1] += row["people"]
    return {key: (value[0], int(value[1])) for key, value in totals.items()}


def metric_unit_series(
    *,
    metric: MetricDefinition,
    org_unit_ids: Sequence[int],
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[MetricSeries]:
    """One series per requested unit, in the order given (callers pass only units the viewer may see)."""
    if not org_unit_ids or metric.grain == MetricDefinition.Grain.COMPANY:
        return []
    units = OrgUnit.objects.in_bulk(list(org_unit_ids))
    by_unit: dict[int, list[MetricPoint]] = defaultdict(list)
    if metric.grain in UNIT_GRAINS:
        rows = _period(
            MetricObservation.objects.filter(metric=metric, org_unit_id__in=list(org_unit_ids)),
            since=since,
            until=until,
        ).order_by("period_start")
        for unit_id, period, value in rows.values_list("org_unit_id", "period_start", "value"):
            by_unit[unit_id].append(MetricPoint(period_start=period, value=value))
    else:
        minimum = min_group_size()
        totals = _person_grain_unit_totals(metric_id=metric.pk, since=since, until=until)
        wanted = set(org_unit_ids)
        for (period, unit_id), (total, people) in sorted(totals.items()):
            if unit_id in wanted:
                by_unit[unit_id].append(_suppress(period=period, total=total, people=people, minimum=minimum))
    return [
        MetricSeries(
            key=units[unit_id].code,
            label=units[unit_id].name,
            org_unit_code=units[unit_id].code,
            points=tuple(by_unit.get(unit_id, [])),
            derived=metric.grain == MetricDefinition.Grain.PERSON,
        )
        for unit_id in org_unit_ids
        if unit_id in units
    ]


def metric_pair_series(
    *, pairs: Iterable[tuple[int, int]], since: dt.date | None = None
) -> dict[tuple[int, int], tuple[MetricPoint, ...]]:
    """Recorded values for many (metric id, org unit id) pairs in one query (org-grain metrics)."""
    wanted = set(pairs)
    if not wanted:
        return {}
    metric_ids = {m for m, _ in wanted}
    unit_ids = {u for _, u in wanted}
    rows = _period(
        MetricObservation.objects.filter(metric_id__in=metric_ids, org_unit_id__in=unit_ids),
        since=since,
        until=None,
    ).order_by("period_start")
    found: dict[tuple[int, int], list[MetricPoint]] = defaultdict(list)
    for metric_id, unit_id, period, value in rows.values_list(
        "metric_id", "org_unit_id", "period_start", "value"
    ):
        if (metric_id, unit_id) in wanted:
            found[(metric_id, unit_id)].append(MetricPoint(period_start=period, value=value))
    return {key: tuple(points) for key, points in found.items()}


def metric_person_values_allowed(*, scope: PersonScope) -> bool:
    """Individual values: L&D (everyone) or people the viewer manages (their reporting line)."""
    return scope.everyone or bool(scope.person_ids)


def metric_person_values(
    *,
    metric: MetricDefinition,
    scope: PersonScope,
    self_person_id: int | None = None,
    org_unit_ids: set[int] | None = None,
    period: dt.date | None = None,
    limit: int = 200,
) -> list[PersonValue]:
    """Individual values for one period (the latest by default), only for people the viewer may see one by one.

    Stakeholder org-unit scope does not open individual values; only L&D and managers (for their reports).
    """
    if metric.grain != MetricDefinition.Grain.PERSON:
        return []
    observations = MetricObservation.objects.filter(metric=metric, person_id__isnull=False)
    if not scope.everyone:
        managed = set(scope.person_ids) - ({self_person_id} if self_person_id else set())
        if not managed:
            return []
        observations = observations.filter(person_id__in=managed)
    if org_unit_ids is not None:
        observations = observations.filter(person__org_unit_id__in=org_unit_ids)
    if period is None:
        period = observations.order_by("-period_start").values_list("period_start", flat=True).first()
        if period is None:
            return []
    rows = (
        observations.filter(period_start=period)
        .order_by("person__last_name", "person__first_name")
        .values_list(
            "person__employee_id",
            "person__first_name",
            "person__last_name",
            "person__org_unit__name",
            "value",
        )[:limit]
    )
    return [
        PersonValue(
            employee_id=employee_id,
            name=f"{first} {last}",
            org_unit_name=unit_name or "",
            period_start=period,
            value=value,
        )
        for employee_id, first, last, unit_name, value in rows
    ]


def metric_observation_list(
    *,
    metric: MetricDefinition,
    scope: PersonScope,
    self_person_id: int | None = None,
    org_unit_ids: set[int] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[MetricObservation]:
    """Raw observations the viewer may see (for the API): company rows, visible units, allowed people.

    org_unit_ids narrows to those units (their unit rows and their people's rows), dropping company rows.
    """
    visible = metric_visible_org_unit_ids(scope=scope, self_person_id=self_person_id)
    unit_rows = Q(org_unit_id__isnull=False, person_id__isnull=True)
    if visible is not None:
        unit_rows &= Q(org_unit_id__in=visible)
    person_rows = Q(person_id__isnull=False)
    if not scope.everyone:
        managed = set(scope.person_ids) - ({self_person_id} if self_person_id else set())
        person_rows &= Q(person_id__in=managed)
    allowed = Q(entity_key="company") | unit_rows | person_rows
    observations = MetricObservation.objects.filter(allowed, metric=metric)
    if org_unit_ids is not None:
        observations = observations.filter(
            Q(org_unit_id__in=org_unit_ids, person_id__isnull=True) | Q(person__org_unit_id__in=org_unit_ids)
        )
    return (
        _period(observations, since=since, until=until)
        .select_related("org_unit", "person")
        .order_by("period_start", "entity_key", "id")
    )


def observation_view(*, observation: MetricObservation) -> ObservationView:
    level = "person" if observation.person_id else "org_unit" if observation.org_unit_id else "company"
    return ObservationView(
        period_start=observation.period_start,
        level=level,
        org_unit_code=observation.org_unit.code if observation.org_unit_id and observation.org_unit else None,
        employee_id=observation.person.employee_id if observation.person_id and observation.person else None,
        value=observation.value,
        source=observation.source,
    )


def org_unit_metric_list(*, org_unit_id: int) -> QuerySet[MetricDefinition]:
    """Metrics with values recorded at this org unit."""
    return MetricDefinition.objects.filter(
        pk__in=MetricObservation.objects.filter(org_unit_id=org_unit_id, person_id__isnull=True)
        .order_by()
        .values("metric_id")
    ).order_by("name")
