"""HR exports as they come: the IBM HR attrition export into an empty product, mappings with rules, leavers
without a leaving date, unknown org units and job roles created with the import, errors grouped by cause."""

import datetime as dt
import io
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from tandem.core.scope import DomainError
from tandem.imports.models import ColumnMapping, ImportRun
from tandem.imports.selectors import mapping_file_export
from tandem.imports.services import (
    column_mapping_create,
    column_mapping_import,
    import_run_confirm,
    import_run_submit,
)
from tandem.org.models import JobRole, OrgUnit, Person
from tests.imports.factories import IBM_COLUMNS, IBM_JOB_ROLES, csv_bytes, ibm_hr_attrition_csv, person

pytestmark = pytest.mark.django_db
Status = ImportRun.Status
MAPPING_FILE = Path(__file__).resolve().parents[2] / "docs" / "mappings" / "ibm-hr-attrition.yaml"
EXPORTED = dt.date(2026, 11, 30)


@pytest.fixture(scope="module")
def ibm() -> bytes:
    return ibm_hr_attrition_csv()


def test_the_generated_export_has_the_published_shape(ibm):
    assert ibm.startswith(b"\xef\xbb\xbfAge,Attrition,BusinessTravel,")
    lines = ibm.split(b"\r\n")
    assert len(IBM_COLUMNS) == 35 and lines[0].decode("utf-8-sig").split(",") == IBM_COLUMNS
    assert len([line for line in lines[1:] if line]) == 1470
    assert b"Research & Development" in ibm and b"Laboratory Technician" in ibm


def _leavers(content: bytes) -> int:
    return sum(1 for line in content.split(b"\r\n")[1:] if line.split(b",")[1:2] == [b"Yes"])


def test_ibm_export_imports_into_an_empty_product_through_the_service(ibm):
    mapping = column_mapping_import(actor_id=None, content=MAPPING_FILE.read_bytes())
    assert mapping.name == "ibm-hr-attrition" and OrgUnit.objects.count() == 0
    run = import_run_submit(
        actor_id=None,
        kind="people",
        filename="WA_Fn-UseC_-HR-Employee-Attrition.csv",
        content=ibm,
        mapping_name=mapping.name,
        export_date=EXPORTED,
        create_references=True,
    )
    assert run.status == Status.PREVIEWED, run.summary.get("error_groups")
    leavers = _leavers(ibm)
    assert 150 < leavers < 330
    # Leavers have no leaving date in the file: they leave on the day the export was taken, said once.
    assert run.summary["warnings"] == leavers
    [warning] = run.summary["warning_groups"]
    assert "left on 2026-11-30, the day the export was taken" in warning["message"]
    references = run.summary["references"]
    assert [(u["code"], u["name"]) for u in references["org_units"]] == [
        ("HR", "Human Resources"),
        ("RND", "Research & Development"),
        ("SALES", "Sales"),
    ]
    assert {r["name"] for r in references["job_roles"]} == set(IBM_JOB_ROLES)
    assert Person.objects.count() == 0 and OrgUnit.objects.count() == 0  # the preview wrote nothing

    done = import_run_confirm(run_id=run.pk, actor_id=None)
    assert done.status == Status.DONE, done.message
    assert Person.objects.count() == 1470
    assert Person.objects.filter(status="terminated", termination_date=EXPORTED).count() == leavers
    assert set(OrgUnit.objects.values_list("code", flat=True)) == {"HR", "RND", "SALES"}
    assert JobRole.objects.filter(code="LABORATORY_TECHNICIAN", name="Laboratory Technician").exists()
    first = Person.objects.get(employee_id="1")
    assert first.work_email == "employee-1@example.com" and first.last_name == "No. 1"
    assert first.job_title in IBM_JOB_ROLES and first.manager is None
    years = int(ibm.split(b"\r\n")[1].split(b",")[IBM_COLUMNS.index("YearsAtCompany")])
    assert first.hire_date == EXPORTED.replace(year=EXPORTED.year - years)


def test_ibm_export_imports_through_the_page_with_a_saved_mapping(ibm, make_user, login):
    client = login(make_user(roles=["ld_admin"]))
    handle = io.BytesIO(MAPPING_FILE.read_bytes())
    handle.name = "ibm-hr-attrition.yaml"
    response = client.post(reverse("import_mapping_upload"), {"mapping_file": handle})
    assert response.status_code == 302 and ColumnMapping.objects.filter(name="ibm-hr-attrition").exists()

    upload = io.BytesIO(ibm)
    upload.name = "WA_Fn-UseC_-HR-Employee-Attrition.csv"
    response = client.post(
        reverse("imports"),
        {"kind": "people", "file": upload, "mapping": "ibm-hr-attrition", "export_date": "2026-11-30"},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "To create with this import" in page and "Research &amp; Development" in page
    assert "Import 1470 rows" in page
    run = ImportRun.objects.get()
    form = {"unit-0-code": "HR", "unit-0-name": "People & Culture", "unit-0-parent": ""}
    form |= {"unit-1-code": "RND", "unit-1-name": "R&D", "unit-1-parent": ""}
    form |= {"unit-2-code": "SALES", "unit-2-name": "Sales", "unit-2-parent": "RND"}
    response = client.post(reverse("import_confirm", args=[run.pk]), form)
    done = client.get(response["Location"]).content.decode()
    assert "Imported" in done and Person.objects.count() == 1470
    assert OrgUnit.objects.get(code="HR").name == "People & Culture"
    assert OrgUnit.objects.get(code="SALES").parent.code == "RND"


def test_without_permission_to_create_unknown_units_are_errors_grouped_by_cause(ibm, make_user, login):
    column_mapping_import(actor_id=None, content=MAPPING_FILE.read_bytes())
    run = import_run_submit(
        actor_id=None,
        kind="people",
        filename="ibm.csv",
        content=ibm,
        mapping_name="ibm-hr-attrition",
        export_date=EXPORTED,
    )
    assert run.status == Status.INVALID
    groups = {g["message"]: g for g in run.summary["error_groups"]}
    rnd = groups["Unknown org unit 'RND': create it in Tandem first"]
    assert rnd["column"] == "Department (1 value(s) mapped)" or rnd["column"].startswith("Department")
    assert rnd["count"] > 800 and rnd["rows"][:1] and len(rnd["rows"]) == 12
    assert len(groups) == 3 + len(IBM_JOB_ROLES)  # 12 causes, not 2,940 lines
    assert sum(g["count"] for g in groups.values()) == run.summary["errors"] == 2940

    client = login(make_user(roles=["ld_admin"]))
    page = client.get(reverse("import_detail", args=[run.pk])).content.decode()
    assert page.count("Unknown job role") == len(IBM_JOB_ROLES)
    download = client.get(reverse("import_errors_csv", args=[run.pk]))
    assert download["Content-Type"].startswith("text/csv")
    assert len(download.content.decode().strip().splitlines()) == 1 + 2940


def test_leaver_without_a_date_is_refused_without_an_export_date(org):
    rows = [person("E1", status="terminated")]
    run = import_run_submit(actor_id=None, kind="people", filename="p.csv", content=csv_bytes(rows))
    assert run.status == Status.INVALID
    assert "say on which day the export was taken" in run.errors[0]["message"]


def test_a_mapped_column_is_never_also_bound_by_its_name_and_a_blank_rule_switches_a_field_off(org):
    rows = [{**person("E1"), "JobRole": "AE"}]
    content = csv_bytes(
        [{k: v for k, v in row.items() if k not in {"job_title", "job_role_code"}} for row in rows]
    )
    column_mapping_create(actor_id=None, kind="people", name="titles", columns={"job_title": "JobRole"})
    run = import_run_submit(
        actor_id=None, kind="people", filename="p.csv", content=content, mapping_name="titles"
    )
    assert run.status == Status.PREVIEWED, run.errors
    used = run.options["used_columns"]
    assert used["job_title"] == "JobRole" and "job_role_code" not in used

    column_mapping_create(
        actor_id=None, kind="people", name="no-location", columns={"location": None}, ignore=["Office"]
    )
    content = csv_bytes([{**person("E2"), "location": "Berlin", "Office": "HQ"}])
    run = import_run_submit(
        actor_id=None, kind="people", filename="p.csv", content=content, mapping_name="no-location"
    )
    assert "location" not in run.options["used_columns"]
    with pytest.raises(DomainError, match="employee_id cannot be left out"):
        column_mapping_create(actor_id=None, kind="people", name="bad", columns={"employee_id": None})


def test_constants_templates_and_transforms(org):
    header = ["Staff", "Full name", "Email", "Team", "Tenure"]
    content = csv_bytes(
        [
            {
                "Staff": "7",
                "Full name": "Lopez, Maria",
                "Email": "Maria.Lopez@EXAMPLE.com",
                "Team": "Sales",
                "Tenure": "2",
            }
        ],
        header=header,
    )
    columns = {
        "employee_id": {"template": "E{Staff}"},
        "first_name": {"column": "Full name", "transform": "first_name"},
        "last_name": {"column": "Full name", "transform": "last_name"},
        "work_email": {"column": "Email", "transform": "lower"},
        "org_unit_code": {"column": "Team", "values": {"Sales": "SALES"}},
        "hire_date": {"column": "Tenure", "transform": "years_before_as_of"},
        "country": {"constant": "de"},
    }
    column_mapping_create(actor_id=None, kind="people", name="rules", columns=columns)
    run = import_run_submit(
        actor_id=None,
        kind="people",
        filename="p.csv",
        content=content,
        mapping_name="rules",
        as_of=dt.date(2025, 3, 31),
    )
    assert run.status == Status.PREVIEWED, run.errors
    import_run_confirm(run_id=run.pk, actor_id=None)
    maria = Person.objects.get()
    assert (maria.employee_id, maria.first_name, maria.last_name) == ("E7", "Maria", "Lopez")
    assert (maria.work_email, maria.org_unit.code, maria.country) == (
        "maria.lopez@example.com",
        "SALES",
        "DE",
    )
    assert maria.hire_date == dt.date(2023, 3, 31)


def test_mapping_files_round_trip_in_yaml_and_json(db):
    column_mapping_import(actor_id=None, content=MAPPING_FILE.read_bytes())
    for file_format in ("yaml", "json"):
        filename, content = mapping_file_export(kind="people", name="ibm-hr-attrition", format=file_format)
        assert filename.endswith(file_format)
        copy = column_mapping_import(actor_id=None, content=content.encode(), name=f"copy-{file_format}")
        original = ColumnMapping.objects.get(name="ibm-hr-attrition")
        assert (copy.columns, copy.options) == (original.columns, original.options)
    with pytest.raises(DomainError, match="unknown transform 'reverse'"):
        column_mapping_import(
            actor_id=None,
            content=b"kind: people\nname: x\nfields: {employee_id: {column: A, transform: reverse}}",
        )


def test_command_line_dry_run_prints_the_changes_and_json(ibm, tmp_path):
    path = tmp_path / "ibm.csv"
    path.write_bytes(ibm)
    out = StringIO()
    call_command(
        "import",
        "people",
        str(path),
        "--mapping",
        str(MAPPING_FILE),
        "--export-date",
        "2026-11-30",
        "--create-missing",
        "--dry-run",
        stdout=out,
        verbosity=0,
    )
    text = out.getvalue()
    assert "Org units to create:" in text and "RND 'Research & Development'" in text
    assert "Changes to make:" in text and "  1 [new" in text and "Dry run: nothing was written." in text
    assert Person.objects.count() == 0
    out = StringIO()
    call_command(
        "import",
        "people",
        str(path),
        "--mapping",
        str(MAPPING_FILE),
        "--export-date",
        "2026-11-30",
        "--create-missing",
        "--dry-run",
        "--format",
        "json",
        stdout=out,
        verbosity=0,
    )
    report = json.loads(out.getvalue())
    assert report["status"] == "previewed" and report["summary"]["create"] == 1470
    assert report["changes"][0]["kind"] == "create"
