"""Comparison groups and pilot plans of a program (JSON). Mounted at /comparison-groups and /pilot-plans,
the program's code in the path.

Reads need VIEW_PROGRAMS (the program in the viewer's scope, else 404); writes need MANAGE_PROGRAMS. A
proposal is a dry run: the same body saved gives the same people (send back the proposal's seed for a
randomised draw). A refusal is a 400 with the service's sentence, a frozen plan included.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import Viewer
from tandem.api.common import Number, viewer_with
from tandem.core.scope import AccessDenied, DomainError
from tandem.impact.records import (
    BalanceRowView,
    BalanceView,
    ComparisonProposal,
    ComparisonSpec,
    PilotPlanView,
    PilotSizing,
    ProgramDetail,
)
from tandem.impact.selectors import pilot_plan_get, pilot_sizing_get, program_balance, program_get
from tandem.impact.services import (
    comparison_group_propose,
    comparison_group_save,
    pilot_plan_freeze,
    pilot_plan_set,
)

groups_router = Router()
plans_router = Router()

Code = Annotated[str, Path(max_length=60, pattern=r"^[-a-zA-Z0-9_]+$")]
Method = Literal["explicit", "randomised", "matched"]
ExactKey = Literal["department", "location", "role level"]
PlanDesign = Literal["means", "did"]


def _by_department() -> list[ExactKey]:
    return ["department"]


class StrictBody(Schema):
    model_config = ConfigDict(extra="forbid")


def _program(request: HttpRequest, code: str, capability: Capability) -> tuple[Viewer, ProgramDetail]:
    viewer = viewer_with(request=request, capability=Capability.VIEW_PROGRAMS)
    if capability is not Capability.VIEW_PROGRAMS:
        viewer = viewer_with(request=request, capability=capability)
    return viewer, program_get(scope=viewer.scope, code=code)


# --- comparison groups -----------------------------------------------------------------------------------


class BalanceRowOut(Schema):
    covariate: str
    mean_participants: float
    mean_comparison: float
    smd_before: float | None = Field(description="Standardised mean difference of the groups as they are")
    smd_after: float | None = Field(description="After matching (matched groups only)")
    imbalanced: bool = Field(description="|SMD| above 0.1 (after matching when matched)")


class ComparisonGroupOut(Schema):
    id: int
    cohort: str | None = Field(description="The cohort's name; null: the whole program")
    method: str
    as_of: dt.date
    seed: int | None
    caliper: float | None
    participants: int
    size: int
    unmatched_participants: int
    balanced: bool | None = Field(description="null when there is no balance table")
    warnings: list[str] = Field(
        description="The imbalance in words, e.g. 'Tenure (years) differs: SMD 0.31 (above 0.1)'"
    )
    balance: list[BalanceRowOut]
    current: bool = Field(
        description="False: replaced by a newer group, kept for comparison, not estimated with"
    )
    created_at: dt.datetime | None
    superseded_at: dt.datetime | None


class ProposedMemberOut(Schema):
    employee_id: str
    name: str
    distance: float | None


class ComparisonProposalOut(Schema):
    cohort: str | None
    method: str
    as_of: dt.date
    seed: int | None = Field(description="Send it back to save this same draw")
    participants: int
    size: int
    balanced: bool | None
    imbalanced: list[str] = Field(description="The covariates above an SMD of 0.1")
    warnings: list[str]
    balance: list[BalanceRowOut]
    unmatched: list[str] = Field(description="Employee ids of participants left without a comparison person")
    members: list[ProposedMemberOut]


class ComparisonIn(StrictBody):
    method: Method
    cohort: str | None = Field(
        None, max_length=120, description="The cohort's name; null: the whole program (explicit only)"
    )
    people: list[Annotated[str, Field(max_length=254)]] = Field(
        default_factory=list,
        max_length=100_000,
        description="Employee ids or work emails: the members (explicit) or the candidates (randomised, matched; empty: everyone employed)",
    )
    ratio: Number = Field(1.0, gt=0, le=20, description="Randomised: comparison people per participant")
    seed: int | None = Field(None, ge=0, le=2**31 - 1, description="Randomised: same seed, same draw")
    caliper: Number | None = Field(
        0.2, gt=0, le=10, description="Matched: in SDs of the logit propensity; null: none"
    )
    exact_on: list[ExactKey] = Field(default_factory=lambda: _by_department(), max_length=3)
    metric: str | None = Field(
        None, max_length=60, description="Matched: the baseline metric (default: the primary one)"
    )


def _rows(rows: tuple[BalanceRowView, ...]) -> list[BalanceRowOut]:
    return [
        BalanceRowOut(
            covariate=r.covariate,
            mean_participants=r.mean_treated_before,
            mean_comparison=r.mean_comparison_before,
            smd_before=r.smd_before,
            smd_after=r.smd_after,
            imbalanced=r.imbalanced,
        )
        for r in rows
    ]


def _group_out(group: BalanceView) -> ComparisonGroupOut:
    return ComparisonGroupOut(
        id=group.comparison_group_id,
        cohort=group.cohort_name,
        method=group.method,
        as_of=group.as_of,
        seed=group.seed,
        caliper=group.caliper,
        participants=group.participants,
        size=group.comparison,
        unmatched_participants=group.unmatched_participants,
        balanced=(not group.warning) if group.rows else None,
        warnings=list(group.warnings),
        balance=_rows(group.rows),
        current=group.is_current,
        created_at=group.created_at,
        superseded_at=group.superseded_at,
    )


def _spec(program: ProgramDetail, body: ComparisonIn) -> ComparisonSpec:
    cohort_id = None
    if body.cohort is not None:
        cohort_id = next((c.id for c in program.cohorts if c.name == body.cohort), None)
        if cohort_id is None:
            raise DomainError(f"No cohort {body.cohort!r} in program {program.code}")
    return ComparisonSpec(
        program_id=program.summary.id,
        method=body.method,
        cohort_id=cohort_id,
        people=tuple(body.people),
        ratio=body.ratio,
        seed=body.seed,
        caliper=body.caliper,
        exact_on=tuple(body.exact_on),
        metric_code=body.metric,
    )


class GroupFilters(Schema):
    superseded: bool = Field(False, description="Also the groups that were replaced")


@groups_router.get("/{code}", response=list[ComparisonGroupOut], summary="A program's comparison groups")
def comparison_groups(
    request: HttpRequest, code: Code, filters: Query[GroupFilters]
) -> list[ComparisonGroupOut]:
    _viewer, program = _program(request, code, Capability.VIEW_PROGRAMS)
    return [
        _group_out(g) for g in program_balance(program_id=program.summary.id, superseded=filters.superseded)
    ]


@groups_router.post(
    "/{code}/propose",
    response=ComparisonProposalOut,
    summary="Preview a comparison group and its balance (no write)",
)
def comparison_group_preview(request: HttpRequest, code: Code, body: ComparisonIn) -> ComparisonProposalOut:
    _viewer, program = _program(request, code, Capability.MANAGE_PROGRAMS)
    proposal: ComparisonProposal = comparison_group_propose(spec=_spec(program, body))
    return ComparisonProposalOut(
        cohort=proposal.cohort_name,
        method=proposal.method,
        as_of=proposal.as_of,
        seed=proposal.seed,
        participants=proposal.participants,
        size=proposal.size,
        balanced=(not proposal.warning) if proposal.rows else None,
        imbalanced=list(proposal.imbalanced),
        warnings=list(proposal.warnings),
        balance=_rows(proposal.rows),
        unmatched=list(proposal.unmatched),
        members=[
            ProposedMemberOut(employee_id=m.employee_id, name=m.name, distance=m.distance)
            for m in proposal.members
        ],
    )


@groups_router.post(
    "/{code}",
    response={201: ComparisonGroupOut},
    summary="Save a comparison group (replaces the current one, kept)",
)
def comparison_group_create(
    request: HttpRequest, code: Code, body: ComparisonIn
) -> Status[ComparisonGroupOut]:
    viewer, program = _program(request, code, Capability.MANAGE_PROGRAMS)
    group = comparison_group_save(actor_id=viewer.user_id, spec=_spec(program, body))
    [saved] = [g for g in program_balance(program_id=program.summary.id) if g.comparison_group_id == group.pk]
    return Status(201, _group_out(saved))


# --- pilot plans ---------------------------------------------------------------------------------------------


class SizingIn(StrictBody):
    design: PlanDesign = "means"
    minimum_detectable_effect: Number = Field(gt=0, le=1e12)
    outcome_sd: Number = Field(gt=0, le=1e12)
    correlation: Number | None = Field(None, gt=-1, lt=1, description="Difference in differences: pre/post")
    alpha: Number = Field(0.05, gt=0, lt=1)
    power: Number = Field(0.8, gt=0, lt=1)
    ratio: Number = Field(1.0, gt=0, le=20, description="Comparison people per participant")


class PilotPlanIn(SizingIn):
    metric: str | None = Field(None, max_length=60, description="Default: the program's primary metric")
    outcome_sd: Number | None = Field(  # type: ignore[assignment]
        None, gt=0, le=1e12, description="null: measured from the metric's person values over the year before"
    )
    duration_weeks: int = Field(ge=1, le=520)
    scale_threshold: Number = Field(ge=-1e12, le=1e12)
    stop_threshold: Number = Field(ge=-1e12, le=1e12)


class SizingOut(Schema):
    design: str
    required_per_group: int
    required_comparison: int
    achieved_power: float
    power_curve: list[tuple[int, float]] = Field(description="(participants, power) points")


class PilotPlanOut(Schema):
    metric: str
    design: str
    minimum_detectable_effect: float
    outcome_sd: float
    correlation: float | None
    alpha: float
    power: float
    ratio: float
    required_per_group: int
    required_comparison: int
    achieved_power: float
    duration_weeks: int
    scale_threshold: float
    stop_threshold: float
    frozen: bool
    frozen_at: dt.datetime | None
    frozen_by: str | None


def _plan_out(plan: PilotPlanView) -> PilotPlanOut:
    return PilotPlanOut(
        metric=plan.metric_code,
        design=plan.design,
        minimum_detectable_effect=plan.minimum_detectable_effect,
        outcome_sd=plan.outcome_sd,
        correlation=plan.correlation,
        alpha=plan.alpha,
        power=plan.power,
        ratio=plan.ratio,
        required_per_group=plan.required_per_group,
        required_comparison=plan.required_comparison,
        achieved_power=plan.achieved_power,
        duration_weeks=plan.duration_weeks,
        scale_threshold=plan.scale_threshold,
        stop_threshold=plan.stop_threshold,
        frozen=plan.is_frozen,
        frozen_at=plan.frozen_at,
        frozen_by=plan.frozen_by_name,
    )


def _saved_plan(program: ProgramDetail) -> PilotPlanView:
    plan = pilot_plan_get(program_id=program.summary.id)
    if plan is None:
        raise AccessDenied(f"Program {program.code} has no pilot plan yet")
    return plan


@plans_router.get("/{code}", response=PilotPlanOut, summary="A program's pilot plan")
def pilot_plan(request: HttpRequest, code: Code) -> PilotPlanOut:
    _viewer, program = _program(request, code, Capability.VIEW_PROGRAMS)
    return _plan_out(_saved_plan(program))


@plans_router.put("/{code}", response=PilotPlanOut, summary="Set the pilot plan (refused once frozen)")
def pilot_plan_put(request: HttpRequest, code: Code, body: PilotPlanIn) -> PilotPlanOut:
    viewer, program = _program(request, code, Capability.MANAGE_PROGRAMS)
    pilot_plan_set(
        actor_id=viewer.user_id,
        program_id=program.summary.id,
        design=body.design,
        metric_code=body.metric,
        minimum_detectable_effect=body.minimum_detectable_effect,
        outcome_sd=body.outcome_sd,
        correlation=body.correlation,
        alpha=body.alpha,
        power=body.power,
        ratio=body.ratio,
        duration_weeks=body.duration_weeks,
        scale_threshold=body.scale_threshold,
        stop_threshold=body.stop_threshold,
    )
    return _plan_out(_saved_plan(program))


@plans_router.post(
    "/{code}/power", response=SizingOut, summary="People needed and the power curve (no write)"
)
def pilot_plan_power(request: HttpRequest, code: Code, body: SizingIn) -> SizingOut:
    _program(request, code, Capability.VIEW_PROGRAMS)
    sizing: PilotSizing = pilot_sizing_get(
        design=body.design,
        minimum_detectable_effect=body.minimum_detectable_effect,
        outcome_sd=body.outcome_sd,
        correlation=body.correlation,
        alpha=body.alpha,
        power=body.power,
        ratio=body.ratio,
    )
    return SizingOut(
        design=sizing.design,
        required_per_group=sizing.required_per_group,
        required_comparison=sizing.required_comparison,
        achieved_power=sizing.achieved_power,
        power_curve=list(sizing.power_curve),
    )


@plans_router.post("/{code}/freeze", response=PilotPlanOut, summary="Freeze the pilot plan (no change after)")
def pilot_plan_freeze_post(request: HttpRequest, code: Code) -> PilotPlanOut:
    viewer, program = _program(request, code, Capability.MANAGE_PROGRAMS)
    pilot_plan_freeze(actor_id=viewer.user_id, program_id=program.summary.id)
    return _plan_out(_saved_plan(program))
