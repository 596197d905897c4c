"""The program report's charts, shared by the impact page and the exports (so both show the same picture)."""

from __future__ import annotations

from django.utils.safestring import SafeString

from tandem.core.charts import Marker, Series, XYPoint, XYSeries, line_chart_svg, xy_chart_svg
from tandem.impact.estimates import ImpactEstimate

EVENT_WINDOW = 12  # months before the start shown in the event-study chart


def event_chart_svg(*, estimate: ImpactEstimate, width: int = 720, height: int = 260) -> SafeString:
    shown = [p for p in estimate.event_study if p.relative_month >= -EVENT_WINDOW]
    before = [
        XYPoint(p.relative_month, p.estimate, p.ci_low, p.ci_high) for p in shown if p.relative_month < 0
    ]
    after = [
        XYPoint(p.relative_month, p.estimate, p.ci_low, p.ci_high) for p in shown if p.relative_month >= 0
    ]
    return xy_chart_svg(
        series=[
            XYSeries("Before the start (should hover around zero)", before),
            XYSeries("After the start", after),
        ],
        x_title="Months since the team started (0 = first month)",
        y_title=f"Difference ({estimate.unit})",
        markers=[Marker("No difference", 0.0, "y"), Marker("Start", -0.5, "x")],
        width=width,
        height=height,
        x_format="d",
        description=f"Event study: difference between participants and comparison in {estimate.metric_name} "
        "by month since the start, with 95% confidence intervals",
    )


def trend_chart_svg(*, estimate: ImpactEstimate, width: int = 720, height: int = 260) -> SafeString:
    return line_chart_svg(
        series=[
            Series(name=f"{line.label}, {line.people} people", points=line.points) for line in estimate.trends
        ],
        y_title=f"{estimate.metric_name} ({estimate.unit}), mean",
        width=width,
        height=height,
        description=f"Average {estimate.metric_name} per month for each wave and the comparison group",
        empty_message="No group is large enough to chart.",
    )
