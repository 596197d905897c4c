"""Forms of the comparison-group and pilot-plan pages: they parse and bound the input only (the checks with
meaning are the services' DomainErrors)."""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.urls import reverse

from tandem.impact.models import ComparisonGroup, PilotPlan
from tandem.impact.records import ComparisonSpec, ProgramDetail
from tandem.impact.services.covariates import EXACT_KEYS

METHOD_HELP = {
    "explicit": "Named person by person: paste employee ids or work emails.",
    "randomised": "Drawn at random, the chosen number per participant within each org unit (seeded).",
    "matched": "Each participant paired with the most similar non-participant (propensity score, within the caliper).",
}


def split_people(text: str) -> tuple[str, ...]:
    """Employee ids or emails separated by new lines, commas, semicolons or spaces."""
    return tuple(item for item in re.split(r"[\s,;]+", text) if item)


class ComparisonForm(forms.Form):
    cohort = forms.ChoiceField(label="For", required=False)
    method = forms.ChoiceField(
        choices=[(value, label.capitalize()) for value, label in ComparisonGroup.Method.choices],
        widget=forms.RadioSelect,
        initial="matched",
        label="How the group is formed",
    )
    people = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label="People",
        help_text="Explicit: the members. Randomised or matched: the candidates to draw from (empty: everyone "
        "employed on the cohort start). Employee ids or work emails, one per line or separated by commas.",
    )
    ratio = forms.FloatField(
        min_value=0.01,
        max_value=20,
        initial=1.0,
        required=False,
        help_text="Randomised: comparison people per participant",
    )
    seed = forms.IntegerField(
        min_value=0,
        max_value=2**31 - 1,
        required=False,
        help_text="Randomised: the same seed gives the same draw (empty: a new one, shown in the preview)",
    )
    caliper = forms.FloatField(
        min_value=0.0001,
        max_value=10,
        initial=0.2,
        required=False,
        help_text="Matched: the largest distance allowed, in SDs of the logit propensity score (empty: no limit)",
    )
    exact_on = forms.MultipleChoiceField(
        choices=[(key, key.capitalize()) for key in EXACT_KEYS],
        widget=forms.CheckboxSelectMultiple,
        initial=["department"],
        required=False,
        label="Matched: only pair people with the same",
    )
    metric = forms.ChoiceField(
        required=False,
        label="Matched: baseline metric",
        help_text="Its level and trend before the start enter the score",
    )

    def __init__(self, *args: Any, program: ProgramDetail, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["cohort"]).choices = [
            ("", "The whole program (explicit only)"),
            *(
                (str(c.id), f"{c.name} (starts {c.start_date:%-d %b %Y}, {c.participants} participants)")
                for c in program.cohorts
            ),
        ]
        cast(forms.ChoiceField, self.fields["metric"]).choices = [
            ("", "The program's primary metric"),
            *((m.metric_code, m.metric_name) for m in program.metrics),
        ]

    def spec(self, *, program_id: int) -> ComparisonSpec:
        data = self.cleaned_data
        return ComparisonSpec(
            program_id=program_id,
            method=data["method"],
            cohort_id=int(data["cohort"]) if data["cohort"] else None,
            people=split_people(data["people"]),
            ratio=data["ratio"] if data["ratio"] is not None else 1.0,
            seed=data["seed"],
            caliper=data["caliper"],
            exact_on=tuple(data["exact_on"]),
            metric_code=data["metric"] or None,
        )


class PilotPlanForm(forms.Form):
    """The plan's inputs; each field asks the sizing fragment again while typing (htmx, no inline JS)."""

    design = forms.ChoiceField(choices=PilotPlan.Design.choices, initial=PilotPlan.Design.MEANS)
    metric = forms.ChoiceField(label="Metric")
    minimum_detectable_effect = forms.FloatField(
        min_value=0.000001,
        max_value=1e9,
        label="Minimum detectable effect",
        help_text="In the metric's units, per person",
    )
    outcome_sd = forms.FloatField(
        min_value=0.000001,
        max_value=1e9,
        label="Outcome SD",
        help_text="The spread of the metric between people",
    )
    correlation = forms.FloatField(
        min_value=-0.99,
        max_value=0.99,
        required=False,
        help_text="Difference in differences: before/after correlation of a person's values",
    )
    alpha = forms.FloatField(min_value=0.001, max_value=0.5, initial=0.05, label="α (false alarm rate)")
    power = forms.FloatField(min_value=0.5, max_value=0.999, initial=0.8, label="Power")
    ratio = forms.FloatField(
        min_value=0.1, max_value=20, initial=1.0, help_text="Comparison people per participant"
    )
    duration_weeks = forms.IntegerField(min_value=1, max_value=520, initial=12, label="Duration (weeks)")
    scale_threshold = forms.FloatField(
        min_value=-1e9,
        max_value=1e9,
        help_text="Scale when the lower end of the 95% CI reaches this (metric units, better positive)",
    )
    stop_threshold = forms.FloatField(
        min_value=-1e9, max_value=1e9, help_text="Stop when the estimate is below this"
    )

    SIZING = ("design", "minimum_detectable_effect", "outcome_sd", "correlation", "alpha", "power", "ratio")

    def __init__(self, *args: Any, program: ProgramDetail, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["metric"]).choices = [
            (m.metric_code, m.metric_name) for m in program.metrics
        ]
        sizing_url = reverse("program_pilot_power", args=[program.code])
        for name in self.SIZING:
            self.fields[name].widget.attrs.update(
                {
                    "hx-get": sizing_url,
                    "hx-trigger": "input changed delay:300ms, change",
                    "hx-target": "#pilot-sizing",
                    "hx-include": "closest form",
                }
            )
