"""The evaluation section of the program setup page: current comparison groups and the pilot plan."""

from __future__ import annotations

from typing import Any

from django import template

from tandem.impact.records import ProgramDetail
from tandem.impact.selectors import pilot_plan_get, program_balance

register = template.Library()


@register.inclusion_tag("web/programs/setup/_evaluation_body.html")
def evaluation_summary(program: ProgramDetail) -> dict[str, Any]:
    # The setup page already checked that the viewer manages programs and sees this one; these are reads.
    return {
        "code": program.summary.code,
        "groups": program_balance(program_id=program.summary.id),
        "plan": pilot_plan_get(program_id=program.summary.id),
    }
