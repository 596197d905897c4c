import pytest

from tandem.imports.models import ImportRun
from tandem.imports.services import import_run_confirm, import_run_submit
from tandem.metrics.models import MetricObservation
from tests.factories import MetricDefinitionFactory, OrgUnitFactory, PersonFactory
from tests.imports.factories import csv_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def refs(db):
    MetricDefinitionFactory(code="tickets")
    OrgUnitFactory(code="SALES")
    PersonFactory(employee_id="E1")


def obs(metric="tickets", period="2025-01-01", kind="org_unit", code="SALES", value="12.5"):
    return {
        "metric_code": metric,
        "period_start": period,
        "entity_kind": kind,
        "entity_code": code,
        "value": value,
    }


def submit(rows):
    return import_run_submit(
        actor_id=None, kind="metric_observations", filename="m.csv", content=csv_bytes(rows)
    )


def test_observations_preview_then_write_then_unchanged(refs):
    rows = [obs(), obs(kind="person", code="E1", value="3"), obs(kind="company", code="", value="1 000")]
    run = submit(rows)
    assert run.status == ImportRun.Status.PREVIEWED, run.errors
    assert run.summary["create"] == 3
    run = import_run_confirm(run_id=run.pk, actor_id=None)
    assert run.status == ImportRun.Status.DONE
    assert sorted(MetricObservation.objects.values_list("entity_key", "value")) == sorted(
        [
            ("company", 1000.0),
            (f"org:{MetricObservation.objects.get(org_unit__code='SALES').org_unit_id}", 12.5),
            (f"person:{MetricObservation.objects.get(person__employee_id='E1').person_id}", 3.0),
        ]
    )
    run = submit([obs(value="13"), obs(kind="person", code="E1", value="3")])
    assert (run.summary["update"], run.summary["unchanged"]) == (1, 1)
    assert run.diffs[0]["changes"] == [["value", 12.5, 13.0]]


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (obs(metric="nps"), "metric_code", "Unknown metric 'nps'"),
        (obs(code="MARKETING"), "entity_code", "Unknown org unit 'MARKETING'"),
        (obs(kind="person", code="E404"), "entity_code", "Unknown person: no employee id 'E404' in Tandem"),
        (
            obs(kind="galaxy"),
            "entity_kind",
            "'galaxy' is not a valid entity kind (company, org_unit, person)",
        ),
        (obs(value="twelve"), "value", "'twelve' is not a number"),
        (obs(value="nan"), "value", "'nan' is not a number"),
        (obs(period="2025-02-30"), "period_start", "'2025-02-30' is not a date in the format YYYY-MM-DD"),
    ],
)
def test_observation_errors(refs, row, column, message):
    run = submit([obs(period="2024-12-01"), row])
    assert run.status == ImportRun.Status.INVALID
    assert [(e["row"], e["column"], e["message"]) for e in run.errors] == [(3, column, message)]


def test_duplicate_metric_entity_period(refs):
    run = submit([obs(), obs(value="99")])
    assert [(e["row"], e["message"]) for e in run.errors] == [
        (3, "Duplicate value for tickets, org_unit SALES, period 2025-01-01 (first on row 2)")
    ]
    assert MetricObservation.objects.count() == 0
