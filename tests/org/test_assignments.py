"""The database's safety net for assignment writes (tandem/org/assignments.py)."""

import datetime as dt

import pytest

from tandem.org.assignments import AssignmentOverlapError, assignment_overlaps_check
from tests.org.factories import AssignmentFactory

pytestmark = pytest.mark.django_db
D = dt.date


def test_overlap_check_refuses_overlaps_it_was_not_told_about():
    first = AssignmentFactory(valid_from=D(2024, 1, 1), valid_to=D(2024, 7, 1))
    second = AssignmentFactory(person=first.person, valid_from=D(2024, 6, 1))
    with pytest.raises(AssignmentOverlapError, match=first.person.employee_id):
        assignment_overlaps_check(person_ids=[first.person_id])
    assignment_overlaps_check(person_ids=[first.person_id], known_pairs={(first.pk, second.pk)})
    assignment_overlaps_check(person_ids=[])


def test_overlap_check_is_one_query_for_any_number_of_people(django_assert_num_queries):
    people = [AssignmentFactory(valid_from=D(2024, 1, 1), valid_to=D(2024, 7, 1)).person for _ in range(30)]
    for person in people:
        AssignmentFactory(person=person, valid_from=D(2024, 7, 1))  # back to back: no overlap
    with django_assert_num_queries(1):
        assignment_overlaps_check(person_ids=[people[0].pk])
    with django_assert_num_queries(1):
        assignment_overlaps_check(person_ids=[p.pk for p in people])
