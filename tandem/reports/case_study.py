"""Drafting a case study (Brinkerhoff's Success Case Method) from a program's facts and survey answers.

Pure functions over plain values: tandem.reports.services gathers the facts and answer rows and stores
what these return. The draft is a starting point people edit; it never contains a name.

Success Case Method: rank the people who answered the behaviour follow-up by how much they applied
(their own applied_pct, their manager's applied_pct and observed_change, each scaled to 0-1 and
averaged), then quote what the most and the least successful said changed (or did not).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tandem.surveys.records import (
    KIND_BEHAVIOUR_LEARNER,
    KIND_BEHAVIOUR_MANAGER,
    KIND_REACTION,
    SurveyAnswerRow,
)

QUOTES_PER_SIDE = 3
QUOTE_MAX_CHARS = 600
REACTION_SCALES = {
    "satisfaction": "Satisfaction",
    "relevance": "Relevance to the job",
    "engagement": "Engagement",
    "confidence": "Confidence to apply it",
    "commitment": "Commitment to apply it",
}
LOW_REACTION = 2.5  # a 1-5 answer at or under this (averaged over the scales) counts as a poor rating
WEAK_SCALE = 3.5  # a scale whose mean is under this is named as a weak point


@dataclass(frozen=True)
class Quote:
    text: str
    who_label: str

    def as_dict(self) -> dict[str, str]:
        return {"text": self.text, "who_label": self.who_label}


@dataclass(frozen=True)
class RespondentScore:
    key: str  # "p<person id>" or "r<response id>" (anonymous: one response is one respondent)
    score: float  # 0 (applied nothing) .. 1 (applied everything)
    quotes: tuple[Quote, ...]


@dataclass(frozen=True)
class CohortFact:
    name: str
    start_date: dt.date
    participants: int


@dataclass(frozen=True)
class CaseStudyFacts:
    """What the draft says about the program; gathered by the service from impact and tiers."""

    program_name: str
    description: str
    audience: str
    start_date: dt.date | None
    end_date: dt.date | None
    participants: int
    cohorts: tuple[CohortFact, ...]
    completion_rate: float | None  # percent, None when unknown or suppressed
    metric_name: str | None
    estimate_sentence: str | None  # None when there is no estimate at all
    estimate_problem: str  # why there is no estimate
    has_figure: bool
    roi_percent: float | None
    break_even_effect: float | None
    unit: str
    decimals: int
    verdict: str | None  # scale | iterate | stop, from the frozen pilot plan
    minimum_group: int
    caveats: tuple[str, ...] = ()  # what the headline and the verdict must be read with (impact.assembly)


@dataclass(frozen=True)
class DraftSections:
    title: str
    what_happened: str
    impact: str
    success_quotes: tuple[Quote, ...]
    non_success_quotes: tuple[Quote, ...]
    differently: str
    alternative_scenario: str


def _scaled(row: SurveyAnswerRow) -> float | None:
    if row.value is None or not math.isfinite(row.value):
        return None
    if row.question_key == "applied_pct":
        return min(max(row.value / 100.0, 0.0), 1.0)
    if row.question_key == "observed_change":
        return min(max((row.value - 1.0) / 4.0, 0.0), 1.0)
    return None


def _who(row: SurveyAnswerRow, unit_names: Mapping[int, str]) -> str:
    # Anonymous answers get no team either: in a small team the team alone can point at a person.
    if row.person_id is None:
        return (
            "A participant's manager (anonymous)"
            if row.kind == KIND_BEHAVIOUR_MANAGER
            else "A participant (anonymous)"
        )
    team = unit_names.get(row.org_unit_id) if row.org_unit_id is not None else None
    where = f" in {team}" if team else ""
    if row.kind == KIND_BEHAVIOUR_MANAGER:
        return f"The manager of a participant{where}"
    return f"A participant{where}"


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_MAX_CHARS else text[: QUOTE_MAX_CHARS - 1].rstrip() + "…"


def respondent_scores(
    *, rows: Sequence[SurveyAnswerRow], unit_names: Mapping[int, str]
) -> list[RespondentScore]:
    """One score per respondent of the behaviour follow-ups, best first (ties by key, so stable)."""
    values: dict[str, list[float]] = defaultdict(list)
    quotes: dict[str, list[Quote]] = defaultdict(list)
    comments: dict[int, list[Quote]] = defaultdict(list)
    for row in rows:
        key = f"p{row.person_id}" if row.person_id is not None else f"r{row.response_id}"
        if row.kind in (KIND_BEHAVIOUR_LEARNER, KIND_BEHAVIOUR_MANAGER):
            scaled = _scaled(row)
            if scaled is not None:
                values[key].append(scaled)
            if row.question_key == "what_changed" and row.text.strip():
                quotes[key].append(Quote(text=_clip(row.text), who_label=_who(row, unit_names)))
        elif (
            row.kind == KIND_REACTION
            and row.question_key == "comment"
            and row.text.strip()
            and row.person_id is not None  # an anonymous comment cannot be tied to a follow-up
        ):
            comments[row.person_id].append(Quote(text=_clip(row.text), who_label=_who(row, unit_names)))
    scores = []
    for key, scaled_values in values.items():
        said = list(quotes.get(key, []))
        if key.startswith("p"):
            said += comments.get(int(key[1:]), [])
        scores.append(
            RespondentScore(key=key, score=math.fsum(scaled_values) / len(scaled_values), quotes=tuple(said))
        )
    scores.sort(key=lambda s: (-s.score, s.key))
    return scores


def success_case_quotes(
    *,
    rows: Sequence[SurveyAnswerRow],
    unit_names: Mapping[int, str],
    minimum: int,
    per_side: int = QUOTES_PER_SIDE,
) -> tuple[tuple[Quote, ...], tuple[Quote, ...], str]:
    """(success quotes, non-success quotes, note). Quotes come from the top and bottom respondents who
    wrote something; none when fewer than `minimum` people answered the follow-up (a quote from a
    handful of people is close to naming them)."""
    scores = respondent_scores(rows=rows, unit_names=unit_names)
    if len(scores) < minimum:
        return (
            (),
            (),
            (f"Only {len(scores)} people answered the behaviour follow-up; quotes need at least {minimum}."),
        )
    with_text = [s for s in scores if s.quotes]
    side = min(per_side, len(with_text) // 2)
    if side == 0:
        return (), (), "Too few people wrote what changed to quote the most and least successful."
    top = with_text[:side]
    bottom = list(reversed(with_text[-side:]))  # least successful first
    return tuple(s.quotes[0] for s in top), tuple(s.quotes[0] for s in bottom), ""


def reaction_weak_points(
    *, rows: Sequence[SurveyAnswerRow], unit_names: Mapping[int, str], minimum: int, limit: int = 3
) -> tuple[list[str], list[Quote]]:
    """Scales that scored low on average (with at least `minimum` answers) and comments from the
    responses that rated the program poorly."""
    by_scale: dict[str, list[float]] = defaultdict(list)
    by_response: dict[int, list[float]] = defaultdict(list)
    comment: dict[int, SurveyAnswerRow] = {}
    for row in rows:
        if row.kind != KIND_REACTION:
            continue
        if row.question_key in REACTION_SCALES and row.value is not None:
            by_scale[row.question_key].append(row.value)
            by_response[row.response_id].append(row.value)
        elif row.question_key == "comment" and row.text.strip():
            comment[row.response_id] = row
    weak = sorted((math.fsum(v) / len(v), key) for key, v in by_scale.items() if len(v) >= minimum)
    points = [
        f"{REACTION_SCALES[key]} scored {mean:.1f} of 5 on average ({len(by_scale[key])} answers)."
        for mean, key in weak
        if mean < WEAK_SCALE
    ]
    poor = sorted(
        (math.fsum(v) / len(v), response_id)
        for response_id, v in by_response.items()
        if response_id in comment and math.fsum(v) / len(v) <= LOW_REACTION
    )
    quotes = [
        Quote(text=_clip(comment[response_id].text), who_label=_who(comment[response_id], unit_names))
        for _mean, response_id in poor[:limit]
    ]
    return points, quotes


def _date(day: dt.date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else ""


def _what_happened(facts: CaseStudyFacts, respondents: int) -> str:
    lines = []
    period = ""
    if facts.start_date and facts.end_date:
        period = f" from {_date(facts.start_date)} to {_date(facts.end_date)}"
    elif facts.start_date:
        period = f" from {_date(facts.start_date)}"
    lines.append(
        f"{facts.program_name} ran{period} for {facts.participants} participant"
        f"{'s' if facts.participants != 1 else ''}"
        f"{' (' + facts.audience.rstrip('.') + ')' if facts.audience else ''}."
    )
    if facts.description:
        lines.append(facts.description.strip())
    if facts.cohorts:
        waves = "; ".join(
            f"{c.name} from {_date(c.start_date)} ({c.participants} people)" for c in facts.cohorts
        )
        lines.append(f"It ran in {len(facts.cohorts)} wave{'s' if len(facts.cohorts) != 1 else ''}: {waves}.")
    if facts.completion_rate is not None:
        lines.append(f"{facts.completion_rate:.0f}% of participants completed it.")
    if respondents:
        lines.append(f"{respondents} people answered the follow-up on what they applied at work.")
    return "\n\n".join(lines)


def _impact(facts: CaseStudyFacts) -> str:
    if facts.estimate_sentence is None:
        return f"No estimate of the effect on the business yet: {facts.estimate_problem}"
    lines = [facts.estimate_sentence, *facts.caveats]
    if facts.has_figure and facts.roi_percent is not None:
        lines.append(
            f"Valued with the cautious end of the interval, the first-year return on investment is "
            f"{facts.roi_percent:.0f}%."
        )
    return "\n\n".join(lines)


def _differently(facts: CaseStudyFacts, points: list[str], poor: list[Quote]) -> str:
    lines = []
    if facts.verdict == "scale":
        lines.append(
            "The pilot met its decision rule to scale: the lower end of the interval cleared the bar set before launch."
        )
    elif facts.verdict == "iterate":
        lines.append(
            "The pilot's decision rule says iterate: the effect was not clear enough to scale as it is."
        )
    elif facts.verdict == "stop":
        lines.append(
            "The pilot's decision rule says stop: the estimate fell below the threshold set before launch."
        )
    if points:
        lines.append("Where participants rated it lowest: " + " ".join(points))
    if poor:
        lines.append(
            "From participants who rated it poorly: " + " ".join(f"“{q.text}” ({q.who_label})" for q in poor)
        )
    if not lines:
        lines.append("[What would we change next time? No weak points stand out in the data yet.]")
    return "\n\n".join(lines)


def _alternative(facts: CaseStudyFacts) -> str:
    lines = []
    if facts.has_figure and facts.metric_name:
        lines.append(
            f"Without the program, participants' {facts.metric_name.lower()} would most likely have moved "
            "like the comparison group's: the estimate above is the gap between the two."
        )
    if facts.break_even_effect is not None:
        lines.append(
            f"The program pays for itself in its first year at an effect of "
            f"{facts.break_even_effect:.{facts.decimals}f} {facts.unit} per participant and month; "
            "a cheaper format or a narrower audience lowers that bar."
        )
    lines.append(
        "[Which alternative did we consider (a job aid, coaching by managers, doing nothing), and why?]"
    )
    return "\n\n".join(lines)


def case_study_sections(
    *, facts: CaseStudyFacts, rows: Sequence[SurveyAnswerRow], unit_names: Mapping[int, str]
) -> tuple[DraftSections, str]:
    """The draft of every section, and a note on the quotes (empty when they could be chosen)."""
    success, non_success, note = success_case_quotes(
        rows=rows, unit_names=unit_names, minimum=facts.minimum_group
    )
    points, poor = reaction_weak_points(rows=rows, unit_names=unit_names, minimum=facts.minimum_group)
    respondents = len(respondent_scores(rows=rows, unit_names=unit_names))
    return (
        DraftSections(
            title=f"{facts.program_name}: case study",
            what_happened=_what_happened(facts, respondents),
            impact=_impact(facts),
            success_quotes=success,
            non_success_quotes=non_success,
            differently=_differently(facts, points, poor),
            alternative_scenario=_alternative(facts),
        ),
        note,
    )
