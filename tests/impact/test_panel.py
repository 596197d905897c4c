import datetime as dt
from dataclasses import replace

import numpy as np
import pytest
from django.db import connection

from tandem.core.scope import AccessDenied, DomainError
from tandem.impact.panel import program_panel, program_panel_matrix
from tandem.impact.services import comparison_group_explicit, participants_add_list
from tandem.impact.stats import aggregate, att_gt, did_2x2
from tandem.metrics.models import MetricObservation
from tests.factories import MetricDefinitionFactory, OrgUnitFactory, PersonFactory
from tests.impact.factories import CohortFactory, ProgramFactory, move

pytestmark = pytest.mark.django_db

MONTHS = [dt.date(2025, m, 1) for m in range(1, 9)]


@pytest.fixture
def setup():
    program = ProgramFactory(start_date=dt.date(2025, 3, 1))
    wave1 = CohortFactory(program=program, name="W1", start_date=dt.date(2025, 3, 15))
    wave2 = CohortFactory(program=program, name="W2", start_date=dt.date(2025, 6, 1))
    metric = MetricDefinitionFactory(code="tickets", grain="person")
    unit_a, unit_b = OrgUnitFactory(), OrgUnitFactory()
    people = {}
    for i in range(12):
        people[f"T{i:02d}"] = PersonFactory(employee_id=f"T{i:02d}", org_unit=unit_a if i % 2 else unit_b)
    participants_add_list(actor_id=None, cohort_id=wave1.pk, employee_ids=["T00", "T01", "T02", "T03"])
    participants_add_list(actor_id=None, cohort_id=wave2.pk, employee_ids=["T04", "T05", "T06", "T07"])
    comparison_group_explicit(actor_id=None, program_id=program.pk, employee_ids=["T08", "T09", "T10", "T11"])
    # T00 moved after their cohort started: the cluster is where they sat at the start.
    move(people["T00"], to_unit=unit_a, on=dt.date(2025, 5, 1))
    rng = np.random.default_rng(3)
    starts = {
        **dict.fromkeys(["T00", "T01", "T02", "T03"], 3),
        **dict.fromkeys(["T04", "T05", "T06", "T07"], 6),
    }
    rows = []
    for code, person in people.items():
        for month in MONTHS:
            if code == "T11" and month.month == 4:
                continue  # one missing month: dropped from the balanced panel
            treated = code in starts and month.month >= starts[code]
            rows.append(
                MetricObservation(
                    metric=metric,
                    person=person,
                    entity_key=f"person:{person.pk}",
                    period_start=month,
                    value=10 + month.month * 0.5 + (3.0 if treated else 0.0) + rng.normal(0, 0.1),
                )
            )
    # Observations of a person outside the program are ignored.
    outsider = PersonFactory()
    rows.append(
        MetricObservation(
            metric=metric,
            person=outsider,
            entity_key=f"person:{outsider.pk}",
            period_start=MONTHS[0],
            value=99,
        )
    )
    MetricObservation.objects.bulk_create(rows)
    return program, people, unit_a, unit_b


def test_panel_shape_and_columns(setup, django_assert_max_num_queries):
    program, people, _, unit_b = setup
    with django_assert_max_num_queries(5):
        panel = program_panel(program_id=program.pk, metric_code="tickets", start=MONTHS[0])
    assert panel.months == tuple(MONTHS)
    assert panel.n_rows == 12 * 8 - 1
    assert (panel.treated_people, panel.comparison_people) == (8, 4)
    rows = {(p, m): i for i, (p, m) in enumerate(zip(panel.person_id, panel.period, strict=True))}
    t00 = rows[(people["T00"].pk, MONTHS[0])]
    assert panel.first_treated[t00] == dt.date(2025, 3, 1)  # the month containing the 15 March start
    assert panel.org_unit_id[t00] == unit_b.pk  # where T00 sat on the cohort start, not after the move
    t05 = rows[(people["T05"].pk, MONTHS[0])]
    assert panel.first_treated[t05] == dt.date(2025, 6, 1)
    t10 = rows[(people["T10"].pk, MONTHS[0])]
    assert panel.first_treated[t10] is None
    assert people["T11"].pk not in {p for p in panel.balanced().person_id}
    assert panel.balanced().n_rows == 11 * 8


def test_panel_feeds_the_statistics(setup):
    program, *_ = setup
    panel = program_panel(program_id=program.pk, metric_code="tickets", start=MONTHS[0]).balanced()
    result = att_gt(data=panel.staggered_data(), control_group="never_treated")
    overall = aggregate(result=result, kind="simple").overall
    assert overall.estimate == pytest.approx(3.0, abs=0.2)
    did = did_2x2(data=panel.did_data())
    assert did.effect.estimate > 1.0


def test_panel_defaults_and_errors(setup):
    program, *_ = setup
    # Default start: 12 months before the first cohort start; the data begin in January.
    panel = program_panel(program_id=program.pk, metric_code="tickets", end=dt.date(2025, 5, 20))
    assert panel.months[0] == dt.date(2024, 3, 1) and panel.months[-1] == dt.date(2025, 5, 1)
    assert max(panel.period) == dt.date(2025, 5, 1)
    without = program_panel(program_id=program.pk, metric_code="tickets", include_comparison=False)
    assert without.comparison_people == 0 and without.treated_people == 8
    MetricDefinitionFactory(code="team-metric", grain="team")
    with pytest.raises(DomainError, match="not measured per person"):
        program_panel(program_id=program.pk, metric_code="team-metric")
    with pytest.raises(AccessDenied):
        program_panel(program_id=program.pk, metric_code="nope")


def test_empty_program_gives_an_empty_panel():
    MetricDefinitionFactory(code="tickets", grain="person")
    panel = program_panel(program_id=ProgramFactory().pk, metric_code="tickets")
    assert panel.n_rows == 0 and panel.months == ()


def test_cohorts_outside_the_window_are_always_or_never_treated(setup):
    program, people, *_ = setup
    panel = program_panel(
        program_id=program.pk, metric_code="tickets", start=dt.date(2025, 4, 1), end=MONTHS[5]
    )
    data = panel.staggered_data()
    first = dict(zip(panel.person_id, np.asarray(data.first_treated), strict=True))
    assert first[people["T00"].pk] == 0.0  # started in March, before the window: always treated
    assert first[people["T04"].pk] == 2.0  # June is the third month of April–May–June
    late = program_panel(program_id=program.pk, metric_code="tickets", start=MONTHS[0], end=MONTHS[3])
    late_first = dict(zip(late.person_id, np.asarray(late.staggered_data().first_treated), strict=True))
    assert late_first[people["T04"].pk] == np.inf  # starts after the window ends


def _long(data) -> np.ndarray:
    return np.column_stack([data.unit, data.period, data.outcome, data.first_treated])


def test_the_matrix_is_the_balanced_panel_exactly(setup, django_assert_max_num_queries):
    program, people, _, _ = setup
    # Metric, cohort starts, participants, last month, the dated-on-the-1st check, the grouped read, and one
    # more for T11, who misses a month.
    with django_assert_max_num_queries(7):
        matrix = program_panel_matrix(program_id=program.pk, metric_code="tickets")
    full = program_panel(program_id=program.pk, metric_code="tickets")
    # The estimate trims program_panel's default window (from 12 months before the start) to the values.
    long = replace(full, months=tuple(m for m in full.months if m >= min(full.period))).balanced()
    assert matrix.months == tuple(MONTHS) == long.months
    assert (matrix.treated_people, matrix.comparison_people, matrix.n_dropped) == (8, 3, 1)
    assert people["T11"].pk not in matrix.person_id.tolist()
    assert matrix.starts == {dt.date(2025, 3, 1), dt.date(2025, 6, 1)}
    # Bit for bit: the same rows, order, values (17 digits survive the text round trip) and cohorts.
    a, b = _long(matrix.staggered_data()), _long(long.staggered_data())
    assert np.array_equal(a, b)
    new, old = matrix.did_data(), long.did_data()
    for column in ("unit", "period", "treated", "post", "outcome"):
        assert np.array_equal(getattr(new, column), getattr(old, column)), column


def test_the_matrix_of_a_weekly_metric_averages_each_month(setup):
    program, people, _, _ = setup
    weekly = MetricDefinitionFactory(code="weekly", grain="person", frequency="weekly")
    MetricObservation.objects.bulk_create(
        MetricObservation(
            metric=weekly,
            person=person,
            entity_key=f"person:{person.pk}",
            period_start=month + dt.timedelta(days=7 * week),
            value=float(week),
        )
        for person in people.values()
        for month in MONTHS
        for week in range(2)
    )
    matrix = program_panel_matrix(program_id=program.pk, metric_code="weekly")
    assert matrix.values.shape == (12, len(MONTHS)) and np.all(matrix.values == 0.5)


def test_the_matrix_of_a_program_without_values_is_empty(setup):
    program, _, _, _ = setup
    MetricDefinitionFactory(code="empty", grain="person")
    matrix = program_panel_matrix(program_id=program.pk, metric_code="empty")
    assert matrix.months == () and matrix.values.shape[0] == 0 and not matrix.starts
    MetricDefinitionFactory(code="team-metric", grain="team")
    with pytest.raises(DomainError):
        program_panel_matrix(program_id=program.pk, metric_code="team-metric")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plan")
def test_sqlite_concatenates_in_month_order(setup):
    """Before SQLite 3.44 group_concat follows the scan: the person index keeps each person's months in order."""
    from tandem.impact import panel

    if panel._SQLITE_ORDERED:
        pytest.skip("group_concat orders by period_start itself")
    program, _, _, _ = setup
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN QUERY PLAN " + panel._PANEL_SQLITE,
            [1, "2025-01-01", "2026-01-01", program.pk, program.pk],
        )
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    # Index only: the covering index (person, metric, period_start, value) holds every column read.
    assert "USING COVERING INDEX observation_person_panel (person_id=? AND metric_id=?" in plan
    assert "TEMP B-TREE FOR GROUP BY" not in plan


def _matrix_parts(matrix) -> tuple:  # type: ignore[no-untyped-def]
    return (
        matrix.months,
        matrix.person_id.tolist(),
        matrix.first_treated.tobytes(),
        matrix.values.tobytes(),
        matrix.values.shape,
        matrix.observed_treated,
        matrix.observed_comparison,
        matrix.starts,
    )


def _tickets_id() -> int:
    from tandem.metrics.models import MetricDefinition

    return MetricDefinition.objects.get(code="tickets").pk


def test_the_series_path_is_the_observation_path_exactly(setup, django_assert_max_num_queries):
    from tandem.metrics.models import MetricSeries
    from tandem.metrics.services import metric_series_rebuild

    program, people, _, _ = setup
    without = program_panel_matrix(program_id=program.pk, metric_code="tickets")
    # The backfill (as the data migration does it): one series per person with values, the outsider too.
    assert metric_series_rebuild(metric_ids=[_tickets_id()]) == 13
    # Metric, cohort starts, participants, last month, the dated-on-the-1st check, the series: no partial-row
    # query.
    with django_assert_max_num_queries(6):
        with_series = program_panel_matrix(program_id=program.pk, metric_code="tickets")
    assert _matrix_parts(with_series) == _matrix_parts(without)
    t11 = MetricSeries.objects.get(person=people["T11"])
    stored = np.frombuffer(bytes(t11.values_f8), dtype="<f8")
    assert (t11.first_month, t11.months) == (MONTHS[0], len(MONTHS))
    assert np.isnan(stored[3]) and not np.isnan(np.delete(stored, 3)).any()


def test_an_upsert_of_one_observation_updates_the_series(setup):
    from tandem.metrics.models import MetricSeries
    from tandem.metrics.records import ObservationRow
    from tandem.metrics.services import metric_observations_upsert, metric_series_rebuild

    program, people, _, _ = setup
    metric_series_rebuild(metric_ids=[_tickets_id()])
    before = {s.person_id: (s.updated_at, bytes(s.values_f8)) for s in MetricSeries.objects.all()}
    # T11's missing April arrives: T11 joins the balanced panel.
    counts = metric_observations_upsert(
        rows=[ObservationRow("tickets", dt.date(2025, 4, 1), "person", "T11", 12.345678901234567)],
        actor_id=None,
        source="test",
    )
    assert counts == {"create": 1, "update": 0, "unchanged": 0}
    after = {s.person_id: (s.updated_at, bytes(s.values_f8)) for s in MetricSeries.objects.all()}
    t11 = people["T11"].pk
    assert np.frombuffer(after[t11][1], dtype="<f8")[3] == 12.345678901234567
    assert not np.isnan(np.frombuffer(after[t11][1], dtype="<f8")).any()
    # Only T11's series was rewritten.
    assert {p for p in after if after[p] != before[p]} == {t11}
    with_series = program_panel_matrix(program_id=program.pk, metric_code="tickets")
    assert t11 in with_series.person_id.tolist()
    MetricSeries.objects.all().delete()
    assert _matrix_parts(with_series) == _matrix_parts(
        program_panel_matrix(program_id=program.pk, metric_code="tickets")
    )


@pytest.mark.usefixtures("setup")
def test_series_follow_the_metric_definition():
    from tandem.metrics.models import MetricDefinition, MetricSeries
    from tandem.metrics.services import metric_define, metric_series_rebuild

    metric = MetricDefinition.objects.get(code="tickets")
    metric_series_rebuild(metric_ids=[metric.pk])
    assert MetricSeries.objects.filter(metric=metric).count() == 13
    define = {
        "actor_id": None,
        "code": "tickets",
        "name": metric.name,
        "unit": metric.unit,
        "grain": "person",
    }
    metric_define(**define, frequency="weekly")
    assert not MetricSeries.objects.filter(metric=metric).exists()
    metric_define(**define, frequency="monthly")
    assert MetricSeries.objects.filter(metric=metric).count() == 13
