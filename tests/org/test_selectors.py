import datetime as dt

import pytest

from tandem.core.scope import PersonScope
from tandem.org.selectors import assignment_overlap_list, assignment_overlap_pairs
from tests.org.factories import AssignmentFactory

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def overlapping():
    """A person with three assignments: the second overlaps the first, the third lies inside the second."""
    first = AssignmentFactory(valid_from=D(2024, 1, 1), valid_to=D(2024, 7, 1))
    second = AssignmentFactory(person=first.person, valid_from=D(2024, 6, 1), valid_to=None)
    third = AssignmentFactory(person=first.person, valid_from=D(2024, 9, 1), valid_to=D(2024, 10, 1))
    return first, second, third


@pytest.fixture
def back_to_back():
    """A person whose assignments touch (one ends the day the next starts): no overlap."""
    first = AssignmentFactory(valid_from=D(2024, 1, 1), valid_to=D(2024, 7, 1))
    second = AssignmentFactory(person=first.person, valid_from=D(2024, 7, 1), valid_to=None)
    return first, second


def test_overlap_list_names_the_person_and_each_overlapping_pair(overlapping, back_to_back):
    first = overlapping[0]
    overlaps = assignment_overlap_list(scope=PersonScope.all())
    assert [(o.employee_id, o.first.valid_from, o.second.valid_from) for o in overlaps] == [
        (first.person.employee_id, D(2024, 1, 1), D(2024, 6, 1)),
        (first.person.employee_id, D(2024, 6, 1), D(2024, 9, 1)),
    ]
    assert overlaps[0].person_name == first.person.full_name
    assert (overlaps[0].first.valid_to, overlaps[0].second.valid_to) == (D(2024, 7, 1), None)
    assert overlaps[0].first.org_unit_code == first.org_unit.code


def test_overlap_list_is_one_query(overlapping, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert len(assignment_overlap_list(scope=PersonScope.all())) == 2


def test_overlap_list_keeps_to_the_viewer_scope(overlapping):
    person = overlapping[0].person
    assert assignment_overlap_list(scope=PersonScope.nobody()) == []
    assert assignment_overlap_list(scope=PersonScope(person_ids=frozenset({person.pk + 1000}))) == []
    assert len(assignment_overlap_list(scope=PersonScope(org_unit_ids=frozenset({person.org_unit_id})))) == 2


def test_overlap_pairs_are_ids_lower_first_for_the_given_people_only(overlapping, back_to_back):
    first, second, third = overlapping
    other = AssignmentFactory(valid_from=D(2024, 1, 1))
    AssignmentFactory(person=other.person, valid_from=D(2024, 3, 1))
    assert assignment_overlap_pairs(person_ids=[first.person_id, back_to_back[0].person_id]) == {
        (first.pk, second.pk),
        (second.pk, third.pk),
    }
    assert assignment_overlap_pairs(person_ids=[back_to_back[0].person_id]) == set()
    assert assignment_overlap_pairs(person_ids=[]) == set()
