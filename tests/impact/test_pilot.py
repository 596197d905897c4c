import datetime as dt

import pytest

from tandem.audit.models import AuditEvent
from tandem.core.scope import DomainError
from tandem.impact.models import PilotPlan, Program
from tandem.impact.selectors import feedback_for_person, pilot_plan_get
from tandem.impact.services import (
    feedback_publish,
    participants_add_list,
    pilot_plan_freeze,
    pilot_plan_set,
    program_metric_set,
)
from tandem.impact.stats import MeansDesign, sample_size
from tandem.metrics.models import MetricObservation
from tests.factories import MetricDefinitionFactory, PersonFactory
from tests.impact.factories import CohortFactory, ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def program():
    program = ProgramFactory(start_date=dt.date(2025, 3, 1))
    MetricDefinitionFactory(code="aht", grain="person", direction="down")
    program_metric_set(actor_id=None, program_id=program.pk, metric_code="aht", is_primary=True)
    return program


def _plan(program, **extra):
    values = {
        "minimum_detectable_effect": 0.5,
        "outcome_sd": 2.0,
        "duration_weeks": 12,
        "scale_threshold": 0.3,
        "stop_threshold": 0.0,
    }
    values.update(extra)
    return pilot_plan_set(actor_id=None, program_id=program.pk, **values)


def test_plan_sizes_the_pilot_with_the_power_module(program):
    plan = _plan(program)
    expected = sample_size(design=MeansDesign(difference=0.5, sd=2.0), target_power=0.8)
    assert plan.required_per_group == expected.n_a == 253
    assert plan.required_comparison == expected.n_b
    assert plan.metric.code == "aht" and plan.design == "means"
    did = _plan(program, correlation=0.7)
    assert did.design == "did"
    assert did.required_per_group < expected.n_a  # change scores are less noisy when ρ > 0.5
    assert AuditEvent.objects.filter(entity_type="pilot_plan").count() == 2


def test_plan_estimates_the_sd_from_past_person_values(program):
    people = [PersonFactory() for _ in range(3)]
    metric = program.metric_links.get().metric
    for i, person in enumerate(people):
        for month, value in ((1, 5.0 + i), (2, 7.0 + i)):
            MetricObservation.objects.create(
                metric=metric,
                person=person,
                entity_key=f"person:{person.pk}",
                period_start=dt.date(2025, month, 1),
                value=value,
            )
    plan = _plan(program, outcome_sd=None)
    assert plan.outcome_sd == pytest.approx(1.4142, abs=1e-3)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"outcome_sd": None}, "Not enough past values"),
        ({"minimum_detectable_effect": 0}, "must be positive"),
        ({"duration_weeks": 0}, "at least a week"),
        ({"stop_threshold": 1.0}, "cannot be above"),
        ({"alpha": 0.7}, "Cannot size the pilot"),
        ({"metric_code": "nope"}, "Unknown metric"),
    ],
)
def test_plan_rejects_bad_input(program, extra, message):
    with pytest.raises(DomainError, match=message):
        _plan(program, **extra)
    assert not PilotPlan.objects.exists()


def test_plan_needs_a_metric():
    with pytest.raises(DomainError, match="primary metric"):
        _plan(ProgramFactory())


def test_frozen_plan_is_immutable(program):
    _plan(program)
    with pytest.raises(DomainError, match="Set the pilot plan"):
        pilot_plan_freeze(actor_id=None, program_id=ProgramFactory().pk)
    frozen = pilot_plan_freeze(actor_id=None, program_id=program.pk)
    assert frozen.frozen_at is not None
    program.refresh_from_db()
    assert program.status == Program.Status.PILOT
    with pytest.raises(DomainError, match="frozen at launch"):
        _plan(program, minimum_detectable_effect=0.1)
    with pytest.raises(DomainError, match="already frozen"):
        pilot_plan_freeze(actor_id=None, program_id=program.pk)
    assert PilotPlan.objects.get().minimum_detectable_effect == 0.5
    assert (
        AuditEvent.objects.filter(entity_type="pilot_plan", summary="pilot plan frozen at launch").count()
        == 1
    )


def test_plan_view_has_a_power_curve_and_applies_the_decision_rule(program, django_assert_max_num_queries):
    assert pilot_plan_get(program_id=program.pk) is None
    _plan(program)
    with django_assert_max_num_queries(1):
        view = pilot_plan_get(program_id=program.pk)
    assert view is not None and not view.is_frozen
    ns = [n for n, _ in view.power_curve]
    powers = [p for _, p in view.power_curve]
    assert ns == sorted(ns) and view.required_per_group in ns
    assert powers == sorted(powers)  # more people, more power
    assert dict(view.power_curve)[view.required_per_group] == pytest.approx(view.achieved_power)
    # AHT: lower is better, so a fall of 0.5 (CI −0.8 to −0.35) is an improvement above the 0.3 bar.
    assert view.decide(effect=-0.5, ci_low=-0.8, ci_high=-0.35) == "scale"
    assert view.decide(effect=-0.2, ci_low=-0.5, ci_high=0.1) == "iterate"
    assert view.decide(effect=0.2, ci_low=-0.1, ci_high=0.5) == "stop"


def test_feedback_is_published_and_visible_to_participants():
    cohort = CohortFactory()
    participant = PersonFactory(employee_id="F1")
    outsider = PersonFactory(employee_id="F2")
    participants_add_list(actor_id=None, cohort_id=cohort.pk, employee_ids=["F1"])
    feedback_publish(
        actor_id=None,
        program_id=cohort.program_id,
        cohort_id=cohort.pk,
        you_said="  The role plays were too long. ",
        we_did="Cut them to 20 minutes.",
    )
    [note] = feedback_for_person(person_id=participant.pk)
    assert note.you_said == "The role plays were too long."
    assert note.cohort_name == cohort.name
    assert feedback_for_person(person_id=outsider.pk) == []
    assert AuditEvent.objects.filter(entity_type="feedback", action="create").count() == 1
    with pytest.raises(DomainError, match="Say both"):
        feedback_publish(actor_id=None, program_id=cohort.program_id, you_said="x", we_did=" ")
    with pytest.raises(DomainError, match="another program"):
        feedback_publish(
            actor_id=None, program_id=ProgramFactory().pk, cohort_id=cohort.pk, you_said="x", we_did="y"
        )
