from __future__ import annotations

import datetime as dt

from django.utils import timezone


def today() -> dt.date:
    """The current date in the configured time zone (the one place the clock is read)."""
    return timezone.localdate()


def month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    """First days of each month from start's month to end's month, inclusive."""
    months: list[dt.date] = []
    current = start.replace(day=1)
    while current <= end:
        months.append(current)
        current = (current.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return months
