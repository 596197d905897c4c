"""The metric admin saves through metric_define: a grain edited there rebuilds the series."""

import datetime as dt

import pytest
from django.urls import reverse

from tandem.accounts.models import Role
from tandem.audit.models import AuditEvent
from tandem.metrics.models import MetricSeries
from tandem.metrics.services import metric_define, metric_series_rebuild
from tests.factories import MetricObservationFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    user = make_user(email="ld@example.com", roles=[Role.LD_ADMIN])
    client.force_login(user)
    client.user = user
    return client


def form(**values):
    data = {
        "name": "Tickets closed",
        "description": "",
        "unit": "tickets",
        "direction": "up",
        "grain": "person",
        "frequency": "monthly",
        "decimals": "0",
    }
    data.update(values)
    return data


@pytest.fixture
def metric():
    metric = metric_define(
        actor_id=None, code="tickets", name="Tickets closed", unit="tickets", grain="person"
    )
    person = PersonFactory()
    for month in (dt.date(2025, 1, 1), dt.date(2025, 2, 1)):
        MetricObservationFactory(
            metric=metric, person=person, org_unit=None, entity_key=f"person:{person.pk}", period_start=month
        )
    metric_series_rebuild(metric_ids=[metric.pk])
    assert MetricSeries.objects.filter(metric=metric).count() == 1
    return metric


def test_an_admin_edit_of_the_grain_rebuilds_the_series(admin_client, metric):
    url = reverse("admin:metrics_metricdefinition_change", args=[metric.pk])
    assert admin_client.post(url, form(grain="org_unit")).status_code == 302
    metric.refresh_from_db()
    assert metric.grain == "org_unit" and not MetricSeries.objects.filter(metric=metric).exists()
    assert admin_client.post(url, form(grain="person")).status_code == 302
    assert MetricSeries.objects.filter(metric=metric).count() == 1
    event = AuditEvent.objects.filter(entity_type="metric", action="update").latest("id")
    assert event.actor_id == admin_client.user.pk and event.changes == {"grain": ["org_unit", "person"]}


def test_an_admin_frequency_change_drops_the_series(admin_client, metric):
    url = reverse("admin:metrics_metricdefinition_change", args=[metric.pk])
    assert admin_client.post(url, form(frequency="weekly")).status_code == 302
    assert not MetricSeries.objects.filter(metric=metric).exists()


def test_the_admin_shows_the_service_refusal_on_the_form(admin_client, metric):
    url = reverse("admin:metrics_metricdefinition_change", args=[metric.pk])
    response = admin_client.post(url, form(decimals="9"))
    assert response.status_code == 200 and "Decimals is a whole number from 0 to 6" in response.text


def test_an_admin_create_goes_through_the_service(admin_client):
    response = admin_client.post(reverse("admin:metrics_metricdefinition_add"), {**form(), "code": "csat"})
    assert response.status_code == 302
    event = AuditEvent.objects.get(entity_type="metric", action="create")
    assert event.changes["code"] == "csat" and event.actor_id == admin_client.user.pk


def test_definitions_are_not_deleted_in_the_admin(admin_client, metric):
    response = admin_client.post(
        reverse("admin:metrics_metricdefinition_delete", args=[metric.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
