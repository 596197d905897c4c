import datetime as dt
from decimal import Decimal

import pytest

from tandem.audit.models import AuditEvent
from tandem.core.scope import AccessDenied, DomainError, PersonScope
from tandem.impact.models import CostItem, Program, ProgramMetric
from tandem.impact.selectors import program_get, program_list
from tandem.impact.services import (
    cohort_create,
    cost_item_add,
    program_activity_add,
    program_create,
    program_metric_set,
    program_update,
)
from tandem.initiatives.models import Initiative
from tests.factories import MetricDefinitionFactory, PersonFactory
from tests.impact.factories import ParticipantFactory, ProgramFactory

pytestmark = pytest.mark.django_db


def test_program_create_links_owner_initiative_and_is_audited():
    owner = PersonFactory(employee_id="E1")
    Initiative.objects.create(
        code="nps", name="Raise NPS", start_date=dt.date(2025, 1, 1), end_date=dt.date(2025, 12, 31)
    )
    program = program_create(
        actor_id=None,
        code="coach",
        name="Coaching for agents",
        owner_employee_id="E1",
        initiative_code="nps",
        request_ref="REQ-12",
        delivery_modes=["coaching", "elearning", "coaching"],
        start_date=dt.date(2025, 3, 1),
        end_date=dt.date(2025, 9, 30),
        is_pilot=True,
    )
    assert program.owner == owner
    assert program.initiative is not None and program.initiative.code == "nps"
    assert program.delivery_modes == ["coaching", "elearning"]
    assert program.status == Program.Status.DRAFT
    event = AuditEvent.objects.get(entity_type="program", action="create")
    assert event.changes["code"] == "coach"
    assert event.changes["request_ref"] == "REQ-12"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"owner_employee_id": "NOPE"}, "Unknown employee id"),
        ({"initiative_code": "nope"}, "Unknown initiative"),
        ({"delivery_modes": ["telepathy"]}, "Unknown delivery mode"),
        ({"start_date": dt.date(2025, 5, 1), "end_date": dt.date(2025, 4, 1)}, "cannot end before"),
        ({"status": "weird"}, "Unknown status"),
    ],
)
def test_program_create_rejects_bad_input(kwargs, message):
    with pytest.raises(DomainError, match=message):
        program_create(actor_id=None, code="x", name="X", **kwargs)
    assert not Program.objects.exists()


def test_program_create_rejects_duplicate_code():
    ProgramFactory(code="dup")
    with pytest.raises(DomainError, match="already exists"):
        program_create(actor_id=None, code="dup", name="Again")


def test_program_update_changes_only_given_fields_and_audits_the_diff():
    program = ProgramFactory(name="Old", audience="Agents")
    program_update(actor_id=None, program_id=program.pk, name="New", end_date=None)
    program.refresh_from_db()
    assert program.name == "New"
    assert program.end_date is None
    assert program.audience == "Agents"
    event = AuditEvent.objects.get(entity_type="program", action="update")
    assert event.changes == {"name": ["Old", "New"], "end_date": ["2025-12-31", None]}
    # Nothing changed: no audit row.
    program_update(actor_id=None, program_id=program.pk, name="New")
    assert AuditEvent.objects.filter(entity_type="program", action="update").count() == 1


def test_program_update_validates_and_rejects_unknown_program():
    program = ProgramFactory()
    with pytest.raises(DomainError, match="cannot end before"):
        program_update(actor_id=None, program_id=program.pk, end_date=dt.date(2020, 1, 1))
    with pytest.raises(DomainError, match="No program"):
        program_update(actor_id=None, program_id=program.pk + 99, name="X")


def test_metric_links_keep_one_primary_and_value_per_unit():
    program = ProgramFactory()
    first = MetricDefinitionFactory(code="aht")
    second = MetricDefinitionFactory(code="csat")
    program_metric_set(actor_id=None, program_id=program.pk, metric_code="aht", is_primary=True, baseline=7.5)
    program_metric_set(
        actor_id=None,
        program_id=program.pk,
        metric_code="csat",
        is_primary=True,
        value_per_unit=Decimal("12.50"),
    )
    primary = ProgramMetric.objects.get(program=program, is_primary=True)
    assert primary.metric == second
    assert ProgramMetric.objects.get(metric=first).is_primary is False
    with pytest.raises(DomainError, match="Unknown metric"):
        program_metric_set(actor_id=None, program_id=program.pk, metric_code="nope")


def test_activities_and_costs():
    program = ProgramFactory()
    program_activity_add(
        actor_id=None, program_id=program.pk, activity_iri="https://lms.example.com/course/1", name="Course"
    )
    program_activity_add(actor_id=None, program_id=program.pk, catalog_key="CAT-7")
    with pytest.raises(DomainError, match="IRI or a catalogue key"):
        program_activity_add(actor_id=None, program_id=program.pk)
    with pytest.raises(DomainError, match="not an IRI"):
        program_activity_add(actor_id=None, program_id=program.pk, activity_iri="course 1")
    cost_item_add(actor_id=None, program_id=program.pk, kind="licence", amount=Decimal("1000"))
    cost_item_add(
        actor_id=None,
        program_id=program.pk,
        kind="participant_time",
        hours=Decimal("40"),
        rate=Decimal("35.5"),
    )
    with pytest.raises(DomainError, match="either an amount"):
        cost_item_add(actor_id=None, program_id=program.pk, kind="other", amount=Decimal(1), hours=Decimal(1))
    with pytest.raises(DomainError, match="either an amount"):
        cost_item_add(actor_id=None, program_id=program.pk, kind="other", hours=Decimal(1))
    with pytest.raises(DomainError, match="Unknown cost kind"):
        cost_item_add(actor_id=None, program_id=program.pk, kind="bribes", amount=Decimal(1))
    with pytest.raises(DomainError, match="negative"):
        cost_item_add(actor_id=None, program_id=program.pk, kind="other", amount=Decimal(-1))
    assert CostItem.objects.count() == 2
    detail = program_get(scope=PersonScope.all(), program_id=program.pk)
    assert detail.total_cost == Decimal("2420.00")
    assert {a.catalog_key for a in detail.activities} == {"", "CAT-7"}


def test_cohort_create_rules():
    program = ProgramFactory(end_date=dt.date(2025, 12, 31))
    cohort_create(actor_id=None, program_id=program.pk, name="Wave 1", start_date=dt.date(2025, 3, 1))
    with pytest.raises(DomainError, match="already has a cohort"):
        cohort_create(actor_id=None, program_id=program.pk, name="Wave 1", start_date=dt.date(2025, 4, 1))
    with pytest.raises(DomainError, match="after the program ends"):
        cohort_create(actor_id=None, program_id=program.pk, name="Late", start_date=dt.date(2026, 4, 1))
    assert AuditEvent.objects.filter(entity_type="cohort", action="create").count() == 1


def test_program_list_and_get_with_bounded_queries(django_assert_max_num_queries):
    for i in range(5):
        program = ProgramFactory(owner=PersonFactory(), status=Program.Status.RUNNING if i % 2 else "draft")
        MetricDefinitionFactory(code=f"m{i}")
        program_metric_set(actor_id=None, program_id=program.pk, metric_code=f"m{i}", is_primary=True)
        cohort_create(actor_id=None, program_id=program.pk, name="W1", start_date=dt.date(2025, 3, 1))
        cohort_create(actor_id=None, program_id=program.pk, name="W2", start_date=dt.date(2025, 6, 1))
    with django_assert_max_num_queries(1):
        programs = program_list(scope=PersonScope.all())
    assert len(programs) == 5
    assert all(p.cohorts == 2 and p.owner_name for p in programs)
    assert len(program_list(scope=PersonScope.all(), status="running")) == 2
    with django_assert_max_num_queries(6):
        detail = program_get(scope=PersonScope.all(), program_id=program.pk)
    assert detail.primary_metric is not None and detail.primary_metric.metric_code == "m4"
    assert [c.name for c in detail.cohorts] == ["W1", "W2"]
    assert program_get(scope=PersonScope.all(), code=program.code).summary.id == program.pk
    with pytest.raises(AccessDenied):
        program_get(scope=PersonScope.all(), code="missing")


def test_program_list_and_get_are_scoped_to_programs_with_participants_in_scope():
    reached, elsewhere = ParticipantFactory(), ParticipantFactory()
    scope = PersonScope(org_unit_ids=frozenset({reached.person.org_unit_id}))
    assert [p.code for p in program_list(scope=scope)] == [reached.program.code]
    assert program_get(scope=scope, code=reached.program.code).summary.id == reached.program_id
    with pytest.raises(AccessDenied):
        program_get(scope=scope, code=elsewhere.program.code)
    assert program_list(scope=PersonScope.nobody()) == []
    assert {p.code for p in program_list(scope=PersonScope.all())} == {
        reached.program.code,
        elsewhere.program.code,
    }
