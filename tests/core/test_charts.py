import datetime as dt
import re

from django.core.cache import caches

from tandem.core.charts import Bar, Rule, Series, bar_chart_svg, line_chart_svg, sparkline_svg

MONTHS = [dt.date(2025, m, 1) for m in range(1, 7)]


def test_line_chart_renders_every_series_and_the_rules_as_svg():
    svg = line_chart_svg(
        series=[
            Series("Sales", [(m, float(i)) for i, m in enumerate(MONTHS)]),
            Series("Customer Service", [(m, 10.0 - i) for i, m in enumerate(MONTHS)]),
        ],
        y_title="tickets",
        rules=[Rule("Target", 8.0), Rule("Baseline", 2.0, kind="baseline")],
        description="Tickets per unit",
    )
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "Sales" in svg and "Customer Service" in svg
    assert "Target: 8" in svg and "Baseline: 2" in svg
    assert "Jan 2025" in svg
    assert 'aria-label="Tickets per unit"' in svg


def test_labels_are_escaped():
    svg = line_chart_svg(series=[Series("<script>alert(1)</script>", [(MONTHS[0], 1.0), (MONTHS[1], 2.0)])])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    svg = line_chart_svg(series=[Series("x", [(MONTHS[0], 1.0)])], description='"><script>')
    assert "<script>" not in svg


def test_gaps_and_empty_series():
    svg = line_chart_svg(series=[Series("A", [(MONTHS[0], 1.0), (MONTHS[1], None), (MONTHS[2], 3.0)])])
    assert "<svg" in svg
    empty = line_chart_svg(series=[Series("A", [])], empty_message="Nothing yet")
    assert "<svg" not in empty and "Nothing yet" in empty


def test_bar_chart_groups_and_sparkline():
    svg = bar_chart_svg(
        bars=[
            Bar("Jan", 3, "Hires"),
            Bar("Jan", 1, "Leavers"),
            Bar("Feb", 2, "Hires"),
            Bar("Feb", 4, "Leavers"),
        ]
    )
    assert "<svg" in svg and "Hires" in svg and "Leavers" in svg
    assert "<svg" in bar_chart_svg(bars=[Bar("Sales", 4), Bar("CS", 2)], horizontal=True)
    assert "<svg" in sparkline_svg(points=[(m, float(i)) for i, m in enumerate(MONTHS)])
    assert "<svg" not in sparkline_svg(points=[(MONTHS[0], 1.0)])


def test_two_charts_never_share_element_ids():
    import re

    first = line_chart_svg(series=[Series("A", [(MONTHS[0], 1.0), (MONTHS[1], 2.0)])])
    second = line_chart_svg(series=[Series("A", [(MONTHS[0], 1.0), (MONTHS[1], 2.0)])])
    ids = set(re.findall(r'id="([^"]+)"', first)) & set(re.findall(r'id="([^"]+)"', second))
    assert not ids


def test_rule_labels_use_the_metric_decimals():
    svg = line_chart_svg(
        series=[Series("A", [(MONTHS[0], 70.0), (MONTHS[1], 80.0)])],
        rules=[Rule("Baseline", 76.0123, kind="baseline", decimals=1)],
    )
    assert "Baseline: 76.0<" in svg and "Baseline: 76.01" not in svg


def test_a_chart_is_drawn_once_per_spec_and_changed_figures_draw_a_new_one():
    cache = caches["charts"]
    cache.clear()
    points = [(dt.date(2025, m, 1), float(m)) for m in range(1, 7)]
    first = line_chart_svg(series=[Series("Tickets", points)])
    assert len(cache._cache) == 1  # the finished SVG, under the hash of its spec
    again = line_chart_svg(series=[Series("Tickets", points)])
    assert len(cache._cache) == 1
    # The same drawing (element ids get a new prefix per chart, so two copies can share a page).
    strip = re.compile(r"c\d+-")
    assert strip.sub("", first) == strip.sub("", again)
    changed = line_chart_svg(series=[Series("Tickets", [*points[:-1], (points[-1][0], 60.0)])])
    assert len(cache._cache) == 2
    assert strip.sub("", changed) != strip.sub("", first)
