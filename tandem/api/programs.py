"""Program endpoints: read the programs in your scope; L&D (MANAGE_PROGRAMS) creates and edits them.

Writes call the services in tandem.impact.services (validated, audited, one transaction); a refusal is a 400
with the service's sentence. A program outside the viewer's scope, or unknown, is a 404 either way.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import Viewer
from tandem.api.common import Day, Number, Page, PageParams, choices, viewer_with
from tandem.core.scope import DomainError
from tandem.impact.models import CostItem, Program
from tandem.impact.records import ProgramDetail
from tandem.impact.selectors import program_get, program_list
from tandem.impact.services import (
    cost_item_add,
    cost_item_remove,
    program_activity_add,
    program_activity_remove,
    program_create,
    program_metric_remove,
    program_metric_set,
    program_update,
)

router = Router()

MAX_ID = 2_147_483_647
ProgramStatus = Annotated[Program.Status, choices(Program.Status, title="ProgramStatus")]
DeliveryMode = Annotated[Program.DeliveryMode, choices(Program.DeliveryMode, title="DeliveryMode")]
CostKind = Annotated[CostItem.Kind, choices(CostItem.Kind, title="CostKind")]
Money = Annotated[Decimal, Field(ge=0, le=Decimal("999999999999.99"), max_digits=14, decimal_places=2)]
Code = Annotated[str, Path(max_length=60, pattern=r"^[-a-zA-Z0-9_]+$")]
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]


class Body(Schema):
    """A request body: a field Tandem does not know is refused, not ignored (a typo must not pass)."""

    model_config = ConfigDict(extra="forbid")


# --- answers --------------------------------------------------------------------------------------------


class ProgramSummaryOut(Schema):
    code: str
    name: str
    status: str
    is_pilot: bool
    owner_name: str | None
    initiative_name: str | None
    start_date: dt.date | None
    end_date: dt.date | None
    participants: int
    cohorts: int


class ProgramsPage(Page):
    items: list[ProgramSummaryOut]


class ActivityOut(Schema):
    id: int
    activity_iri: str
    catalog_key: str
    name: str


class CostOut(Schema):
    id: int
    kind: str
    description: str
    amount: Decimal | None
    hours: Decimal | None
    rate: Decimal | None
    total: Decimal
    currency: str = Field(description="ISO 4217 code (the installation's TANDEM_CURRENCY)")


class ProgramMetricOut(Schema):
    metric: str
    name: str
    unit: str
    primary: bool
    expected_direction: str = Field(description="Which way the program should move the metric: up or down")
    baseline: float | None
    baseline_date: dt.date | None
    goal: float | None
    value_per_unit: Decimal | None


class CohortOut(Schema):
    id: int
    name: str
    start_date: dt.date
    participants: int


class ProgramOut(ProgramSummaryOut):
    description: str
    audience: str
    delivery_modes: list[str]
    owner: str | None = Field(description="The owner's employee id")
    sponsor: str | None = Field(description="The sponsor's employee id (a stakeholder)")
    sponsor_name: str | None
    initiative: str | None = Field(description="The initiative's code")
    activities: list[ActivityOut]
    costs: list[CostOut]
    total_cost: Decimal
    metrics: list[ProgramMetricOut]
    waves: list[CohortOut]


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"))


def _program_out(detail: ProgramDetail) -> ProgramOut:
    s = detail.summary
    return ProgramOut(
        code=s.code,
        name=s.name,
        status=s.status,
        is_pilot=s.is_pilot,
        owner_name=s.owner_name,
        initiative_name=s.initiative_name,
        start_date=s.start_date,
        end_date=s.end_date,
        participants=s.participants,
        cohorts=s.cohorts,
        description=detail.description,
        audience=detail.audience,
        delivery_modes=list(detail.delivery_modes),
        owner=detail.owner_employee_id,
        sponsor=detail.sponsor_employee_id,
        sponsor_name=detail.sponsor_name,
        initiative=detail.initiative_code,
        activities=[
            ActivityOut(id=a.id, activity_iri=a.activity_iri, catalog_key=a.catalog_key, name=a.name)
            for a in detail.activities
        ],
        costs=[
            CostOut(
                id=c.id,
                kind=c.kind,
                description=c.description,
                amount=c.amount,
                hours=c.hours,
                rate=c.rate,
                total=_cents(c.total),
                currency=c.currency,
            )
            for c in detail.costs
        ],
        total_cost=_cents(detail.total_cost),
        metrics=[_metric_out(detail, m.metric_code) for m in detail.metrics],
        waves=[
            CohortOut(id=c.id, name=c.name, start_date=c.start_date, participants=c.participants)
            for c in detail.cohorts
        ],
    )


def _metric_out(detail: ProgramDetail, metric_code: str) -> ProgramMetricOut:
    m = next(m for m in detail.metrics if m.metric_code == metric_code)
    return ProgramMetricOut(
        metric=m.metric_code,
        name=m.metric_name,
        unit=m.unit,
        primary=m.is_primary,
        expected_direction=m.expected_direction,
        baseline=m.baseline,
        baseline_date=m.baseline_date,
        goal=m.goal,
        value_per_unit=m.value_per_unit,
    )


# --- reads ----------------------------------------------------------------------------------------------


class ProgramFilters(PageParams):
    status: ProgramStatus | None = None
    q: str = Field("", max_length=200, description="Part of the name or code")


@router.get("", response=ProgramsPage, summary="Programs in your scope")
def programs(request: HttpRequest, filters: Query[ProgramFilters]) -> ProgramsPage:
    viewer = viewer_with(request=request, capability=Capability.VIEW_PROGRAMS)
    items = program_list(scope=viewer.scope, status=filters.status or "", search=filters.q.strip())
    page = items[filters.offset : filters.offset + filters.limit]
    return ProgramsPage(
        count=len(items),
        limit=filters.limit,
        offset=filters.offset,
        items=[ProgramSummaryOut(**{k: getattr(s, k) for k in ProgramSummaryOut.model_fields}) for s in page],
    )


@router.get(
    "/{code}", response=ProgramOut, summary="One program with its activities, costs, metrics and waves"
)
def program(request: HttpRequest, code: Code) -> ProgramOut:
    viewer = viewer_with(request=request, capability=Capability.VIEW_PROGRAMS)
    return _program_out(program_get(scope=viewer.scope, code=code))


# --- writes ---------------------------------------------------------------------------------------------


class ProgramFieldsIn(Body):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=10_000)
    owner: str | None = Field(None, max_length=40, description="The owner's employee id")
    sponsor: str | None = Field(None, max_length=40, description="The sponsor's employee id (a stakeholder)")
    initiative: str | None = Field(None, max_length=60, description="The initiative's code")
    audience: str = Field("", max_length=10_000)
    delivery_modes: list[DeliveryMode] = Field(default_factory=list, max_length=10)
    start_date: Day | None = None
    end_date: Day | None = None
    status: ProgramStatus = Program.Status.DRAFT
    is_pilot: bool = False


class ProgramCreateIn(ProgramFieldsIn):
    code: str = Field(min_length=1, max_length=60, pattern=r"^[-a-zA-Z0-9_]+$")


class ProgramPatchIn(Body):
    """The fields to change; a field left out is left alone, null clears a person, initiative or date."""

    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=10_000)
    owner: str | None = Field(None, max_length=40)
    sponsor: str | None = Field(None, max_length=40)
    initiative: str | None = Field(None, max_length=60)
    audience: str | None = Field(None, max_length=10_000)
    delivery_modes: list[DeliveryMode] | None = Field(None, max_length=10)
    start_date: Day | None = None
    end_date: Day | None = None
    status: ProgramStatus | None = None
    is_pilot: bool | None = None


# Body field -> service argument; the rest have the same name.
_ARGUMENTS = {"owner": "owner_employee_id", "sponsor": "sponsor_employee_id", "initiative": "initiative_code"}
_NOT_NULL = {"name", "description", "audience", "delivery_modes", "status", "is_pilot"}


def _service_fields(body: Body, names: set[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in names:
        value = getattr(body, name)
        if name in _NOT_NULL and value is None:
            raise DomainError(f"{name}: cannot be null")
        if name == "delivery_modes":
            value = [str(mode) for mode in value]
        elif name == "status":
            value = str(value)
        elif name in _ARGUMENTS and isinstance(value, str):
            value = value.strip() or None
        fields[_ARGUMENTS.get(name, name)] = value
    return fields


def _writable(request: HttpRequest, code: str) -> tuple[Viewer, ProgramDetail]:
    viewer = viewer_with(request=request, capability=Capability.MANAGE_PROGRAMS)
    return viewer, program_get(scope=viewer.scope, code=code)


@router.post("", response={201: ProgramOut}, summary="Create a program (L&D)")
def programs_create(request: HttpRequest, body: ProgramCreateIn) -> Status[ProgramOut]:
    viewer = viewer_with(request=request, capability=Capability.MANAGE_PROGRAMS)
    names = set(ProgramFieldsIn.model_fields)
    created = program_create(actor_id=viewer.user_id, code=body.code, **_service_fields(body, names))
    return Status(201, _program_out(program_get(scope=viewer.scope, program_id=created.pk)))


@router.patch("/{code}", response=ProgramOut, summary="Change a program's fields (L&D)")
def programs_patch(request: HttpRequest, code: Code, body: ProgramPatchIn) -> ProgramOut:
    viewer, current = _writable(request, code)
    program_update(
        actor_id=viewer.user_id,
        program_id=current.summary.id,
        **_service_fields(body, set(body.model_fields_set)),
    )
    return _program_out(program_get(scope=viewer.scope, program_id=current.summary.id))


class ActivityIn(Body):
    activity_iri: str = Field(min_length=1, max_length=500, description="The xAPI activity id")
    name: str = Field("", max_length=200)


@router.post("/{code}/activities", response={201: ActivityOut}, summary="Add an xAPI activity (L&D)")
def activities_add(request: HttpRequest, code: Code, body: ActivityIn) -> Status[ActivityOut]:
    viewer, current = _writable(request, code)
    added = program_activity_add(
        actor_id=viewer.user_id,
        program_id=current.summary.id,
        activity_iri=body.activity_iri.strip(),
        name=body.name,
    )
    return Status(
        201,
        ActivityOut(
            id=added.pk, activity_iri=added.activity_iri, catalog_key=added.catalog_key, name=added.name
        ),
    )


@router.delete("/{code}/activities/{activity_id}", response={204: None}, summary="Remove an activity (L&D)")
def activities_remove(request: HttpRequest, code: Code, activity_id: RowId) -> Status[None]:
    viewer, current = _writable(request, code)
    program_activity_remove(actor_id=viewer.user_id, program_id=current.summary.id, activity_id=activity_id)
    return Status(204, None)


class CostIn(Body):
    kind: CostKind
    description: str = Field("", max_length=200)
    amount: Money | None = Field(None, description="A fixed amount; or give hours and rate")
    hours: Money | None = None
    rate: Money | None = None
    currency: str | None = Field(
        None, max_length=3, description="ISO 4217; only the installation's TANDEM_CURRENCY is accepted"
    )


@router.post("/{code}/costs", response={201: CostOut}, summary="Add a cost line (L&D)")
def costs_add(request: HttpRequest, code: Code, body: CostIn) -> Status[CostOut]:
    viewer, current = _writable(request, code)
    item = cost_item_add(
        actor_id=viewer.user_id,
        program_id=current.summary.id,
        kind=str(body.kind),
        description=body.description,
        amount=body.amount,
        hours=body.hours,
        rate=body.rate,
        currency=body.currency,
    )
    return Status(
        201,
        CostOut(
            id=item.pk,
            kind=item.kind,
            description=item.description,
            amount=item.amount,
            hours=item.hours,
            rate=item.rate,
            total=_cents(item.total),
            currency=item.currency,
        ),
    )


@router.delete("/{code}/costs/{cost_id}", response={204: None}, summary="Remove a cost line (L&D)")
def costs_remove(request: HttpRequest, code: Code, cost_id: RowId) -> Status[None]:
    viewer, current = _writable(request, code)
    cost_item_remove(actor_id=viewer.user_id, program_id=current.summary.id, cost_item_id=cost_id)
    return Status(204, None)


class MetricLinkIn(Body):
    primary: bool = Field(False, description="The metric the impact estimate is about (one per program)")
    expected_direction: Literal["up", "down"] | None = Field(
        None, description="Which way the program should move it; null: the metric's own better direction"
    )
    baseline: Number | None = None
    baseline_date: Day | None = None
    goal: Number | None = None
    value_per_unit: Money | None = Field(None, description="Money value of one unit per person and period")


@router.put(
    "/{code}/metrics/{metric_code}",
    response=ProgramMetricOut,
    summary="Link a business metric, or change its link (L&D)",
)
def metrics_set(
    request: HttpRequest, code: Code, metric_code: Annotated[str, Path(max_length=60)], body: MetricLinkIn
) -> ProgramMetricOut:
    viewer, current = _writable(request, code)
    program_metric_set(
        actor_id=viewer.user_id,
        program_id=current.summary.id,
        metric_code=metric_code,
        baseline=body.baseline,
        baseline_date=body.baseline_date,
        goal=body.goal,
        value_per_unit=body.value_per_unit,
        is_primary=body.primary,
        expected_direction=body.expected_direction,
    )
    return _metric_out(program_get(scope=viewer.scope, program_id=current.summary.id), metric_code)


@router.delete("/{code}/metrics/{metric_code}", response={204: None}, summary="Unlink a metric (L&D)")
def metrics_remove(
    request: HttpRequest, code: Code, metric_code: Annotated[str, Path(max_length=60)]
) -> Status[None]:
    viewer, current = _writable(request, code)
    program_metric_remove(actor_id=viewer.user_id, program_id=current.summary.id, metric_code=metric_code)
    return Status(204, None)
