"""Programs and cohorts are read-only in the admin: the program pages and the services are the one write
path (a hand edit would skip their checks and the audit)."""

import pytest
from django.urls import reverse

from tandem.accounts.models import Role
from tandem.audit.models import AuditEvent
from tandem.impact.models import CostItem, Program
from tests.impact.factories import CohortFactory, ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ld_admin_client(client, make_user):
    client.force_login(make_user(email="ld@example.com", roles=[Role.LD_ADMIN]))
    return client


def test_the_admin_shows_a_program_but_refuses_to_change_it(ld_admin_client):
    program = ProgramFactory(code="onboarding", name="Onboarding")
    CostItem.objects.create(program=program, kind="licence", amount=100, currency="EUR")
    page = ld_admin_client.get(reverse("admin:impact_program_change", args=[program.pk]))
    assert page.status_code == 200 and "View program" in page.text and "100" in page.text
    data = {"code": "onboarding", "name": "Renamed", "status": "draft", "delivery_modes": "[]"}
    change = reverse("admin:impact_program_change", args=[program.pk])
    assert ld_admin_client.post(change, data).status_code == 403
    assert ld_admin_client.post(reverse("admin:impact_program_add"), data).status_code == 403
    delete = reverse("admin:impact_program_delete", args=[program.pk])
    assert ld_admin_client.post(delete, {"post": "yes"}).status_code == 403
    program.refresh_from_db()
    assert program.name == "Onboarding" and Program.objects.count() == 1
    assert not AuditEvent.objects.filter(entity_type="program").exists()


def test_the_admin_refuses_to_change_a_cohort(ld_admin_client):
    cohort = CohortFactory(name="Wave 1")
    data = {"program": str(cohort.program_id), "name": "Wave 9", "start_date": "2025-03-01"}
    assert (
        ld_admin_client.post(reverse("admin:impact_cohort_change", args=[cohort.pk]), data).status_code == 403
    )
    assert ld_admin_client.post(reverse("admin:impact_cohort_add"), data).status_code == 403
    cohort.refresh_from_db()
    assert cohort.name == "Wave 1"
