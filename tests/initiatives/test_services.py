"""Initiative writes: validated with reasons, audited, links measured where they say."""

import datetime as dt

import pytest

from tandem.audit.models import AuditEvent
from tandem.core.scope import DomainError
from tandem.initiatives.models import Initiative, InitiativeMetric
from tandem.initiatives.services import (
    initiative_create,
    initiative_metric_link,
    initiative_metric_unlink,
    initiative_update,
)
from tests.factories import MetricDefinitionFactory, OrgUnitFactory, PersonFactory

pytestmark = pytest.mark.django_db

BASE = {
    "actor_id": None,
    "code": "retention",
    "name": "Retention",
    "description": "",
    "start_date": dt.date(2025, 1, 1),
    "end_date": dt.date(2025, 12, 31),
}


def test_create_and_update_are_audited_with_their_diff():
    owner = PersonFactory(employee_id="E1")
    OrgUnitFactory(code="PPL")
    initiative_create(**BASE, owner_employee_id="E1", sponsor_org_unit_code="PPL")
    initiative_update(
        **{**BASE, "name": "Keep people"},
        owner_employee_id=None,
        sponsor_org_unit_code="PPL",
        status="cancelled",
    )
    initiative = Initiative.objects.get()
    assert initiative.name == "Keep people" and initiative.owner is None and initiative.status == "cancelled"
    update = AuditEvent.objects.get(entity_type="initiative", action="update")
    assert update.changes == {
        "name": ["Retention", "Keep people"],
        "owner": [owner.employee_id, None],
        "status": ["active", "cancelled"],
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "no spaces"}, "The code must be"),
        ({"name": ""}, "Give the initiative a name"),
        ({"end_date": dt.date(2024, 12, 31)}, "cannot end before it starts"),
        ({"owner_employee_id": "NOPE"}, "No person with employee id 'NOPE'"),
        ({"sponsor_org_unit_code": "NOPE"}, "Unknown sponsor org unit 'NOPE'"),
        ({"status": "dreaming"}, "Unknown status 'dreaming'"),
    ],
)
def test_bad_input_is_refused_with_a_reason(change, message):
    with pytest.raises(DomainError, match=message):
        initiative_create(**{**BASE, **change})
    assert not Initiative.objects.exists()


def test_a_code_in_use_is_refused():
    initiative_create(**BASE)
    with pytest.raises(DomainError, match="already exists"):
        initiative_create(**BASE)


def test_link_change_and_unlink():
    initiative_create(**BASE)
    metric = MetricDefinitionFactory(code="attrition")
    OrgUnitFactory(code="CS")
    link = initiative_metric_link(
        actor_id=None,
        initiative_code="retention",
        metric_code="attrition",
        baseline_date=dt.date(2024, 12, 1),
    )
    assert link.org_unit is None and link.baseline is None  # measured on the company line
    link = initiative_metric_link(
        actor_id=None,
        initiative_code="retention",
        metric_code="attrition",
        baseline=1.2,
        target=0.9,
        org_unit_code="CS",
    )
    assert InitiativeMetric.objects.get().org_unit.code == "CS" and link.target == 0.9
    initiative_metric_unlink(actor_id=None, initiative_code="retention", metric_code=metric.code)
    assert not InitiativeMetric.objects.exists()
    with pytest.raises(DomainError, match="is not linked"):
        initiative_metric_unlink(actor_id=None, initiative_code="retention", metric_code=metric.code)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"metric_code": "nope"}, "Unknown metric 'nope'"),
        ({"initiative_code": "nope"}, "Unknown initiative 'nope'"),
        ({"baseline": None, "baseline_date": None}, "Give a baseline date"),
        ({"target": float("nan")}, "The target must be a number"),
        ({"target_date": dt.date(2024, 1, 1)}, "target date must come after the baseline date"),
        ({"org_unit_code": "NOPE"}, "Unknown measured org unit"),
        ({"metric_code": "cloud", "org_unit_code": "CS"}, "company-level metric"),
    ],
)
def test_bad_links_are_refused(change, message):
    initiative_create(**BASE)
    MetricDefinitionFactory(code="attrition")
    MetricDefinitionFactory(code="cloud", grain="company")
    OrgUnitFactory(code="CS")
    values = {
        "actor_id": None,
        "initiative_code": "retention",
        "metric_code": "attrition",
        "baseline": 1.0,
        "baseline_date": dt.date(2024, 12, 1),
        "target": 0.5,
    }
    with pytest.raises(DomainError, match=message):
        initiative_metric_link(**{**values, **change})
    assert not InitiativeMetric.objects.exists()
