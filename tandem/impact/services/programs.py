"""Writes for a program itself: its fields, metrics, activities, costs and "you said, we did" notes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tandem.audit.services import audit_record
from tandem.core.scope import DomainError
from tandem.impact.models import (
    CostItem,
    Feedback,
    Program,
    ProgramActivity,
    ProgramMetric,
)
from tandem.impact.services._shared import (
    UNSET,
    Unset,
    cohort_for_write,
    initiative_id_of,
    person_id_of,
    program_for_write,
)
from tandem.metrics.models import MetricDefinition

# Codes that are the names of pages under /programs/ (a program called "new" would hide the "New program"
# page, or be hidden by it).
RESERVED_CODES = frozenset({"new", "edit", "setup", "search", "activities", "people", "metrics", "costs"})


def _check_program_fields(
    *, start_date: dt.date | None, end_date: dt.date | None, status: str, delivery_modes: list[str]
) -> None:
    if start_date and end_date and end_date < start_date:
        raise DomainError("A program cannot end before it starts")
    if status not in Program.Status.values:
        raise DomainError(f"Unknown status {status!r}")
    unknown = [mode for mode in delivery_modes if mode not in Program.DeliveryMode.values]
    if unknown:
        raise DomainError(f"Unknown delivery mode {unknown[0]!r}")


def _program_values(program: Program) -> dict[str, Any]:
    return {
        "name": program.name,
        "description": program.description,
        "owner": program.owner_id,
        "sponsor": program.sponsor_id,
        "initiative": program.initiative_id,
        "request_ref": program.request_ref,
        "audience": program.audience,
        "delivery_modes": list(program.delivery_modes),
        "start_date": program.start_date.isoformat() if program.start_date else None,
        "end_date": program.end_date.isoformat() if program.end_date else None,
        "status": program.status,
        "is_pilot": program.is_pilot,
    }


@transaction.atomic
def program_create(
    *,
    actor_id: int | None,
    code: str,
    name: str,
    owner_employee_id: str | None = None,
    sponsor_employee_id: str | None = None,
    description: str = "",
    initiative_code: str | None = None,
    request_ref: str = "",
    audience: str = "",
    delivery_modes: list[str] | None = None,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    status: str = Program.Status.DRAFT,
    is_pilot: bool = False,
) -> Program:
    modes = list(dict.fromkeys(delivery_modes or []))
    if not code or not name:
        raise DomainError("A program needs a code and a name")
    if code in RESERVED_CODES:
        raise DomainError(f"{code!r} is a reserved word in Tandem's addresses; choose another program code")
    if Program.objects.filter(code=code).exists():
        raise DomainError(f"A program with code {code!r} already exists")
    _check_program_fields(start_date=start_date, end_date=end_date, status=status, delivery_modes=modes)
    program = Program.objects.create(
        code=code,
        name=name,
        description=description,
        owner_id=person_id_of(owner_employee_id),
        sponsor_id=person_id_of(sponsor_employee_id),
        initiative_id=initiative_id_of(initiative_code),
        request_ref=request_ref,
        audience=audience,
        delivery_modes=modes,
        start_date=start_date,
        end_date=end_date,
        status=status,
        is_pilot=is_pilot,
    )
    audit_record(
        actor_id=actor_id,
        action="create",
        entity_type="program",
        entity_id=program.pk,
        entity_label=f"{code} {name}",
        changes={"code": code, **_program_values(program)},
    )
    return program


@transaction.atomic
def program_update(
    *,
    actor_id: int | None,
    program_id: int,
    name: str | Unset = UNSET,
    description: str | Unset = UNSET,
    owner_employee_id: str | Unset | None = UNSET,
    sponsor_employee_id: str | Unset | None = UNSET,
    initiative_code: str | Unset | None = UNSET,
    request_ref: str | Unset = UNSET,
    audience: str | Unset = UNSET,
    delivery_modes: list[str] | Unset = UNSET,
    start_date: dt.date | Unset | None = UNSET,
    end_date: dt.date | Unset | None = UNSET,
    status: str | Unset = UNSET,
    is_pilot: bool | Unset = UNSET,
) -> Program:
    """Change the given fields (UNSET leaves a field alone; None clears a nullable one)."""
    program = Program.objects.select_for_update().filter(pk=program_id).first()
    if program is None:
        raise DomainError(f"No program {program_id}")
    before = _program_values(program)
    if not isinstance(name, Unset):
        if not name:
            raise DomainError("A program needs a name")
        program.name = name
    if not isinstance(description, Unset):
        program.description = description
    if not isinstance(owner_employee_id, Unset):
        program.owner_id = person_id_of(owner_employee_id)
    if not isinstance(sponsor_employee_id, Unset):
        program.sponsor_id = person_id_of(sponsor_employee_id)
    if not isinstance(initiative_code, Unset):
        program.initiative_id = initiative_id_of(initiative_code)
    if not isinstance(request_ref, Unset):
        program.request_ref = request_ref
    if not isinstance(audience, Unset):
        program.audience = audience
    if not isinstance(delivery_modes, Unset):
        program.delivery_modes = list(dict.fromkeys(delivery_modes))
    if not isinstance(start_date, Unset):
        program.start_date = start_date
    if not isinstance(end_date, Unset):
        program.end_date = end_date
    if not isinstance(status, Unset):
        program.status = status
    if not isinstance(is_pilot, Unset):
        program.is_pilot = is_pilot
    _check_program_fields(
        start_date=program.start_date,
        end_date=program.end_date,
        status=program.status,
        delivery_modes=program.delivery_modes,
    )
    after = _program_values(program)
    diffs = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if diffs:
        program.save()
        audit_record(
            actor_id=actor_id,
            action="update",
            entity_type="program",
            entity_id=program.pk,
            entity_label=f"{program.code} {program.name}",
            changes=diffs,
        )
    return program


@transaction.atomic
def program_metric_set(
    *,
    actor_id: int | None,
    program_id: int,
    metric_code: str,
    baseline: float | None = None,
    baseline_date: dt.date | None = None,
    goal: float | None = None,
    value_per_unit: Decimal | None = None,
    is_primary: bool = False,
    expected_direction: str | None = None,
) -> ProgramMetric:
    """Link a business metric to the program (or change the link). A new primary demotes the old one.

    expected_direction is which way the program should move the metric; None takes the metric's own
    "better" direction.
    """
    program = program_for_write(program_id, lock=True)
    metric = MetricDefinition.objects.filter(code=metric_code).first()
    if metric is None:
        raise DomainError(f"Unknown metric {metric_code!r}")
    direction = expected_direction or metric.direction
    if direction not in MetricDefinition.Direction.values:
        raise DomainError(f"Expected direction must be 'up' or 'down', not {direction!r}")
    if value_per_unit is not None and value_per_unit < 0:
        raise DomainError("The value per unit cannot be negative")
    if is_primary:
        ProgramMetric.objects.filter(program=program, is_primary=True).exclude(metric=metric).update(
            is_primary=False
        )
    link, _ = ProgramMetric.objects.update_or_create(
        program=program,
        metric=metric,
        defaults={
            "baseline": baseline,
            "baseline_date": baseline_date,
            "goal": goal,
            "value_per_unit": value_per_unit,
            "is_primary": is_primary,
            "expected_direction": direction,
        },
    )
    audit_record(
        actor_id=actor_id,
        action="update",
        entity_type="program",
        entity_id=program.pk,
        entity_label=program.name,
        changes={
            "metric": metric_code,
            "baseline": baseline,
            "goal": goal,
            "value_per_unit": str(value_per_unit) if value_per_unit is not None else None,
            "primary": is_primary,
            "expected_direction": direction,
        },
    )
    return link


@transaction.atomic
def program_metric_remove(*, actor_id: int | None, program_id: int, metric_code: str) -> None:
    """Unlink a metric from the program (its observations stay; only the link goes)."""
    program = program_for_write(program_id, lock=True)
    link = ProgramMetric.objects.filter(program=program, metric__code=metric_code).first()
    if link is None:
        raise DomainError(f"Metric {metric_code!r} is not linked to this program")
    was_primary = link.is_primary
    link.delete()
    audit_record(
        actor_id=actor_id,
        action="update",
        entity_type="program",
        entity_id=program.pk,
        entity_label=program.name,
        changes={"metric_removed": metric_code, "primary": was_primary},
    )


@transaction.atomic
def program_activity_add(
    *, actor_id: int | None, program_id: int, activity_iri: str = "", catalog_key: str = "", name: str = ""
) -> ProgramActivity:
    program = program_for_write(program_id)
    if not activity_iri and not catalog_key:
        raise DomainError("An activity needs an xAPI activity IRI or a catalogue key")
    if activity_iri and ":" not in activity_iri:
        raise DomainError(f"{activity_iri!r} is not an IRI")
    if activity_iri and ProgramActivity.objects.filter(program=program, activity_iri=activity_iri).exists():
        raise DomainError(f"{activity_iri} is already one of the program's activities")
    activity = ProgramActivity.objects.create(
        program=program, activity_iri=activity_iri, catalog_key=catalog_key, name=name
    )
    audit_record(
        actor_id=actor_id,
        action="update",
        entity_type="program",
        entity_id=program.pk,
        entity_label=program.name,
        changes={"activity_added": activity_iri or catalog_key, "name": name},
    )
    return activity


@transaction.atomic
def program_activity_remove(*, actor_id: int | None, program_id: int, activity_id: int) -> None:
    """Take an activity out of the program (its LRS statements stay; they no longer count for it)."""
    program = program_for_write(program_id, lock=True)
    activity = ProgramActivity.objects.filter(program=program, pk=activity_id).first()
    if activity is None:
        raise DomainError(f"No activity {activity_id} in this program")
    activity.delete()
    audit_record(
        actor_id=actor_id,
        action="update",
        entity_type="program",
        entity_id=program.pk,
        entity_label=program.name,
        changes={"activity_removed": activity.activity_iri or activity.catalog_key, "name": activity.name},
    )


@transaction.atomic
def cost_item_add(
    *,
    actor_id: int | None,
    program_id: int,
    kind: str,
    description: str = "",
    amount: Decimal | None = None,
    hours: Decimal | None = None,
    rate: Decimal | None = None,
    currency: str | None = None,
) -> CostItem:
    """A cost line: either a fixed amount, or hours × rate (L&D or participant time).

    Amounts are in the installation's currency (settings.TANDEM_CURRENCY) unless another ISO 4217 code is
    given; Tandem does not convert, so a line in another currency is refused rather than added up wrongly.
    """
    program = program_for_write(program_id)
    if kind not in CostItem.Kind.values:
        raise DomainError(f"Unknown cost kind {kind!r}")
    reporting_currency = str(settings.TANDEM_CURRENCY).upper()
    code = (currency or reporting_currency).strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise DomainError(f"{currency!r} is not an ISO 4217 currency code (three letters, e.g. EUR)")
    if code != reporting_currency:
        raise DomainError(
            f"Costs are kept in {reporting_currency} (the TANDEM_CURRENCY setting); convert the {code} amount "
            f"to {reporting_currency} before entering it"
        )
    by_time = hours is not None and rate is not None
    if (amount is None) != by_time or (amount is not None and (hours is not None or rate is not None)):
        raise DomainError("Give either an amount, or hours and a rate")
    if any(value is not None and value < 0 for value in (amount, hours, rate)):
        raise DomainError("Costs cannot be negative")
    item = CostItem.objects.create(
        program=program,
        kind=kind,
        description=description,
        amount=amount,
        hours=hours,
        rate=rate,
        currency=code,
    )
    audit_record(
        actor_id=actor_id,
        action="update",
        entity_type="program",
        entity_id=program.pk,
        entity_label=program.name,
        changes={"cost_added": kind, "description": description, "total": str(item.total), "currency": code},
    )
    return item


@transaction.atomic
def cost_item_remove(*, actor_id: int | None, program_id: int, cost_item_id: int) -> None:
    program = program_for_write(program_id, lock=True)
    item = CostItem.objects.filter(program=program, pk=cost_item_id).first()
    if item is None:
        raise DomainError(f"No cost line {cost_item_id} in this program")
    total, kind, description, currency = str(item.total), item.kind, item.description, item.currency
    item.delete()
    audit_record(
        actor_id=actor_id,
        action="update",
        entity_type="program",
        entity_id=program.pk,
        entity_label=program.name,
        changes={"cost_removed": kind, "description": description, "total": total, "currency": currency},
    )


@transaction.atomic
def feedback_publish(
    *, actor_id: int | None, program_id: int, you_said: str, we_did: str, cohort_id: int | None = None
) -> Feedback:
    """Publish a 'you said, we did' note; participants of the program see it."""
    program = program_for_write(program_id)
    if not you_said.strip() or not we_did.strip():
        raise DomainError("Say both what participants said and what was done about it")
    cohort = cohort_for_write(cohort_id) if cohort_id is not None else None
    if cohort is not None and cohort.program_id != program.pk:
        raise DomainError(f"Cohort {cohort.name} belongs to another program")
    feedback = Feedback.objects.create(
        program=program,
        cohort=cohort,
        you_said=you_said.strip(),
        we_did=we_did.strip(),
        published_at=timezone.now(),
        published_by_id=actor_id,
    )
    audit_record(
        actor_id=actor_id,
        action="create",
        entity_type="feedback",
        entity_id=feedback.pk,
        entity_label=program.code,
        changes={"you_said": feedback.you_said[:200], "we_did": feedback.we_did[:200]},
    )
    return feedback
