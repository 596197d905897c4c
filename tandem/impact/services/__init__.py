"""Writes for programs, cohorts, participants, comparison groups, pilot plans and feedback.

Every service is keyword-only, runs in one transaction and writes an audit row. The modules follow how
the work is done: a program (`programs`), who takes part (`participants`), whom they are compared with
(`comparison_groups`, with `covariates` for matching and balance) and the pilot plan (`pilots`). Import
from `tandem.impact.services`; the modules are how the code is read, not an interface.
"""

from tandem.impact.services._shared import UNSET, rule_person_ids
from tandem.impact.services.comparison_groups import (
    comparison_group_explicit,
    comparison_group_match,
    comparison_group_propose,
    comparison_group_randomise,
    comparison_group_save,
)
from tandem.impact.services.participants import (
    cohort_create,
    participants_add_list,
    participants_add_rule,
    participants_assign_random,
)
from tandem.impact.services.pilots import pilot_plan_freeze, pilot_plan_set
from tandem.impact.services.programs import (
    RESERVED_CODES,
    cost_item_add,
    cost_item_remove,
    feedback_publish,
    program_activity_add,
    program_activity_remove,
    program_create,
    program_metric_remove,
    program_metric_set,
    program_update,
)

__all__ = [
    "RESERVED_CODES",
    "UNSET",
    "cohort_create",
    "comparison_group_explicit",
    "comparison_group_match",
    "comparison_group_propose",
    "comparison_group_randomise",
    "comparison_group_save",
    "cost_item_add",
    "cost_item_remove",
    "feedback_publish",
    "participants_add_list",
    "participants_add_rule",
    "participants_assign_random",
    "pilot_plan_freeze",
    "pilot_plan_set",
    "program_activity_add",
    "program_activity_remove",
    "program_create",
    "program_metric_remove",
    "program_metric_set",
    "program_update",
    "rule_person_ids",
]
