"""Writes for a program's pilot plan: its sample size, and freezing it at launch."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from tandem.audit.services import audit_record
from tandem.core.scope import DomainError
from tandem.impact.models import (
    PilotPlan,
    Program,
)
from tandem.impact.selectors import metric_sd_measured, pilot_sizing_get
from tandem.impact.services._shared import (
    primary_metric_id,
    program_for_write,
)
from tandem.metrics.models import MetricDefinition


def _estimated_sd(*, metric_code: str, before: dt.date) -> float:
    sd = metric_sd_measured(metric_code=metric_code, before=before)
    if sd is None:
        raise DomainError("Not enough past values of the metric to estimate its spread; give the outcome SD")
    return sd


@transaction.atomic
def pilot_plan_set(
    *,
    actor_id: int | None,
    program_id: int,
    minimum_detectable_effect: float,
    duration_weeks: int,
    scale_threshold: float,
    stop_threshold: float,
    metric_code: str | None = None,
    outcome_sd: float | None = None,
    correlation: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    design: str | None = None,
) -> PilotPlan:
    """Write the pilot plan and the sample size it needs (`design` "did" or "means"; not given: DiD when
    a pre/post correlation is given, else a difference in means). Thresholds are in metric units,
    "better" positive. Raises DomainError once the plan is frozen."""
    program = program_for_write(program_id, lock=True)
    existing = PilotPlan.objects.select_for_update().filter(program=program).first()
    if existing is not None and existing.frozen_at is not None:
        raise DomainError("The pilot plan was frozen at launch and cannot change")
    if design is not None and design not in PilotPlan.Design.values:
        raise DomainError("The design is a difference in means or a difference in differences")
    primary_id = primary_metric_id(program.pk)
    metric = (
        MetricDefinition.objects.filter(code=metric_code).first()
        if metric_code
        else (MetricDefinition.objects.filter(pk=primary_id).first() if primary_id is not None else None)
    )
    if metric is None:
        raise DomainError(
            f"Unknown metric {metric_code!r}" if metric_code else "Choose the pilot's primary metric"
        )
    if duration_weeks <= 0:
        raise DomainError("The pilot must last at least a week")
    if minimum_detectable_effect <= 0:
        raise DomainError("The minimum detectable effect must be positive")
    if stop_threshold > scale_threshold:
        raise DomainError("The stop threshold cannot be above the scale threshold")
    if design == PilotPlan.Design.MEANS:
        correlation = None  # a difference in means has no pre/post correlation to keep
    sd = (
        outcome_sd
        if outcome_sd is not None
        else _estimated_sd(metric_code=metric.code, before=program.start_date or timezone.localdate())
    )
    needed = pilot_sizing_get(
        design=design,
        minimum_detectable_effect=minimum_detectable_effect,
        outcome_sd=sd,
        correlation=correlation,
        alpha=alpha,
        power=power,
        ratio=ratio,
    )
    values: dict[str, Any] = {
        "metric": metric,
        "design": needed.design,
        "minimum_detectable_effect": minimum_detectable_effect,
        "outcome_sd": sd,
        "correlation": correlation,
        "alpha": alpha,
        "power": power,
        "ratio": ratio,
        "required_per_group": needed.required_per_group,
        "required_comparison": needed.required_comparison,
        "achieved_power": needed.achieved_power,
        "duration_weeks": duration_weeks,
        "scale_threshold": scale_threshold,
        "stop_threshold": stop_threshold,
    }
    plan, created = PilotPlan.objects.update_or_create(program=program, defaults=values)
    audit_record(
        actor_id=actor_id,
        action="create" if created else "update",
        entity_type="pilot_plan",
        entity_id=plan.pk,
        entity_label=program.code,
        changes={key: (value.code if key == "metric" else value) for key, value in values.items()},
    )
    return plan


@transaction.atomic
def pilot_plan_freeze(*, actor_id: int | None, program_id: int) -> PilotPlan:
    """Fix the plan at launch so the decision rule cannot be moved after the results are in.
    A draft program becomes a pilot."""
    program = program_for_write(program_id, lock=True)
    plan = PilotPlan.objects.select_for_update().filter(program=program).first()
    if plan is None:
        raise DomainError("Set the pilot plan before launching")
    if plan.frozen_at is not None:
        raise DomainError("The pilot plan is already frozen")
    plan.frozen_at = timezone.now()
    plan.frozen_by_id = actor_id
    plan.save(update_fields=["frozen_at", "frozen_by_id", "updated_at"])
    if program.status == Program.Status.DRAFT:
        program.status = Program.Status.PILOT
        program.save(update_fields=["status", "updated_at"])
    audit_record(
        actor_id=actor_id,
        action="update",
        entity_type="pilot_plan",
        entity_id=plan.pk,
        entity_label=program.code,
        changes={"frozen_at": plan.frozen_at.isoformat(), "program_status": program.status},
        summary="pilot plan frozen at launch",
    )
    return plan
