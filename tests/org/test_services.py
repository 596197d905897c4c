import datetime as dt

import pytest

from tandem.audit.models import AuditEvent
from tandem.org.services import org_unit_update
from tests.org.factories import org_units_sales_cs

pytestmark = pytest.mark.django_db


@pytest.fixture
def units():
    org_units_sales_cs()


def test_org_unit_rename_keeps_version_history(units):
    unit = org_unit_update(actor_id=None, code="CS", effective=dt.date(2025, 6, 1), name="Customer Care")
    assert [v.name for v in unit.versions.order_by("valid_from")] == ["Customer Service", "Customer Care"]
    assert AuditEvent.objects.filter(entity_type="org_unit", action="update").count() == 1
