"""The program services the pages and the API added: reserved codes, and removing activities, costs and
metric links (each audited, each refusing what is not the program's)."""

from decimal import Decimal

import pytest

from tandem.audit.models import AuditEvent
from tandem.core.scope import DomainError, PersonScope
from tandem.impact.models import CostItem, ProgramActivity, ProgramMetric
from tandem.impact.selectors import program_get
from tandem.impact.services import (
    cost_item_add,
    cost_item_remove,
    program_activity_add,
    program_activity_remove,
    program_create,
    program_metric_remove,
    program_metric_set,
)
from tests.factories import MetricDefinitionFactory, PersonFactory
from tests.impact.factories import ProgramFactory

pytestmark = pytest.mark.django_db

COURSE = "https://lms.example.com/courses/negotiation"


@pytest.mark.parametrize("code", ["new", "setup"])
def test_a_page_name_is_not_a_program_code(code):
    with pytest.raises(DomainError, match="reserved"):
        program_create(actor_id=None, code=code, name="Clashes with a page")


def test_program_create_keeps_the_sponsor():
    PersonFactory(employee_id="S1", first_name="Sue", last_name="Sponsor")
    program = program_create(actor_id=None, code="coach", name="Coaching", sponsor_employee_id="S1")
    detail = program_get(scope=PersonScope.all(), code="coach")
    assert detail.sponsor_employee_id == "S1" and detail.sponsor_name == "Sue Sponsor"
    assert detail.code == "coach" and program.sponsor is not None


def test_activity_added_once_then_removed_and_audited():
    program = ProgramFactory()
    activity = program_activity_add(
        actor_id=None, program_id=program.pk, activity_iri=COURSE, name="Negotiation"
    )
    with pytest.raises(DomainError, match="already one of"):
        program_activity_add(actor_id=None, program_id=program.pk, activity_iri=COURSE)
    assert program_get(scope=PersonScope.all(), code=program.code).activities[0].id == activity.pk
    program_activity_remove(actor_id=None, program_id=program.pk, activity_id=activity.pk)
    assert not ProgramActivity.objects.filter(program=program).exists()
    event = AuditEvent.objects.filter(entity_type="program", entity_id=str(program.pk)).latest("id")
    assert event.changes["activity_removed"] == COURSE


def test_an_activity_of_another_program_is_not_removed():
    mine, other = ProgramFactory(), ProgramFactory()
    theirs = program_activity_add(actor_id=None, program_id=other.pk, activity_iri=COURSE)
    with pytest.raises(DomainError, match="No activity"):
        program_activity_remove(actor_id=None, program_id=mine.pk, activity_id=theirs.pk)
    assert ProgramActivity.objects.filter(pk=theirs.pk).exists()


def test_cost_line_removed_with_its_total_in_the_audit(settings):
    settings.TANDEM_CURRENCY = "EUR"
    program, other = ProgramFactory(), ProgramFactory()
    item = cost_item_add(
        actor_id=None, program_id=program.pk, kind="ld_hours", hours=Decimal(10), rate=Decimal("55.5")
    )
    with pytest.raises(DomainError, match="No cost line"):
        cost_item_remove(actor_id=None, program_id=other.pk, cost_item_id=item.pk)
    cost_item_remove(actor_id=None, program_id=program.pk, cost_item_id=item.pk)
    assert not CostItem.objects.filter(program=program).exists()
    event = AuditEvent.objects.filter(entity_type="program", entity_id=str(program.pk)).latest("id")
    assert event.changes["cost_removed"] == "ld_hours" and event.changes["total"] == "555.0000"
    assert event.changes["currency"] == "EUR"


def test_metric_link_removed_and_the_direction_kept_on_the_detail():
    program = ProgramFactory()
    MetricDefinitionFactory(code="aht", name="Handling time", direction="down")
    program_metric_set(
        actor_id=None, program_id=program.pk, metric_code="aht", is_primary=True, expected_direction="up"
    )
    detail = program_get(scope=PersonScope.all(), code=program.code)
    assert detail.metrics[0].expected_direction == "up"
    with pytest.raises(DomainError, match="not linked"):
        program_metric_remove(actor_id=None, program_id=program.pk, metric_code="csat")
    program_metric_remove(actor_id=None, program_id=program.pk, metric_code="aht")
    assert not ProgramMetric.objects.filter(program=program).exists()
    event = AuditEvent.objects.filter(entity_type="program", entity_id=str(program.pk)).latest("id")
    assert event.changes == {"metric_removed": "aht", "primary": True}
