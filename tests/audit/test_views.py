"""The audit log page: L&D admins only; service changes, admin saves and role grants with actor and diff."""

import datetime as dt

import pytest
from django.urls import reverse

from tandem.accounts.models import Role
from tandem.accounts.services import role_grant
from tandem.audit.services import audit_record
from tandem.org.services import org_unit_create, org_unit_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user(email="ld@example.com", roles=[Role.LD_ADMIN]))
    return client


@pytest.mark.parametrize(
    "roles", [[Role.LD_TEAM], [Role.STAKEHOLDER], [Role.MANAGER], [Role.LEARNER], [Role.IT_REVIEWER], []]
)
def test_only_ld_admins_see_the_audit_log(client, make_user, roles):
    client.force_login(make_user(roles=roles))
    assert client.get(reverse("audit")).status_code == 403


def test_service_changes_show_actor_and_old_to_new(admin_client, make_user):
    actor = make_user(email="maria@example.com", roles=[Role.LD_ADMIN])
    org_unit_create(
        actor_id=actor.pk, code="SALES", name="Sales", kind="department", valid_from=dt.date(2024, 1, 1)
    )
    org_unit_update(actor_id=actor.pk, code="SALES", effective=dt.date(2025, 1, 1), name="Sales & Marketing")
    response = admin_client.get(reverse("audit"), {"entity_type": "org_unit", "action": "update"})
    assert response.status_code == 200
    text = response.text
    assert "maria@example.com" in text
    assert "<strong>name</strong>: Sales → Sales &amp; Marketing" in text
    assert "<strong>effective</strong>: 2025-01-01" in text


def test_role_grants_and_admin_saves_appear(admin_client, make_user):
    user = make_user(email="stake@example.com", roles=[Role.LEARNER])
    admin = make_user(email="boss@example.com", roles=[Role.LD_ADMIN])
    role_grant(actor_id=admin.pk, user_id=user.pk, role=Role.MANAGER)
    metric = {"code": "cost-per-hire", "name": "Cost per hire", "unit": "EUR", "direction": "down"}
    metric |= {"grain": "company", "frequency": "monthly", "decimals": "0", "description": ""}
    admin_client.post(reverse("admin:metrics_metricdefinition_add"), metric)
    text = admin_client.get(reverse("audit")).text
    assert "boss@example.com" in text and "Granted role Manager" in text
    assert "<strong>roles</strong>: learner → learner, manager" in text
    assert "metric: Cost per hire" in text  # an admin save goes through the service, audited as usual


def test_text_filter_and_pagination(admin_client):
    for index in range(120):
        audit_record(
            actor_id=None,
            action="create",
            entity_type="metric",
            entity_id=index,
            entity_label=f"metric {index}",
        )
    first = admin_client.get(reverse("audit"), {"entity_type": "metric"})
    assert first.context["page"].paginator.num_pages == 3
    assert len(first.context["rows"]) == 50
    assert "metric 119" in first.text and "metric 69" not in first.text
    third = admin_client.get(reverse("audit"), {"entity_type": "metric", "page": 3})
    assert len(third.context["rows"]) == 20
    assert "entity_type=metric&amp;page=2" in third.text  # filters survive paging
    found = admin_client.get(reverse("audit"), {"q": "metric 11"})  # every word must match
    assert {row["event"].entity_label for row in found.context["rows"]} == {"metric 11"} | {
        f"metric {n}" for n in range(110, 120)
    }
