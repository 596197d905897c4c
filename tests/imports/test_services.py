import datetime as dt

import openpyxl
import pytest

from tandem.audit.models import AuditEvent
from tandem.core.scope import DomainError
from tandem.imports.models import ImportRun
from tandem.imports.services import (
    column_mapping_create,
    import_run_confirm,
    import_run_execute,
    import_run_submit,
    import_run_validate,
)
from tandem.org.models import Assignment, Person
from tandem.org.selectors import person_assignment_as_of, person_assignment_history
from tests.factories import PersonFactory
from tests.imports.factories import ColumnMappingFactory, csv_bytes, person, team

pytestmark = pytest.mark.django_db

Status = ImportRun.Status


def submit(content, *, kind="people", mapping="", as_of=dt.date(2025, 1, 1), filename="people.csv"):
    return import_run_submit(
        actor_id=None, kind=kind, filename=filename, content=content, mapping_name=mapping, as_of=as_of
    )


def messages(run):
    return [(e["row"], e["column"], e["message"]) for e in run.errors]


def imported(content, **kwargs):
    run = submit(content, **kwargs)
    assert run.status == Status.PREVIEWED, run.errors
    return import_run_confirm(run_id=run.pk, actor_id=None)


# --- a good file --------------------------------------------------------------------------------


def test_good_file_previews_then_writes_everything(org):
    run = submit(csv_bytes(team()))
    assert run.status == Status.PREVIEWED
    assert run.summary == {
        "rows": 4,
        "errors": 0,
        "warnings": 0,
        "create": 4,
        "update": 0,
        "unchanged": 0,
        "terminate": 0,
        "move": 0,
        "error_groups": [],
        "warning_groups": [],
    }
    assert Person.objects.count() == 0  # preview writes nothing
    assert [d["key"] for d in run.diffs] == ["E1", "E2", "E3", "E4"]

    run = import_run_confirm(run_id=run.pk, actor_id=None)
    assert run.status == Status.DONE and run.summary["create"] == 4
    assert Person.objects.get(employee_id="E2").manager.employee_id == "E1"
    where = person_assignment_as_of(employee_id="E4", on=dt.date(2024, 2, 1))
    assert where.org_unit_code == "CS" and where.manager_employee_id == "E1"


def test_one_import_audit_event_plus_one_per_person(org, make_user):
    user = make_user(roles=["ld_admin"])
    run = import_run_submit(
        actor_id=user.pk,
        kind="people",
        filename="team.csv",
        content=csv_bytes(team()),
        as_of=dt.date(2025, 1, 1),
    )
    import_run_confirm(run_id=run.pk, actor_id=user.pk)
    event = AuditEvent.objects.get(action="import")
    assert event.actor_id == user.pk and event.entity_label == "team.csv"
    assert event.changes["create"] == 4 and event.changes["filename"] == "team.csv"
    assert AuditEvent.objects.filter(entity_type="person", action="create").count() == 4


def test_reimport_of_the_same_file_is_all_unchanged(org):
    imported(csv_bytes(team()))
    events = AuditEvent.objects.filter(entity_type="person").count()
    run = imported(csv_bytes(team()))
    assert run.summary["unchanged"] == 4
    assert run.summary["create"] == run.summary["update"] == 0
    assert AuditEvent.objects.filter(entity_type="person").count() == events
    assert Assignment.objects.count() == 4


def test_later_file_with_moves_creates_effective_dated_assignments(org):
    imported(csv_bytes(team()), as_of=dt.date(2025, 1, 1))
    rows = team()
    rows[1] = person("E2", unit="CS", manager="E1")  # moves on the as-of date
    rows[2] = person("E3", unit="CS", manager="E1", effective_date="2025-02-15")  # its own date
    run = submit(csv_bytes(rows), as_of=dt.date(2025, 3, 1))
    assert run.summary["move"] == 2 and run.summary["update"] == 2 and run.summary["unchanged"] == 2
    diff = next(d for d in run.diffs if d["key"] == "E2")
    assert diff["moved"] and ["org_unit_code", "SALES", "CS"] in diff["changes"]

    import_run_confirm(run_id=run.pk, actor_id=None)
    assert person_assignment_as_of(employee_id="E2", on=dt.date(2025, 2, 28)).org_unit_code == "SALES"
    assert person_assignment_as_of(employee_id="E2", on=dt.date(2025, 3, 1)).org_unit_code == "CS"
    assert person_assignment_as_of(employee_id="E3", on=dt.date(2025, 2, 14)).org_unit_code == "SALES"
    assert person_assignment_as_of(employee_id="E3", on=dt.date(2025, 2, 15)).org_unit_code == "CS"
    assert len(person_assignment_history(employee_id="E2")) == 2
    assert person_assignment_as_of(employee_id="E4", on=dt.date(2025, 3, 1)).org_unit_code == "CS"


def test_termination_is_counted_and_closes_the_assignment(org):
    imported(csv_bytes(team()))
    rows = team()
    rows[3] = person("E4", unit="CS", manager="E1", termination_date="2025-01-31")
    run = imported(csv_bytes(rows), as_of=dt.date(2025, 3, 1))
    assert run.summary["terminate"] == 1
    assert Person.objects.get(employee_id="E4").status == "terminated"
    assert person_assignment_as_of(employee_id="E4", on=dt.date(2025, 2, 1)) is None


def test_manager_already_in_database_is_fine(org):
    PersonFactory(employee_id="B1", org_unit=None, with_assignment=False)
    run = imported(csv_bytes([person("E9", manager="B1")]))
    assert run.status == Status.DONE
    assert Person.objects.get(employee_id="E9").manager.employee_id == "B1"


# --- all or nothing -----------------------------------------------------------------------------


def test_one_bad_row_among_good_ones_writes_nothing(org):
    rows = [*team(), person("E5", hire_date="2024-13-01")]
    run = submit(csv_bytes(rows))
    assert run.status == Status.INVALID
    assert messages(run) == [(6, "hire_date", "'2024-13-01' is not a date in the format YYYY-MM-DD")]
    with pytest.raises(DomainError, match="cannot be confirmed"):
        import_run_confirm(run_id=run.pk, actor_id=None)
    assert Person.objects.count() == 0 and Assignment.objects.count() == 0
    assert not AuditEvent.objects.filter(entity_type="person").exists()


def test_data_changed_after_preview_is_rechecked_and_nothing_written(org):
    from tandem.org.models import OrgUnit

    run = submit(csv_bytes(team()))
    OrgUnit.objects.filter(code="CS").update(code="SERVICE")
    run = import_run_confirm(run_id=run.pk, actor_id=None)
    assert run.status == Status.INVALID
    assert "changed since the preview" in run.message
    assert messages(run) == [(5, "org_unit_code", "Unknown org unit 'CS': create it in Tandem first")]
    assert Person.objects.count() == 0


def test_execute_and_validate_are_idempotent(org):
    run = submit(csv_bytes(team()))
    assert import_run_validate(run_id=run.pk).status == Status.PREVIEWED  # already validated: left alone
    run = import_run_confirm(run_id=run.pk, actor_id=None)
    assert import_run_execute(run_id=run.pk).status == Status.DONE  # finished: does nothing
    assert Person.objects.count() == 4
    assert AuditEvent.objects.filter(action="import").count() == 1


# --- row errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            person("E5", hire_date="31/01/2024"),
            ("hire_date", "'31/01/2024' is not a date in the format YYYY-MM-DD"),
        ),
        (
            person("E5", hire_date="2023-02-29"),
            ("hire_date", "'2023-02-29' is not a date in the format YYYY-MM-DD"),
        ),
        (person("E5", hire_date=""), ("hire_date", "hire_date is required")),
        (
            person("E5", manager="E77"),
            ("manager_employee_id", "Unknown manager E77: not in this file and not in Tandem"),
        ),
        (
            person("E5", unit="MARKETING"),
            ("org_unit_code", "Unknown org unit 'MARKETING': create it in Tandem first"),
        ),
        (person("E5", job_role_code="CEO"), ("job_role_code", "Unknown job role 'CEO'")),
        (
            person("E5", work_email="maria.example.com"),
            ("work_email", "'maria.example.com' is not a valid email address"),
        ),
        (
            person("E5", work_email="maria@example"),
            ("work_email", "'maria@example' is not a valid email address"),
        ),
        (
            person("E5", employment_type="casual"),
            (
                "employment_type",
                "'casual' is not a valid employment type (contractor, full_time, intern, part_time, temporary)",
            ),
        ),
        (
            person("E5", status="retired"),
            ("status", "'retired' is not a valid status (active, on_leave, terminated)"),
        ),
        (
            person("E5", status="terminated"),
            (
                "status",
                "Status is terminated but the termination date is empty: give the day they left, or say on which day the export was taken (leavers then leave on that day)",
            ),
        ),
        (
            person("E5", termination_date="2023-12-31"),
            ("termination_date", "Termination date 2023-12-31 is before the hire date 2024-01-15"),
        ),
        (
            person("E5", country="Germany"),
            ("country", "'Germany' is not a two-letter country code (e.g. DE, GB, US)"),
        ),
        (person("E5", first_name="x" * 101), ("first_name", "Too long: at most 100 characters")),
    ],
)
def test_row_errors_name_row_column_and_problem(org, row, expected):
    run = submit(csv_bytes([*team(), row]))
    assert run.status == Status.INVALID
    assert messages(run) == [(6, *expected)]
    assert run.errors[0]["value"] == row.get(expected[0], "")


def test_labels_and_spellings_of_choices_are_accepted(org):
    rows = [person("E1", employment_type="Part-time", status="On Leave", country="de")]
    run = imported(csv_bytes(rows))
    saved = Person.objects.get(employee_id="E1")
    assert (saved.employment_type, saved.status, saved.country) == ("part_time", "on_leave", "DE")
    assert run.status == Status.DONE


def test_duplicate_employee_ids(org):
    run = submit(csv_bytes([*team(), person("E2", manager="E1")]))
    assert messages(run) == [(6, "employee_id", "Employee id E2 appears more than once (first on row 3)")]


def test_manager_cycle_in_the_file_names_the_chain(org):
    rows = [person("E1", manager="E3"), person("E2", manager="E1"), person("E3", manager="E2")]
    run = submit(csv_bytes(rows))
    assert messages(run) == [(2, "manager_employee_id", "Manager cycle: E1 → E3 → E2 → E1")]


def test_manager_cycle_across_file_and_database(org):
    imported(csv_bytes([person("B1"), person("B2", manager="B1")]))
    # B1 now reports to a new person who reports to B2, who (in the database) reports to B1.
    run = submit(csv_bytes([person("B1", manager="N1"), person("N1", manager="B2")]))
    assert messages(run) == [(2, "manager_employee_id", "Manager cycle: B1 → N1 → B2 → B1")]


def test_own_manager(org):
    run = submit(csv_bytes([person("E1", manager="E1")]))
    assert messages(run) == [(2, "manager_employee_id", "Employee E1 cannot be their own manager")]


def test_every_error_is_reported_not_just_the_first(org):
    rows = [person("E1", hire_date="bad"), person("E2", unit="NOPE"), person("E3", work_email="x")]
    run = submit(csv_bytes(rows))
    assert [e["row"] for e in run.errors] == [2, 4, 3] or sorted(e["row"] for e in run.errors) == [2, 3, 4]
    assert run.summary["errors"] == 3


def test_short_rows_count_as_blank_cells(org):
    content = (
        b"employee_id,first_name,last_name,work_email,org_unit_code,hire_date\nE1,Ann,Lee,a@x.io,SALES\n"
    )
    run = submit(content)
    assert messages(run) == [(2, "hire_date", "hire_date is required")]


# --- files and columns --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"bom": True},
        {"crlf": True},
        {"delimiter": ";"},
        {"delimiter": "\t"},
        {"bom": True, "crlf": True, "delimiter": ";"},
    ],
)
def test_csv_variants_import(org, options):
    run = imported(csv_bytes(team(), **options))
    assert run.summary["create"] == 4


def test_xlsx_import(org, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(
        [
            "Employee ID",
            "Legal First Name",
            "Legal Last Name",
            "Primary Work Email",
            "Cost Center",
            "Hire Date",
        ]
    )
    sheet.append([1001, "Ann", "Lee", "ann@example.com", "SALES", dt.datetime(2024, 1, 15)])  # noqa: DTZ001
    sheet.append([1002, "Bo", "Kim", "bo@example.com", "CS", dt.datetime(2024, 3, 1)])  # noqa: DTZ001
    path = tmp_path / "workday.xlsx"
    workbook.save(path)
    run = imported(path.read_bytes(), mapping="workday", filename=path.name)
    assert run.summary["create"] == 2
    assert Person.objects.get(employee_id="1001").hire_date == dt.date(2024, 1, 15)


def test_file_level_errors_are_stored_on_the_run(org):
    run = submit(b"")
    assert run.status == Status.INVALID
    assert messages(run) == [(0, "", "The file is empty")]
    run = submit(b"employee_id,first_name\n")
    assert messages(run) == [(0, "", "The file has a header row but no data rows")]


def test_missing_required_columns_are_named(org):
    content = csv_bytes([{k: v for k, v in person("E1").items() if k not in {"hire_date", "work_email"}}])
    run = submit(content)
    assert run.status == Status.INVALID
    assert run.errors[0]["row"] == 1
    assert run.errors[0]["message"].startswith("Missing required column(s): work_email, hire_date.")


def test_missing_required_column_of_a_preset_says_what_it_was_mapped_from(org, tmp_path):
    path = tmp_path / "workday.csv"
    path.write_bytes(
        b"Employee ID,Legal First Name,Legal Last Name,Primary Work Email,Cost Center\n1,Ann,Lee,a@x.io,SALES\n"
    )
    run = submit(path.read_bytes(), mapping="workday")
    assert run.errors[0]["message"].startswith(
        "Missing required column(s): hire_date (mapped from 'Hire Date')"
    )


def test_workday_and_bamboohr_presets(org):
    workday = (
        b"Employee ID,Legal First Name,Legal Last Name,Primary Work Email,Cost Center,Hire Date,"
        b"Supervisor Employee ID,Business Title,Time Type\n"
        b"W1,Ann,Lee,ann@example.com,SALES,2024-01-15,,Head of Sales,Full time\n"
        b"W2,Bo,Kim,bo@example.com,SALES,2024-02-01,W1,Rep,Part time\n"
    )
    run = imported(workday, mapping="workday")
    assert run.summary["create"] == 2
    assert Person.objects.get(employee_id="W2").manager.employee_id == "W1"
    bamboo = (
        b"Employee #,First Name,Last Name,Work Email,Department,Hire Date,Reporting To Employee #\n"
        b"B1,Cy,Ng,cy@example.com,CS,01/31/2024,\n"
        b"B2,Di,Ox,di@example.com,CS,02/29/2024,B1\n"
    )
    run = imported(bamboo, mapping="bamboohr")
    assert Person.objects.get(employee_id="B2").hire_date == dt.date(2024, 2, 29)


def test_headers_match_without_a_mapping_by_name_or_alias(org):
    content = b"Employee Number,First Name,Surname,Email,Org Unit,Start Date\nE1,Ann,Lee,ann@example.com,SALES,2024-01-15\n"
    run = imported(content)
    assert run.options["used_columns"]["last_name"] == "Surname"


def test_saved_mapping_with_date_format(org):
    column_mapping_create(
        actor_id=None,
        kind="people",
        name="SAP export",
        columns={"employee_id": "Pers.No.", "hire_date": "Entry", "org_unit_code": "Org"},
        date_format="%d.%m.%Y",
    )
    content = (
        b"Pers.No.;first_name;last_name;work_email;Org;Entry\n42;Ann;Lee;ann@example.com;SALES;15.01.2024\n"
    )
    run = imported(content, mapping="sap-export")
    assert Person.objects.get(employee_id="42").hire_date == dt.date(2024, 1, 15)
    assert run.mapping_name == "sap-export"


def test_saved_mapping_entries_must_exist_in_the_file(org):
    ColumnMappingFactory(name="strict", columns={"employee_id": "Staff No", "location": "Office"})
    content = csv_bytes([{**{k: v for k, v in person("E1").items() if k != "employee_id"}, "Staff No": "E1"}])
    run = submit(content, mapping="strict")
    assert (
        "The mapping names column(s) that are not in the file: location → 'Office'"
        in run.errors[0]["message"]
    )


def test_unknown_mapping_is_a_domain_error(org):
    with pytest.raises(DomainError, match="No mapping named 'nope' for people files"):
        submit(csv_bytes(team()), mapping="nope")


def test_column_mapping_create_rules(db):
    with pytest.raises(DomainError, match="built-in preset"):
        column_mapping_create(actor_id=None, kind="people", name="Workday", columns={"employee_id": "ID"})
    with pytest.raises(DomainError, match="Unknown field"):
        column_mapping_create(actor_id=None, kind="people", name="x", columns={"salary": "Pay"})
    with pytest.raises(DomainError, match="Name at least one column"):
        column_mapping_create(actor_id=None, kind="people", name="x", columns={"employee_id": " "})
    column_mapping_create(actor_id=None, kind="people", name="x", columns={"employee_id": "ID"})
    with pytest.raises(DomainError, match="already exists"):
        column_mapping_create(actor_id=None, kind="people", name="X", columns={"employee_id": "ID"})
    assert AuditEvent.objects.filter(entity_type="column_mapping").count() == 1


def test_columns_left_out_of_a_later_file_keep_stored_values(org):
    rows = [
        person("E1", location="Berlin", country="DE", employment_type="part_time", status="on_leave"),
        person("E2", manager="E1", location="Lisbon", country="PT"),
    ]
    imported(csv_bytes(rows))
    # A narrower export: no location, country, employment type, status or manager columns.
    narrow = [
        {
            k: v
            for k, v in row.items()
            if k not in {"location", "country", "employment_type", "status", "manager_employee_id"}
        }
        for row in rows
    ]
    run = imported(csv_bytes(narrow))
    assert run.summary["unchanged"] == 2, run.diffs
    first = Person.objects.get(employee_id="E1")
    assert (first.location, first.country, first.employment_type, first.status) == (
        "Berlin",
        "DE",
        "part_time",
        "on_leave",
    )
    assert Person.objects.get(employee_id="E2").manager.employee_id == "E1"


def test_errors_are_listed_in_row_order(org):
    rows = [person("E1", manager="E99"), person("E2", hire_date="bad"), person("E2")]
    run = submit(csv_bytes(rows))
    assert [e["row"] for e in run.errors] == [2, 3, 4]
