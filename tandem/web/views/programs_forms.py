"""The forms of the program pages: they parse what was typed; the services decide whether it is allowed."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.urls import reverse

from tandem.impact.models import CostItem, Program
from tandem.initiatives.selectors import initiative_choices
from tandem.metrics.selectors import metric_list
from tandem.reports.present import currency_code

DATE = forms.DateInput(attrs={"type": "date"})


def _person_picker(field: str, options_id: str) -> forms.TextInput:
    """An employee-id box whose suggestions (a datalist) are searched by name as one types (htmx)."""
    return forms.TextInput(
        attrs={
            "list": options_id,
            "autocomplete": "off",
            "hx-get": f"{reverse('program_people_search')}?field={field}",
            "hx-trigger": "input changed delay:300ms",
            "hx-target": f"#{options_id}",
            "hx-swap": "innerHTML",
            "placeholder": "Type a name or an employee id",
        }
    )


class ProgramForm(forms.Form):
    code = forms.SlugField(
        max_length=60, help_text="Letters, digits and hyphens, e.g. sales-coaching. Kept for good."
    )
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    owner_employee_id = forms.CharField(
        max_length=40,
        required=False,
        label="Owner",
        help_text="The L&D person who runs the program (employee id; type a name to search)",
    )
    sponsor_employee_id = forms.CharField(
        max_length=40,
        required=False,
        label="Sponsor",
        help_text="The business leader (a stakeholder) who asked for it and answers for its result",
    )
    initiative_code = forms.ChoiceField(label="Initiative", required=False, help_text="The goal it serves")
    audience = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="Who the program is for, in words"
    )
    start_date = forms.DateField(required=False, widget=DATE)
    end_date = forms.DateField(required=False, widget=DATE)
    status = forms.ChoiceField(choices=Program.Status.choices, initial=Program.Status.DRAFT)
    is_pilot = forms.BooleanField(
        required=False, label="Started as a pilot", help_text="Run on a small group first, with a pilot plan"
    )
    delivery_modes = forms.MultipleChoiceField(
        choices=Program.DeliveryMode.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["initiative_code"]).choices = [
            ("", "— none —"),
            *initiative_choices(),
        ]
        # Built here, not on the class: the search address is only known once the URLs are loaded.
        self.fields["owner_employee_id"].widget = _person_picker("owner_employee_id", "owner-options")
        self.fields["sponsor_employee_id"].widget = _person_picker("sponsor_employee_id", "sponsor-options")
        if editing:
            del self.fields["code"]


class ActivityForm(forms.Form):
    activity_iri = forms.CharField(
        max_length=500,
        label="Activity IRI",
        help_text="The xAPI activity id statements use, e.g. https://lms.example.com/courses/negotiation",
    )
    name = forms.CharField(max_length=200, required=False, help_text="Shown instead of the IRI")


class CostForm(forms.Form):
    kind = forms.ChoiceField(choices=CostItem.Kind.choices)
    description = forms.CharField(max_length=200, required=False)
    amount = forms.DecimalField(
        max_digits=14, decimal_places=2, required=False, help_text="A fixed amount; or give hours and a rate"
    )
    hours = forms.DecimalField(max_digits=12, decimal_places=2, required=False)
    rate = forms.DecimalField(max_digits=12, decimal_places=2, required=False, help_text="Per hour")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        code = currency_code()
        self.fields["amount"].label = f"Amount ({code})"
        self.fields["rate"].label = f"Rate ({code})"


class MetricLinkForm(forms.Form):
    metric_code = forms.ChoiceField(label="Metric")
    role = forms.ChoiceField(
        choices=[("primary", "Primary: the one the estimate is about"), ("secondary", "Secondary")],
        initial="secondary",
        label="Primary or secondary",
    )
    expected_direction = forms.ChoiceField(
        choices=[("", "As the metric's own better direction"), ("up", "Up"), ("down", "Down")],
        required=False,
        help_text="Which way the program should move it",
    )
    baseline = forms.FloatField(required=False)
    baseline_date = forms.DateField(required=False, widget=DATE)
    goal = forms.FloatField(required=False)
    value_per_unit = forms.DecimalField(
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text="Money value of one unit per person and period (for the return on investment)",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["metric_code"]).choices = [
            (m.code, m.name) for m in metric_list()
        ]
        self.fields["value_per_unit"].label = f"Value per unit ({currency_code()})"
