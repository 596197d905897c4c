"""One presenter for every figure Tandem shows: the program page, the home pages, the HTML, PDF, XLSX and CSV
exports and the case study all format numbers here, so "€345.20", "425 people" and "+4.8 pp" read the same
wherever they appear (the report once had three renderers with three number formats).

Amounts are in settings.TANDEM_CURRENCY (an ISO 4217 code). Without a value every function returns "—".
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from tandem.impact.assembly import Caveat, ProgramImpact
from tandem.impact.estimates import ImpactEstimate
from tandem.reports.records import TierFigure

NONE = "—"
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹"}
VERDICTS = {"scale": "Scale", "iterate": "Iterate", "stop": "Stop"}
CAVEAT_BADGES = {"imbalanced": "warn", "pilot_below_plan": "warn", "pretrend": "bad"}


def currency_code() -> str:
    return str(getattr(settings, "TANDEM_CURRENCY", "EUR") or "EUR").upper()


def currency_symbol(code: str | None = None) -> str:
    """ "€" for EUR, the code itself ("SEK") where no symbol is unambiguous."""
    code = code or currency_code()
    return SYMBOLS.get(code, code)


def number(value: float | None, decimals: int = 1) -> str:
    if value is None:
        return NONE
    return f"{value:,.{decimals}f}"


def signed(value: float | None, decimals: int = 1) -> str:
    if value is None:
        return NONE
    return f"{value:+,.{decimals}f}"


def percent(value: float | None, decimals: int = 0, *, sign: bool = False) -> str:
    if value is None:
        return NONE
    return f"{value:{'+' if sign else ''},.{decimals}f}%"


def share(value: float | None, decimals: int = 0) -> str:
    """A probability (0..1) as a percentage: 0.55 -> "55%"."""
    return NONE if value is None else percent(100 * value, decimals)


def points(value: float | None, decimals: int = 1) -> str:
    """Percentage points, signed: "+4.8 pp"."""
    return NONE if value is None else f"{signed(value, decimals)} pp"


def money(value: float | None, decimals: int = 2, *, currency: str | None = None) -> str:
    """ "€345.20"; "-€1,200" with decimals=0; "SEK 345.20" for a currency without its own symbol."""
    if value is None:
        return NONE
    symbol = currency_symbol(currency)
    sign = "-" if value < 0 else ""
    amount = f"{abs(value):,.{decimals}f}"
    return f"{sign}{symbol}{amount}" if len(symbol) == 1 else f"{sign}{symbol} {amount}"


def count(value: float | None, noun: str = "people", singular: str | None = None) -> str:
    """ "425 people", "1 person": always a whole number."""
    if value is None:
        return NONE
    n = round(value)
    word = (singular or ("person" if noun == "people" else noun.rstrip("s"))) if n == 1 else noun
    return f"{n:,} {word}"


def interval(low: float | None, high: float | None, decimals: int = 1) -> str:
    if low is None or high is None:
        return NONE
    return f"95% CI {number(low, decimals)} to {number(high, decimals)}"


def metric_unit(unit: str) -> str:
    """The unit of an effect on a metric: percentages move in percentage points."""
    unit = unit.strip()
    if unit == "%":
        return "pp"
    return unit or "units"


def effect(value: float | None, unit: str, decimals: int = 1) -> str:
    """A signed effect with its unit: "+3.2 tickets", "-1.5 pp"."""
    return NONE if value is None else f"{signed(value, decimals)} {metric_unit(unit)}"


# --- tier figures -------------------------------------------------------------------------------------


def tier_value(figure: TierFigure) -> str:
    """A tier figure's value as people read it ("62%", "4.1", "€1,250.00", "425"); "—" without one."""
    value = figure.value
    if value is None:
        return NONE
    unit = figure.unit
    if unit == "people":
        return number(value, 0)
    if unit == "%":
        return percent(value)
    if unit == "percentage points":
        return points(value)
    if unit == "days":
        return f"{number(value, 1)} days"
    if unit.startswith("points (−100"):
        return signed(value, 0)
    if unit == "money":
        return money(value)
    if figure.key == "productivity":
        return money(value) if value < 0 else "+" + money(value)
    if figure.key == "kpi_effect":
        return signed(value)
    return number(value)


def tier_interval(figure: TierFigure) -> str:
    """The figure's own 95% interval ("" when it has none), in the figure's unit."""
    if figure.value is None or figure.ci_low is None or figure.ci_high is None:
        return ""
    if figure.unit == "percentage points":
        return f"95% CI {signed(figure.ci_low)} to {signed(figure.ci_high)} pp"
    return interval(figure.ci_low, figure.ci_high)


def tier_unit(figure: TierFigure) -> str:
    """The unit written after the label ("" when the value already says it: money, %, people)."""
    if figure.unit in ("money", "%", "people", "days", "percentage points"):
        return ""
    return figure.unit


def tier_text(figure: TierFigure, minimum: int) -> str:
    """The value, or why there is none, for exports that print one cell per figure."""
    if figure.suppressed:
        return f"not reported (fewer than {minimum} people)" if figure.n < minimum else "hidden"
    if figure.value is None:
        return figure.note or NONE
    text = tier_value(figure)
    unit = tier_unit(figure)
    return f"{text} {unit}" if unit else text


# --- a program's impact ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaveatText:
    code: str
    title: str
    message: str
    badge: str  # CSS class of the badge: warn | bad


@dataclass(frozen=True)
class ImpactText:
    """Every figure of a program's impact as text, the same on the page and in every export."""

    headline: str
    has_figure: bool
    effect: str  # "+3.2"
    unit: str  # "tickets per person and month"
    effect_line: str  # "+3.2 tickets per person and month (95% CI 1.1 to 5.3)"
    interval: str  # "95% CI 1.1 to 5.3"
    people: str  # "400"
    people_line: str  # "400 participants against at least 1,200 never trained"
    roi: str  # "+120%" or ""
    roi_line: str  # "first year, benefits €12,000 vs costs €5,000"
    roi_sentence: str  # the Phillips calculation in one sentence
    break_even: str
    verdict: str  # "Scale", or "" without a verdict
    verdict_line: str  # why there is (no) verdict
    caveats: tuple[CaveatText, ...]
    counted: str  # who the estimate counts and who was left out
    total_cost: str


def _caveat(c: Caveat) -> CaveatText:
    return CaveatText(code=c.code, title=c.title, message=c.message, badge=CAVEAT_BADGES.get(c.code, "warn"))


def _counted(e: ImpactEstimate, enrolled: int) -> str:
    if not e.months:
        return ""
    period = f"from {e.months[0]:%b %Y} to {e.months[-1]:%b %Y}"
    text = f"People with a value in every month {period}: {count(e.n_treated, 'participants', 'participant')} of the {count(enrolled, 'enrolled', 'enrolled')}"
    parts = []
    if e.n_dropped_participants:
        parts.append(f"{e.n_dropped_participants:,} left out for a missing month")
    unobserved = max(enrolled - e.n_participants_observed, 0) if e.n_participants_observed else 0
    if unobserved:
        parts.append(f"{unobserved:,} with no value in the period")
    if parts:
        text += " (" + "; ".join(parts) + ")"
    text += f", against {count(e.n_comparison, 'comparison people', 'comparison person')}"
    if e.n_dropped_comparison:
        text += f" ({e.n_dropped_comparison:,} more left out for a missing month)"
    return text + "."


def impact_text(impact: ProgramImpact) -> ImpactText:
    e = impact.estimate
    o = e.overall if e is not None else None
    decimals = e.decimals if e is not None else 1
    unit = f"{metric_unit(e.unit)} per person and month" if e is not None else ""
    roi = e.roi if e is not None else None
    against = "not yet or never trained" if impact.comparison == "not_yet" else "never trained"
    verdict_line = ""
    if impact.plan is not None and impact.verdict is None:
        verdict_line = (
            "No verdict: the pilot plan is about another metric."
            if impact.plan.metric_code != impact.metric_code
            else "No verdict: there is no estimate yet."
        )
    elif impact.verdict is not None and impact.plan is not None:
        frozen = impact.plan.frozen_at
        verdict_line = (
            f"rule fixed on {frozen:%d %b %Y}" if frozen else "rule not frozen: it can still change"
        )
    payback = f", paid back in {number(roi.payback_months, 1)} months" if roi and roi.payback_months else ""
    return ImpactText(
        headline=impact.sentence,
        has_figure=o is not None,
        effect=signed(o.estimate, decimals) if o else NONE,
        unit=unit,
        effect_line=f"{signed(o.estimate, decimals)} {unit} ({interval(o.ci_low, o.ci_high, decimals)})"
        if o
        else "",
        interval=interval(o.ci_low, o.ci_high, decimals) if o else "",
        people=number(e.n_treated, 0) if e is not None else NONE,
        people_line=f"{count(e.n_treated, 'participants', 'participant')} against at least "
        f"{number(e.n_comparison, 0)} {against}"
        if e is not None
        else "",
        roi=percent(roi.roi_percent, sign=True) if roi else "",
        roi_line=f"first year, benefits {money(roi.benefits, 0)} vs costs {money(roi.costs, 0)}"
        if roi
        else "",
        roi_sentence=(
            f"Using the cautious end of the estimate ({number(roi.effect_used, decimals)} {unit}"
            f"{', because the effect could be zero' if roi.effect_used == 0 else ''}) × {money(roi.value_per_unit)} "
            f"per unit × {count(roi.people, 'participants', 'participant')} × {roi.periods_per_year} months, "
            f"first-year benefits are {money(roi.benefits, 0)} against costs of {money(roi.costs, 0)}: "
            f"ROI {percent(roi.roi_percent)}, {money(roi.benefit_cost_ratio)} back for every {money(1)} spent{payback}."
        )
        if roi and e is not None
        else "",
        break_even=(
            f"The program pays for itself in its first year if it adds at least "
            f"{number(roi.break_even_effect, decimals)} {metric_unit(e.unit)} per participant and month."
        )
        if roi and e is not None and roi.break_even_effect
        else "",
        verdict=VERDICTS.get(impact.verdict or "", ""),
        verdict_line=verdict_line,
        caveats=tuple(_caveat(c) for c in impact.caveats),
        counted=_counted(e, impact.detail.summary.participants) if e is not None else "",
        total_cost=money(float(impact.detail.total_cost), 0),
    )
