"""Server-side charts: Vega-Lite specs built with Altair, rendered to inline SVG by vl-convert.

No JavaScript and no CDN: the browser receives finished SVG. Labels are escaped by the renderer, so the
SVG is marked safe only here, only from vl-convert's output.

Building a chart with Altair and rendering it costs 50-400 ms, so each chart function's finished SVG is
cached under a hash of all its arguments (the data included): the same figures always give the same key and
changed figures a new one, so a cached chart is never stale and nothing has to be invalidated on write.
Altair's schema validation of each spec costs as much again; it runs when TANDEM_CHART_VALIDATE is on (the
test settings), so every chart the suite draws is still checked.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec

import altair as alt
import vl_convert
from django.conf import settings
from django.core.cache import caches
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ["#0f766e", "#2563eb", "#d97706", "#9333ea", "#dc2626", "#0891b2", "#65a30d", "#db2777", "#475569"]
FONT = "system-ui, -apple-system, Segoe UI, Roboto, DejaVu Sans, sans-serif"
RULE_COLOURS = {"target": "#15803d", "baseline": "#64748b"}

# Per-process counter for unique element ids when several charts share a page (not user data).
_ids = itertools.count(1)
_PREFIXED = re.compile(r'(id="|url\(#)c\d+-')
P = ParamSpec("P")


def _drawn_once(function: Callable[P, SafeString]) -> Callable[P, SafeString]:
    """The chart from the cache when the same arguments drew it before, with fresh element ids."""

    @functools.wraps(function)
    def cached(*args: P.args, **kwargs: P.kwargs) -> SafeString:
        # Arguments are frozen dataclasses, tuples, numbers and strings: their repr is the data itself.
        key = (
            f"chart:{function.__name__}:"
            + hashlib.sha256(repr((args, sorted(kwargs.items()))).encode()).hexdigest()
        )
        cache = caches["charts"]
        svg: str | None = cache.get(key)
        if svg is None:
            drawn = function(*args, **kwargs)
            cache.set(key, str(drawn), timeout=None)
            return drawn
        prefix = f"c{next(_ids)}-"
        return mark_safe(_PREFIXED.sub(lambda m: m.group(1) + prefix, svg))  # noqa: S308 - our own SVG

    return cached


@dataclass(frozen=True)
class Series:
    """One line: a name and (date, value) points; None values leave a gap."""

    name: str
    points: Sequence[tuple[dt.date, float | None]]


@dataclass(frozen=True)
class Rule:
    """A horizontal reference line, e.g. a baseline or a target."""

    label: str
    value: float
    kind: str = "target"  # "target" | "baseline"
    decimals: int | None = None  # for the label only; the line sits at the exact value

    @property
    def text(self) -> str:
        shown = f"{self.value:.{self.decimals}f}" if self.decimals is not None else f"{self.value:g}"
        return f"{self.label}: {shown}"


@dataclass(frozen=True)
class Bar:
    category: str
    value: float
    group: str = ""


def _empty(*, message: str) -> SafeString:
    return mark_safe(f'<p class="muted chart-empty">{escape(message)}</p>')  # noqa: S308 - escaped above


def _config(*, chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return chart.configure(font=FONT, background="transparent").configure_view(stroke=None)


def _spec(*, chart: alt.TopLevelMixin) -> dict[str, Any]:
    spec: dict[str, Any] = _config(chart=chart).to_dict(
        validate=bool(getattr(settings, "TANDEM_CHART_VALIDATE", False))
    )
    return spec


def _render(*, spec: dict[str, Any], description: str) -> SafeString:
    spec["description"] = description
    svg = vl_convert.vegalite_to_svg(spec)
    if not svg.lstrip().startswith("<svg"):
        raise ValueError("vl-convert did not return SVG")
    # Prefix any ids so two charts on one page never clash.
    prefix = f"c{next(_ids)}-"
    svg = re.sub(r'id="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", svg)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(description)}" ', 1)
    return mark_safe(svg)  # noqa: S308 - vl-convert escapes every label it writes


def _month_step(*, days: Sequence[dt.date]) -> int:
    """Months between axis ticks: every month for short series, fewer as the span grows."""
    if not days:
        return 1
    span = (max(days).year - min(days).year) * 12 + max(days).month - min(days).month + 1
    for limit, step in ((8, 1), (16, 2), (36, 3), (72, 6)):
        if span <= limit:
            return step
    return 12


def _x_date(*, title: str, days: Sequence[dt.date]) -> alt.X:
    # Dates are calendar days, so read and label them in UTC (no time-zone shift of a month start).
    return alt.X(
        "utcyearmonthdate(date):T",
        title=title or None,
        axis=alt.Axis(
            format="%b %Y",
            labelOverlap=True,
            grid=False,
            tickCount={"interval": "month", "step": _month_step(days=days)},
        ),
    )


@_drawn_once
def line_chart_svg(
    *,
    series: Sequence[Series],
    x_title: str = "",
    y_title: str = "",
    rules: Sequence[Rule] = (),
    width: int = 560,
    height: int = 220,
    zero: bool = False,
    description: str = "Line chart",
    empty_message: str = "No data to chart yet.",
) -> SafeString:
    """Time series, one line per series, with optional dashed target/baseline rules."""
    rows = [
        {"date": day.isoformat(), "value": value, "series": line.name}
        for line in series
        for day, value in line.points
        if value is not None
    ]
    if not rows:
        return _empty(message=empty_message)
    names = [line.name for line in series]
    colour = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=names, range=PALETTE[: len(names)] or PALETTE),
        legend=alt.Legend(orient="bottom", labelLimit=220) if len(names) > 1 else None,
    )
    lines = (
        alt.Chart(alt.Data(values=rows))
        .mark_line(point=alt.OverlayMarkDef(size=22), strokeWidth=2)
        .encode(
            x=_x_date(
                title=x_title,
                days=[day for line in series for day, value in line.points if value is not None],
            ),
            y=alt.Y("value:Q", title=y_title or None, scale=alt.Scale(zero=zero)),
            color=colour,
            detail="series:N",
        )
    )
    layers: list[alt.Chart] = [lines]
    if rules:
        rule_rows = [{"value": r.value, "label": r.text, "kind": r.kind} for r in rules]
        rule_data = alt.Data(values=rule_rows)
        kinds = sorted({r.kind for r in rules})
        rule_colour = alt.Color(
            "kind:N",
            scale=alt.Scale(domain=kinds, range=[RULE_COLOURS.get(k, "#64748b") for k in kinds]),
            legend=None,
        )
        layers.append(
            alt.Chart(rule_data)
            .mark_rule(strokeDash=[6, 4], strokeWidth=1.5)
            .encode(y="value:Q", color=rule_colour)
        )
        layers.append(
            alt.Chart(rule_data)
            .mark_text(align="right", baseline="bottom", dy=-2, fontSize=11)
            .encode(y="value:Q", x=alt.value(width), text="label:N", color=rule_colour)
        )
    chart = alt.layer(*layers).resolve_scale(color="independent").properties(width=width, height=height)
    return _render(spec=_spec(chart=chart), description=description)


@_drawn_once
def sparkline_svg(
    *,
    points: Sequence[tuple[dt.date, float | None]],
    width: int = 150,
    height: int = 36,
    description: str = "Trend",
) -> SafeString:
    """A small axis-less trend line for lists and cards."""
    rows = [{"date": day.isoformat(), "value": value} for day, value in points if value is not None]
    if len(rows) < 2:
        return _empty(message="Not enough data for a trend.")
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_line(strokeWidth=1.8, color=PALETTE[0])
        .encode(
            x=alt.X("date:T", axis=None, scale=alt.Scale(type="utc")),
            y=alt.Y("value:Q", axis=None, scale=alt.Scale(zero=False)),
        )
        .properties(width=width, height=height)
    )
    spec = _spec(chart=chart)
    spec["padding"] = 2
    return _render(spec=spec, description=description)


@_drawn_once
def bar_chart_svg(
    *,
    bars: Sequence[Bar],
    x_title: str = "",
    y_title: str = "",
    horizontal: bool = False,
    width: int = 560,
    height: int = 220,
    description: str = "Bar chart",
    empty_message: str = "No data to chart yet.",
) -> SafeString:
    """Bars per category; bars with a group are drawn side by side and coloured by group."""
    if not bars:
        return _empty(message=empty_message)
    rows = [{"category": b.category, "value": b.value, "group": b.group} for b in bars]
    categories = list(dict.fromkeys(b.category for b in bars))
    groups = list(dict.fromkeys(b.group for b in bars))
    grouped = len(groups) > 1
    category = alt.X if not horizontal else alt.Y
    measure = alt.Y if not horizontal else alt.X
    encoding: dict[str, Any] = {
        ("x" if not horizontal else "y"): category(
            "category:N", title=x_title or None, sort=categories, axis=alt.Axis(labelAngle=0, labelLimit=160)
        ),
        ("y" if not horizontal else "x"): measure("value:Q", title=y_title or None),
        "color": alt.Color(
            "group:N",
            title=None,
            scale=alt.Scale(domain=groups, range=PALETTE[: len(groups)]),
            legend=alt.Legend(orient="bottom") if grouped else None,
        ),
    }
    if grouped:
        encoding["yOffset" if horizontal else "xOffset"] = (
            alt.XOffset("group:N", sort=groups) if not horizontal else alt.YOffset("group:N", sort=groups)
        )
    chart = (
        alt.Chart(alt.Data(values=rows)).mark_bar().encode(**encoding).properties(width=width, height=height)
    )
    return _render(spec=_spec(chart=chart), description=description)


@dataclass(frozen=True)
class XYPoint:
    """A point on a numeric x axis, with an optional interval (drawn as an error bar)."""

    x: float
    y: float
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class XYSeries:
    name: str
    points: Sequence[XYPoint]


@dataclass(frozen=True)
class Marker:
    """A dashed reference line across the chart: horizontal (axis "y") or vertical (axis "x")."""

    label: str
    value: float
    axis: str = "y"


@_drawn_once
def xy_chart_svg(
    *,
    series: Sequence[XYSeries],
    x_title: str = "",
    y_title: str = "",
    markers: Sequence[Marker] = (),
    width: int = 560,
    height: int = 240,
    x_format: str = "",
    y_format: str = "",
    description: str = "Chart",
    empty_message: str = "No data to chart yet.",
) -> SafeString:
    """Lines over a numeric x axis (event time, group size, effect) with optional error bars and markers.

    The Vega-Lite spec is written as a plain dict (no Altair validation): a page draws several of these.
    """
    rows = [
        {"x": p.x, "y": p.y, "low": p.low, "high": p.high, "series": line.name}
        for line in series
        for p in line.points
    ]
    if not rows:
        return _empty(message=empty_message)
    names = [line.name for line in series]
    colour = {
        "field": "series",
        "type": "nominal",
        "title": None,
        "scale": {"domain": names, "range": PALETTE[: len(names)] or PALETTE},
        "legend": {"orient": "bottom", "labelLimit": 260} if len(names) > 1 else None,
    }
    x_axis: dict[str, Any] = {"grid": False, **({"format": x_format} if x_format else {})}
    y_axis: dict[str, Any] = {"format": y_format} if y_format else {}

    def x(field: str = "x") -> dict[str, Any]:
        return {"field": field, "type": "quantitative", "title": x_title or None, "axis": x_axis}

    def y(field: str = "y") -> dict[str, Any]:
        return {
            "field": field,
            "type": "quantitative",
            "title": y_title or None,
            "scale": {"zero": False},
            "axis": y_axis,
        }

    layers: list[dict[str, Any]] = []
    if any(p.low is not None and p.high is not None for line in series for p in line.points):
        layers.append(
            {
                "transform": [{"filter": "isValid(datum.low) && isValid(datum.high)"}],
                "mark": {"type": "rule", "strokeWidth": 1.5, "opacity": 0.55},
                "encoding": {"x": x(), "y": y("low"), "y2": {"field": "high"}, "color": colour},
            }
        )
    layers.append(
        {
            "mark": {"type": "line", "point": {"size": 30}, "strokeWidth": 2},
            "encoding": {"x": x(), "y": y(), "color": colour},
        }
    )
    for m in markers:
        data = {"values": [{"value": m.value, "label": m.label}]}
        position = x("value") if m.axis == "x" else y("value")
        layers.append(
            {
                "data": data,
                "mark": {"type": "rule", "strokeDash": [6, 4], "strokeWidth": 1.2, "color": "#64748b"},
                "encoding": {m.axis: position},
            }
        )
        text: dict[str, Any] = (
            {"y": position, "x": {"value": width}, "text": {"field": "label"}}
            if m.axis == "y"
            else {"x": position, "y": {"value": 2}, "text": {"field": "label"}}
        )
        layers.append(
            {
                "data": data,
                "mark": {
                    "type": "text",
                    "fontSize": 11,
                    "color": "#475569",
                    **(
                        {"align": "right", "baseline": "bottom", "dy": -2}
                        if m.axis == "y"
                        else {"align": "left", "baseline": "top", "dx": 3}
                    ),
                },
                "encoding": text,
            }
        )
    spec: dict[str, Any] = {
        "width": width,
        "height": height,
        "background": "transparent",
        "config": {"font": FONT, "view": {"stroke": None}},
        "data": {"values": rows},
        "layer": layers,
    }
    return _render(spec=spec, description=description)
