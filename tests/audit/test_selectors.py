import pytest

from tandem.audit.selectors import audit_change_lines, audit_event_list, audit_security_events
from tandem.audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_updates_read_as_old_to_new_and_creates_as_values():
    update = audit_record(
        actor_id=None,
        action="update",
        entity_type="org_unit",
        entity_id=1,
        changes={
            "name": ["Sales", "Sales & Marketing"],
            "parent_code": [None, "CO"],
            "roles": [["a"], ["a", "b"]],
        },
    )
    lines = audit_change_lines(event=update)
    assert [(line.field, line.old, line.new, line.is_diff) for line in lines] == [
        ("name", "Sales", "Sales & Marketing", True),
        ("parent code", "—", "CO", True),
        ("roles", "a", "a, b", True),
    ]
    create = audit_record(
        actor_id=None,
        action="create",
        entity_type="user",
        entity_id=2,
        changes={"roles": ["a", "b"], "ok": True},
    )
    assert [(line.field, line.new, line.is_diff) for line in audit_change_lines(event=create)] == [
        ("roles", "a, b", False),
        ("ok", "yes", False),
    ]


def test_filters_by_type_action_and_text(make_user):
    actor = make_user(email="carol@example.com")
    audit_record(actor_id=actor.pk, action="create", entity_type="metric", entity_id=1, entity_label="NPS")
    audit_record(actor_id=None, action="update", entity_type="metric", entity_id=1, entity_label="NPS")
    audit_record(actor_id=None, action="create", entity_type="org_unit", entity_id=5, entity_label="Sales")
    assert audit_event_list(entity_type="metric").count() == 2
    assert audit_event_list(action="create").count() == 2
    assert [e.entity_label for e in audit_event_list(query="carol")] == ["NPS"]
    assert [e.entity_label for e in audit_event_list(query="sales")] == ["Sales"]
    assert [e.entity_type for e in audit_event_list()] == ["org_unit", "metric", "metric"]  # newest first


def test_security_events_are_the_latest_twenty():
    for index in range(25):
        audit_record(
            actor_id=None, action="security", entity_type="user", entity_id="", entity_label=f"u{index}"
        )
    audit_record(actor_id=None, action="create", entity_type="user", entity_id=1)
    events = audit_security_events()
    assert len(events) == 20 and events[0].entity_label == "u24"
