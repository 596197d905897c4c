"""When a survey's invitation is due for each person: after they took part, or on a day after their cohort
started, by kind.

A reaction survey and the knowledge check after the program ask about something the person did, so they go
out once the person has taken part: their first completion (in the LRS) of one of the program's activities
on or after their cohort's start, or, for a program taught in a room and its end date reached, that end.
Nobody who has not started is asked "how was it?". The knowledge check before and the follow-ups keep their
day after the cohort's start. A program with no activity in the LRS and no room to attend cannot tell who
took part: its surveys keep the cohort-start schedule, as the create form says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping

from django.utils import timezone

from tandem.impact.models import Program, ProgramActivity
from tandem.lrs.learning import learning_records_for
from tandem.surveys.records import KIND_KNOWLEDGE_POST, KIND_REACTION

AFTER_TAKING_PART = (KIND_REACTION, KIND_KNOWLEDGE_POST)
# Delivery modes in which people meet at a time (attendance may never reach the LRS).
INSTRUCTOR_LED = (Program.DeliveryMode.CLASSROOM, Program.DeliveryMode.VIRTUAL)


def taken_part_at(
    *,
    program_id: int,
    cohort_of: Mapping[int, int],
    starts: Mapping[int, dt.date],
    today: dt.date,
) -> dict[int, dt.datetime] | None:
    """The moment each person (of `cohort_of`: person -> cohort) took part; people who have not are missing.
    None when the program cannot tell (no activity in the LRS, not taught in a room): use the cohort start."""
    program = Program.objects.filter(pk=program_id).only("delivery_modes", "end_date").first()
    if program is None:
        return None
    activities = set(
        ProgramActivity.objects.filter(program_id=program_id)
        .exclude(activity_iri="")
        .values_list("activity_iri", flat=True)
    )
    instructor_led = any(mode in INSTRUCTOR_LED for mode in program.delivery_modes or [])
    if not activities and not instructor_led:
        return None
    found: dict[int, dt.datetime] = {}
    if activities:
        found = _first_completions(
            person_ids=cohort_of.keys(), activities=activities, cohort_of=cohort_of, starts=starts
        )
    if instructor_led and program.end_date is not None and program.end_date <= today:
        ended = timezone.make_aware(dt.datetime.combine(program.end_date, dt.time(18)))
        for person_id in cohort_of:
            found.setdefault(person_id, ended)
    return found


def _first_completions(
    *,
    person_ids: Collection[int],
    activities: Collection[str],
    cohort_of: Mapping[int, int],
    starts: Mapping[int, dt.date],
) -> dict[int, dt.datetime]:
    found: dict[int, dt.datetime] = {}
    for record in learning_records_for(person_ids=person_ids, activity_ids=activities, completed=True):
        if record.person_id is None or record.completed_at is None:
            continue
        # A completion from before the cohort (an earlier run of the course) is not taking part in this one.
        if timezone.localdate(record.completed_at) < starts[cohort_of[record.person_id]]:
            continue
        if record.person_id not in found or record.completed_at < found[record.person_id]:
            found[record.person_id] = record.completed_at
    return found
