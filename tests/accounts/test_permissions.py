"""The words for capabilities and roles are composed from the capability table, so they cannot drift."""

import pytest

from tandem.accounts.models import Role
from tandem.accounts.permissions import (
    CAPABILITY_ACTIONS,
    CAPABILITY_DESCRIPTIONS,
    ROLE_CAPABILITIES,
    ROLE_SCOPE_DESCRIPTIONS,
    Capability,
    capability_roles,
    role_can_see,
    role_labels,
)


def test_every_capability_is_described_and_named_as_an_action():
    assert set(CAPABILITY_DESCRIPTIONS) == set(Capability)
    assert set(CAPABILITY_ACTIONS) == set(Capability)


def test_every_role_says_whose_records_it_sees():
    assert set(ROLE_SCOPE_DESCRIPTIONS) == set(Role.values)


@pytest.mark.parametrize("role", Role.values)
def test_what_a_role_can_see_is_exactly_its_capabilities(role):
    things, scopes = role_can_see(roles={role})
    assert things == [CAPABILITY_DESCRIPTIONS[c] for c in Capability if c in ROLE_CAPABILITIES[role]]
    assert scopes == [ROLE_SCOPE_DESCRIPTIONS[role]]


def test_several_roles_see_the_union_and_the_broadest_scope_wins():
    things, scopes = role_can_see(roles={Role.MANAGER, Role.LEARNER})
    assert CAPABILITY_DESCRIPTIONS[Capability.VIEW_ORG] in things
    assert scopes == [ROLE_SCOPE_DESCRIPTIONS[Role.MANAGER], ROLE_SCOPE_DESCRIPTIONS[Role.LEARNER]]
    assert role_can_see(roles={Role.LD_TEAM, Role.MANAGER})[1] == ["everyone in the company"]
    assert role_can_see(roles={Role.IT_REVIEWER, Role.LEARNER})[1] == ["your own record"]


def test_the_roles_that_grant_a_capability_are_listed_narrowest_first():
    assert capability_roles(capability=Capability.MANAGE_USERS) == [Role.LD_ADMIN]
    assert capability_roles(capability=Capability.VIEW_LEARNING_DATA) == [Role.LD_TEAM, Role.LD_ADMIN]
    assert capability_roles(capability=Capability.VIEW_SYSTEM) == [Role.IT_REVIEWER, Role.LD_ADMIN]


def test_role_labels_are_words_never_codes():
    assert role_labels({"stakeholder", "ld_team"}) == "L&D team member and Stakeholder"
    assert role_labels(set()) == "none"
