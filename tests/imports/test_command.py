import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tandem.audit.models import AuditEvent
from tandem.imports.models import ImportRun
from tandem.org.models import Person
from tandem.org.selectors import person_assignment_as_of
from tests.imports.factories import csv_bytes, person, team

pytestmark = pytest.mark.django_db


def run_command(*args):
    out = StringIO()
    call_command("import", *[str(a) for a in args], stdout=out, stderr=StringIO(), verbosity=0)
    return out.getvalue()


def test_import_writes_and_prints_summary(org, write_file):
    path = write_file("team.csv", csv_bytes(team()))
    out = run_command("people", path, "--as-of", "2025-01-01")
    assert "rows: 4 | to create: 4 | to update: 0 | unchanged: 0" in out
    assert "Imported (run #" in out
    assert Person.objects.count() == 4
    assert AuditEvent.objects.filter(action="import").count() == 1
    assert ImportRun.objects.get().status == ImportRun.Status.DONE


def test_dry_run_writes_nothing(org, write_file):
    path = write_file("team.csv", csv_bytes(team()))
    out = run_command("people", path, "--dry-run")
    assert "Dry run: nothing was written." in out and "to create: 4" in out
    assert Person.objects.count() == 0


def test_errors_are_all_printed_and_exit_with_error(org, write_file):
    path = write_file(
        "bad.csv", csv_bytes([*team(), person("E5", unit="NOPE"), person("E6", work_email="x")])
    )
    out = StringIO()
    with pytest.raises(CommandError, match="2 error"):
        call_command("import", "people", str(path), stdout=out, stderr=StringIO(), verbosity=0)
    text = out.getvalue()
    assert "row 6, org_unit_code: Unknown org unit 'NOPE': create it in Tandem first" in text
    assert "row 7, work_email: 'x' is not a valid email address" in text
    assert Person.objects.count() == 0


def test_empty_file_and_unknown_mapping(org, write_file):
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("import", "people", str(write_file("e.csv", b"")), stdout=out, verbosity=0)
    assert "file: The file is empty" in out.getvalue()
    with pytest.raises(CommandError, match="No mapping named 'sap'"):
        run_command("people", write_file("t.csv", csv_bytes(team())), "--mapping", "sap")
    with pytest.raises(CommandError, match="No such file"):
        run_command("people", "/nonexistent/file.csv")


def test_mapping_and_as_of_from_the_command_line(org, write_file):
    workday = (
        b"Employee ID,Legal First Name,Legal Last Name,Primary Work Email,Cost Center,Hire Date,Supervisor Employee ID\n"
        b"W1,Ann,Lee,ann@example.com,SALES,2024-01-15,\n"
        b"W2,Bo,Kim,bo@example.com,SALES,2024-02-01,W1\n"
    )
    run_command("people", write_file("w1.csv", workday), "--mapping", "workday", "--as-of", "2025-01-01")
    moved = workday.replace(b"bo@example.com,SALES", b"bo@example.com,CS")
    out = run_command("people", write_file("w2.csv", moved), "--mapping", "workday", "--as-of", "2025-06-01")
    assert "moves: 1" in out
    assert person_assignment_as_of(employee_id="W2", on=dt.date(2025, 5, 31)).org_unit_code == "SALES"
    assert person_assignment_as_of(employee_id="W2", on=dt.date(2025, 6, 1)).org_unit_code == "CS"


def test_progress_bar_is_shown_with_verbosity(org, write_file):
    err = StringIO()
    path = write_file("team.csv", csv_bytes(team()))
    call_command("import", "people", str(path), stdout=StringIO(), stderr=err)
    assert Person.objects.count() == 4


DATA = Path(__file__).parent / "data"


def test_sample_exports_from_workday_and_bamboohr(org):
    out = run_command("people", DATA / "workday_people.csv", "--mapping", "workday", "--as-of", "2025-01-01")
    assert "to create: 4" in out and "terminations: 1" in out
    assert Person.objects.get(employee_id="1003").first_name == 'Sofia "Sof"'
    assert Person.objects.get(employee_id="1003").job_title == "Service Lead, EMEA"
    assert Person.objects.get(employee_id="1004").status == "terminated"
    out = run_command("people", DATA / "bamboohr_people.csv", "--mapping", "bamboohr")
    assert "to create: 3" in out
    assert Person.objects.get(employee_id="B-02").employment_type == "contractor"
    assert Person.objects.get(employee_id="B-03").hire_date == dt.date(2023, 1, 31)


def test_sample_observations_tab_separated(org):
    from tandem.metrics.models import MetricObservation
    from tests.factories import MetricDefinitionFactory

    MetricDefinitionFactory(code="first-contact-resolution")
    out = run_command("metric_observations", DATA / "observations.tsv")
    assert "to create: 3" in out
    assert MetricObservation.objects.count() == 3
