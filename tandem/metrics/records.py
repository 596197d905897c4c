from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class ObservationRow:
    """One value of a metric for one entity in one period.

    entity_kind: "person" (entity_code = employee id), "org_unit" (entity_code = org unit code) or "company".
    """

    metric_code: str
    period_start: dt.date
    entity_kind: str
    entity_code: str
    value: float
