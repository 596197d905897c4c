"""Pieces several home pages share: the headcount chart and the date windows."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.safestring import SafeString

from tandem.core.charts import Series, line_chart_svg
from tandem.core.dates import month_starts
from tandem.org.selectors import headcount_series

MONTHS = 24
# "Recent" learning on the home pages: the last 90 days.
RECENT_DAYS = 90


def months_back(*, on: dt.date) -> list[dt.date]:
    start = on.replace(day=1)
    for _ in range(MONTHS - 1):
        start = (start - dt.timedelta(days=1)).replace(day=1)
    return month_starts(start, on)


def headcount_chart(*, name: str, unit_ids: set[int] | None, on: dt.date) -> SafeString:
    series = headcount_series(months=months_back(on=on), org_unit_ids=unit_ids)
    return line_chart_svg(
        series=[Series(name=name, points=[(month, float(count)) for month, count in series])],
        y_title="People",
        zero=True,
        description=f"Headcount of {name} over the last {MONTHS} months",
    )


def initiatives_since(*, on: dt.date) -> dt.date:
    return on - dt.timedelta(days=3 * 365)


def now() -> dt.datetime:
    return timezone.now()
