"""Reads for programs: plain frozen values, a bounded number of queries each."""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from tandem.core.scope import AccessDenied, DomainError, PersonScope
from tandem.impact.models import (
    Cohort,
    ComparisonGroup,
    CostItem,
    Feedback,
    Participant,
    PilotPlan,
    Program,
    ProgramActivity,
    ProgramMetric,
)

# The panel reads live in tandem.impact.panel (the SQL over millions of rows is read on its own); they are
# named here too so that callers keep one place to import a program's reads from.
from tandem.impact.panel import program_panel, program_panel_matrix
from tandem.impact.records import (
    ActivityView,
    BalanceRowView,
    BalanceView,
    CohortView,
    CostView,
    FeedbackView,
    ParticipantView,
    PilotPlanView,
    PilotSizing,
    ProgramDetail,
    ProgramMetricView,
    ProgramSummary,
)
from tandem.impact.stats import DidDesign, MeansDesign, StatsError, power_curve, sample_size
from tandem.metrics.models import MetricDefinition, MetricObservation
from tandem.org.models import Assignment
from tandem.org.periods import in_force
from tandem.org.selectors import person_scope_filter

POWER_CURVE_POINTS = 25


def _summary(program: Program) -> ProgramSummary:
    return ProgramSummary(
        id=program.pk,
        code=program.code,
        name=program.name,
        status=program.status,
        status_label=program.get_status_display(),
        is_pilot=program.is_pilot,
        owner_name=program.owner.full_name if program.owner else None,
        initiative_name=program.initiative.name if program.initiative else None,
        start_date=program.start_date,
        end_date=program.end_date,
        participants=getattr(program, "n_participants", 0),
        cohorts=getattr(program, "n_cohorts", 0),
    )


def _counted(programs: QuerySet[Program]) -> QuerySet[Program]:
    """Participant and cohort counts as correlated subqueries: joining both and counting DISTINCT multiplies
    the rows (10,000 participants × 4 cohorts took 0.1 s of every impact computation)."""

    def count(model: type[Participant] | type[Cohort]) -> Coalesce:
        rows = (
            model.objects.filter(program=OuterRef("pk")).order_by().values("program").annotate(n=Count("pk"))
        )
        return Coalesce(Subquery(rows.values("n")), 0)

    return programs.annotate(n_participants=count(Participant), n_cohorts=count(Cohort))


def _visible(programs: QuerySet[Program], scope: PersonScope) -> QuerySet[Program]:
    """Programs the scope may see: every program for L&D, else those with a participant in the scope (a
    stakeholder sees the programs that reached their part of the organisation)."""
    if scope.everyone:
        return programs
    reached = Participant.objects.filter(person_scope_filter(scope, prefix="person__")).values("program_id")
    return programs.filter(pk__in=reached)


def program_list(*, scope: PersonScope, status: str = "", search: str = "") -> list[ProgramSummary]:
    """The programs the viewer may see (participant lists are scoped separately). Two queries."""
    programs = _counted(_visible(Program.objects.select_related("owner", "initiative"), scope))
    if status:
        programs = programs.filter(status=status)
    if search:
        programs = programs.filter(Q(name__icontains=search) | Q(code__icontains=search))
    return [_summary(program) for program in programs.order_by("-start_date", "name")]


def program_get(*, scope: PersonScope, program_id: int | None = None, code: str = "") -> ProgramDetail:
    """One program with its metrics, activities, costs and cohorts (six queries). AccessDenied when it does
    not exist or none of its participants is in the scope (the two look the same)."""
    programs = _counted(_visible(Program.objects.select_related("owner", "sponsor", "initiative"), scope))
    program = (
        programs.filter(pk=program_id).first()
        if program_id is not None
        else programs.filter(code=code).first()
    )
    if program is None:
        raise AccessDenied(f"No program {program_id if program_id is not None else code}")
    metrics = ProgramMetric.objects.filter(program=program).select_related("metric")
    cohorts = (
        Cohort.objects.filter(program=program)
        .annotate(n=Count("participants"))
        .order_by("start_date", "name")
    )
    return ProgramDetail(
        summary=_summary(program),
        description=program.description,
        audience=program.audience,
        request_ref=program.request_ref,
        delivery_modes=tuple(program.delivery_modes),
        owner_employee_id=program.owner.employee_id if program.owner else None,
        sponsor_employee_id=program.sponsor.employee_id if program.sponsor else None,
        sponsor_name=program.sponsor.full_name if program.sponsor else None,
        initiative_code=program.initiative.code if program.initiative else None,
        metrics=tuple(
            ProgramMetricView(
                metric_code=link.metric.code,
                metric_name=link.metric.name,
                unit=link.metric.unit,
                direction=link.metric.direction,
                baseline=link.baseline,
                baseline_date=link.baseline_date,
                goal=link.goal,
                value_per_unit=link.value_per_unit,
                is_primary=link.is_primary,
                expected_direction=link.expected_direction,
            )
            for link in metrics
        ),
        activities=tuple(
            ActivityView(id=a.pk, activity_iri=a.activity_iri, catalog_key=a.catalog_key, name=a.name)
            for a in ProgramActivity.objects.filter(program=program)
        ),
        costs=tuple(
            CostView(
                id=c.pk,
                currency=c.currency,
                kind=c.kind,
                kind_label=c.get_kind_display(),
                description=c.description,
                amount=c.amount,
                hours=c.hours,
                rate=c.rate,
                total=c.total,
            )
            for c in CostItem.objects.filter(program=program)
        ),
        cohorts=tuple(
            CohortView(id=c.pk, name=c.name, start_date=c.start_date, participants=getattr(c, "n", 0))
            for c in cohorts
        ),
    )


def program_participants_as_of(*, scope: PersonScope, program_id: int, on: dt.date) -> list[ParticipantView]:
    """Participants whose cohort had started by `on`, with where they sat that day (two queries)."""
    participants = list(
        Participant.objects.filter(program_id=program_id, cohort__start_date__lte=on)
        .filter(person_scope_filter(scope, prefix="person__"))
        .select_related("person", "cohort")
        .order_by("cohort__start_date", "person__last_name", "person__first_name", "person__employee_id")
    )
    placed = {
        person_id: (unit, role)
        for person_id, unit, role in Assignment.objects.filter(
            in_force(on), person_id__in=[p.person_id for p in participants]
        )
        .order_by("person_id", "valid_from")
        .values_list("person_id", "org_unit__name", "job_role__name")
    }
    return [
        ParticipantView(
            employee_id=p.person.employee_id,
            name=p.person.full_name,
            cohort_name=p.cohort.name,
            cohort_start=p.cohort.start_date,
            assigned_by=p.assigned_by,
            joined_on=p.joined_on,
            org_unit_name=placed.get(p.person_id, (None, None))[0],
            job_role_name=placed.get(p.person_id, (None, None))[1],
        )
        for p in participants
    ]


def _float_or_none(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def program_balance(
    *, program_id: int, cohort_id: int | None = None, superseded: bool = False
) -> list[BalanceView]:
    """The balance table of each current comparison group of the program (or of one cohort), newest
    first; with `superseded`, also the groups they replaced (kept so a re-match can be compared)."""
    groups = ComparisonGroup.objects.filter(program_id=program_id).select_related("cohort")
    if not superseded:
        groups = groups.filter(superseded_at__isnull=True)
    if cohort_id is not None:
        groups = groups.filter(cohort_id=cohort_id)
    groups = groups.annotate(n_members=Count("members")).order_by("cohort__start_date", "-created_at")
    group_list = list(groups)
    treated = dict(
        Participant.objects.filter(program_id=program_id)
        .order_by()
        .values_list("cohort_id")
        .annotate(n=Count("id"))
    )
    total_treated = sum(treated.values())
    return [
        BalanceView(
            comparison_group_id=group.pk,
            cohort_name=group.cohort.name if group.cohort else None,
            method=group.method,
            as_of=group.as_of,
            seed=group.seed,
            caliper=group.caliper,
            participants=treated.get(group.cohort_id, 0) if group.cohort_id else total_treated,
            comparison=getattr(group, "n_members", 0),
            unmatched_participants=group.unmatched_participants,
            warning=group.balance_warning,
            cohort_id=group.cohort_id,
            created_at=group.created_at,
            superseded_at=group.superseded_at,
            strata=tuple(group.strata),
            rows=tuple(
                BalanceRowView(
                    covariate=row["covariate"],
                    mean_treated_before=float(row["mean_treated_before"]),
                    mean_comparison_before=float(row["mean_comparison_before"]),
                    mean_treated_after=_float_or_none(row.get("mean_treated_after")),
                    mean_comparison_after=_float_or_none(row.get("mean_comparison_after")),
                    smd_before=_float_or_none(row.get("smd_before")),
                    smd_after=_float_or_none(row.get("smd_after")),
                )
                for row in group.balance
            ),
        )
        for group in group_list
    ]


def _curve_points(required: int) -> list[int]:
    """Group sizes from very small to three times the requirement, for the power chart."""
    top = max(3 * required, 10)
    step = max(1, top // POWER_CURVE_POINTS)
    points = sorted({*range(max(2, step), top + 1, step), required})
    return [n for n in points if n >= 2]


def pilot_design(
    *,
    design: str | None,
    minimum_detectable_effect: float,
    outcome_sd: float,
    correlation: float | None,
    alpha: float,
    ratio: float,
) -> MeansDesign | DidDesign:
    """The power module's design for a plan: DiD when asked (or, not asked, when a correlation is given)."""
    did = design == PilotPlan.Design.DID or (design is None and correlation is not None)
    if did:
        if correlation is None:
            raise StatsError("invalid_argument", "the difference-in-differences design needs a correlation")
        return DidDesign(
            difference=minimum_detectable_effect,
            sd=outcome_sd,
            correlation=correlation,
            ratio=ratio,
            alpha=alpha,
        )
    return MeansDesign(difference=minimum_detectable_effect, sd=outcome_sd, ratio=ratio, alpha=alpha)


def pilot_sizing_get(
    *,
    design: str | None,
    minimum_detectable_effect: float,
    outcome_sd: float,
    correlation: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
) -> PilotSizing:
    """The people a pilot needs and its power curve (no write; the plan page shows it while typing).
    Raises DomainError with a sentence when the numbers cannot be sized."""
    if minimum_detectable_effect <= 0:
        raise DomainError("The minimum detectable effect must be positive")
    try:
        chosen = pilot_design(
            design=design,
            minimum_detectable_effect=minimum_detectable_effect,
            outcome_sd=outcome_sd,
            correlation=correlation,
            alpha=alpha,
            ratio=ratio,
        )
        needed = sample_size(design=chosen, target_power=power)
        curve = tuple(power_curve(design=chosen, n_values=_curve_points(needed.n_a)))
    except StatsError as error:
        raise DomainError(f"Cannot size the pilot: {error}") from error
    return PilotSizing(
        design=PilotPlan.Design.DID if isinstance(chosen, DidDesign) else PilotPlan.Design.MEANS,
        required_per_group=needed.n_a,
        required_comparison=needed.n_b,
        achieved_power=needed.achieved_power,
        power_curve=curve,
    )


def metric_sd_measured(*, metric_code: str, before: dt.date) -> float | None:
    """SD of the metric's person-level values over the 12 months before `before` (None: too few)."""
    since = before.replace(year=before.year - 1)
    values = list(
        MetricObservation.objects.filter(
            metric__code=metric_code, person__isnull=False, period_start__gte=since, period_start__lt=before
        )
        .order_by()
        .values_list("value", flat=True)
    )
    if len(values) < 2:
        return None
    sd = float(np.std(values, ddof=1))
    return sd if sd > 0 else None


def pilot_plan_get(*, program_id: int) -> PilotPlanView | None:
    plan = PilotPlan.objects.select_related("metric").filter(program_id=program_id).first()
    if plan is None:
        return None
    try:
        design: MeansDesign | DidDesign = (
            DidDesign(
                difference=plan.minimum_detectable_effect,
                sd=plan.outcome_sd,
                correlation=plan.correlation,
                ratio=plan.ratio,
                alpha=plan.alpha,
            )
            if plan.design == PilotPlan.Design.DID and plan.correlation is not None
            else MeansDesign(
                difference=plan.minimum_detectable_effect,
                sd=plan.outcome_sd,
                ratio=plan.ratio,
                alpha=plan.alpha,
            )
        )
        curve = tuple(power_curve(design=design, n_values=_curve_points(plan.required_per_group)))
    except StatsError:
        curve = ()
    return PilotPlanView(
        program_id=program_id,
        metric_code=plan.metric.code,
        metric_name=plan.metric.name,
        higher_is_better=plan.metric.direction == MetricDefinition.Direction.UP,
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
        frozen_at=plan.frozen_at,
        power_curve=curve,
        frozen_by_name=_user_name(plan.frozen_by_id),
    )


def _user_name(user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def feedback_for_person(*, person_id: int) -> list[FeedbackView]:
    """'You said, we did' notes of the programs the person takes part in (for their own page)."""
    program_ids = Participant.objects.filter(person_id=person_id).values("program_id")
    notes = Feedback.objects.filter(program_id__in=program_ids).select_related("program", "cohort")
    return [
        FeedbackView(
            program_code=note.program.code,
            program_name=note.program.name,
            cohort_name=note.cohort.name if note.cohort else None,
            you_said=note.you_said,
            we_did=note.we_did,
            published_at=note.published_at,
        )
        for note in notes.order_by("-published_at")
    ]


__all__ = [
    "feedback_for_person",
    "metric_sd_measured",
    "pilot_design",
    "pilot_plan_get",
    "pilot_sizing_get",
    "program_balance",
    "program_get",
    "program_list",
    "program_panel",
    "program_panel_matrix",
    "program_participants_as_of",
]
