"""Factories for import tests (kept out of the shared tests/factories.py)."""

from __future__ import annotations

import csv
import io
import random
import re
import zipfile

import factory
import openpyxl

from tandem.imports.models import ColumnMapping, ImportKind, ImportRun


class ColumnMappingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ColumnMapping

    name = factory.Sequence(lambda n: f"mapping-{n}")
    kind = ImportKind.PEOPLE
    columns = factory.LazyFunction(lambda: {"employee_id": "Staff No"})
    options = factory.LazyFunction(dict)


class ImportRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportRun

    kind = ImportKind.PEOPLE
    filename = factory.Sequence(lambda n: f"people-{n}.csv")
    content = b"employee_id\nE1\n"
    status = ImportRun.Status.DONE
    mapping_name = "tandem"
    summary = factory.LazyFunction(lambda: {"rows": 1, "create": 1, "update": 0, "unchanged": 0, "errors": 0})


HEADER = [
    "employee_id",
    "first_name",
    "last_name",
    "work_email",
    "org_unit_code",
    "hire_date",
    "job_title",
    "job_role_code",
    "manager_employee_id",
]


def person(employee_id: str, unit: str = "SALES", manager: str = "", **extra: str) -> dict[str, str]:
    row = {
        "employee_id": employee_id,
        "first_name": "Maria",
        "last_name": f"Lopez {employee_id}",
        "work_email": f"{employee_id.lower()}@example.com",
        "org_unit_code": unit,
        "hire_date": "2024-01-15",
        "job_title": "Account executive",
        "job_role_code": "AE",
        "manager_employee_id": manager,
    }
    row.update(extra)
    return row


def team() -> list[dict[str, str]]:
    """A boss and three reports."""
    return [
        person("E1", job_role_code="MGR"),
        person("E2", manager="E1"),
        person("E3", manager="E1"),
        person("E4", unit="CS", manager="E1"),
    ]


def csv_bytes(
    rows: list[dict[str, str]],
    *,
    header: list[str] | None = None,
    delimiter: str = ",",
    bom: bool = False,
    crlf: bool = False,
) -> bytes:
    columns = header or list(dict.fromkeys(key for row in rows for key in row)) or HEADER
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8")


# --- the public IBM HR attrition export, in shape -------------------------------------------------

IBM_COLUMNS = [
    "Age",
    "Attrition",
    "BusinessTravel",
    "DailyRate",
    "Department",
    "DistanceFromHome",
    "Education",
    "EducationField",
    "EmployeeCount",
    "EmployeeNumber",
    "EnvironmentSatisfaction",
    "Gender",
    "HourlyRate",
    "JobInvolvement",
    "JobLevel",
    "JobRole",
    "JobSatisfaction",
    "MaritalStatus",
    "MonthlyIncome",
    "MonthlyRate",
    "NumCompaniesWorked",
    "Over18",
    "OverTime",
    "PercentSalaryHike",
    "PerformanceRating",
    "RelationshipSatisfaction",
    "StandardHours",
    "StockOptionLevel",
    "TotalWorkingYears",
    "TrainingTimesLastYear",
    "WorkLifeBalance",
    "YearsAtCompany",
    "YearsInCurrentRole",
    "YearsSinceLastPromotion",
    "YearsWithCurrManager",
]
# Department -> (its share of the 1,470 rows, its job roles), as in the published file.
IBM_DEPARTMENTS = {
    "Research & Development": (
        961,
        (
            "Research Scientist",
            "Laboratory Technician",
            "Manufacturing Director",
            "Healthcare Representative",
            "Research Director",
            "Manager",
        ),
    ),
    "Sales": (446, ("Sales Executive", "Sales Representative", "Manager")),
    "Human Resources": (63, ("Human Resources", "Manager")),
}
IBM_JOB_ROLES = sorted({role for _, roles in IBM_DEPARTMENTS.values() for role in roles})


def ibm_hr_attrition_rows(*, rows: int = 1470, seed: int = 7) -> list[dict[str, str]]:
    """Rows drawn like the public IBM HR attrition data set: 35 columns, about 16% leavers (Attrition=Yes),
    no names, emails or managers, employee numbers rising with gaps."""
    rng = random.Random(seed)
    departments = list(IBM_DEPARTMENTS)
    weights = [IBM_DEPARTMENTS[d][0] for d in departments]
    number = 0
    drawn: list[dict[str, str]] = []
    for _ in range(rows):
        number += rng.choice((1, 1, 2))
        department = rng.choices(departments, weights)[0]
        total_years = rng.randint(0, 40)
        at_company = rng.randint(0, total_years)
        value = {
            "Age": rng.randint(max(18, 18 + total_years), 60) if total_years <= 42 else 60,
            "Attrition": "Yes" if rng.random() < 0.161 else "No",
            "BusinessTravel": rng.choices(("Travel_Rarely", "Travel_Frequently", "Non-Travel"), (71, 19, 10))[
                0
            ],
            "DailyRate": rng.randint(102, 1499),
            "Department": department,
            "DistanceFromHome": rng.randint(1, 29),
            "Education": rng.randint(1, 5),
            "EducationField": rng.choice(
                ("Life Sciences", "Medical", "Marketing", "Technical Degree", "Other", "Human Resources")
            ),
            "EmployeeCount": 1,
            "EmployeeNumber": number,
            "EnvironmentSatisfaction": rng.randint(1, 4),
            "Gender": rng.choice(("Female", "Male")),
            "HourlyRate": rng.randint(30, 100),
            "JobInvolvement": rng.randint(1, 4),
            "JobLevel": rng.randint(1, 5),
            "JobRole": rng.choice(IBM_DEPARTMENTS[department][1]),
            "JobSatisfaction": rng.randint(1, 4),
            "MaritalStatus": rng.choice(("Single", "Married", "Divorced")),
            "MonthlyIncome": rng.randint(1009, 19999),
            "MonthlyRate": rng.randint(2094, 26999),
            "NumCompaniesWorked": rng.randint(0, 9),
            "Over18": "Y",
            "OverTime": rng.choice(("Yes", "No", "No")),
            "PercentSalaryHike": rng.randint(11, 25),
            "PerformanceRating": rng.choice((3, 3, 3, 4)),
            "RelationshipSatisfaction": rng.randint(1, 4),
            "StandardHours": 80,
            "StockOptionLevel": rng.randint(0, 3),
            "TotalWorkingYears": total_years,
            "TrainingTimesLastYear": rng.randint(0, 6),
            "WorkLifeBalance": rng.randint(1, 4),
            "YearsAtCompany": at_company,
            "YearsInCurrentRole": rng.randint(0, at_company),
            "YearsSinceLastPromotion": rng.randint(0, at_company),
            "YearsWithCurrManager": rng.randint(0, at_company),
        }
        drawn.append({key: str(value[key]) for key in IBM_COLUMNS})
    return drawn


def ibm_hr_attrition_csv(*, rows: int = 1470, seed: int = 7) -> bytes:
    """The export as published: UTF-8 with a byte-order mark, CRLF line ends, a header of 35 columns."""
    return csv_bytes(ibm_hr_attrition_rows(rows=rows, seed=seed), header=IBM_COLUMNS, bom=True, crlf=True)


# --- spreadsheets as other programs write them ----------------------------------------------------


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_with_dimension(rows: list[list[object]], *, dimension: str) -> bytes:
    """An XLSX whose sheet declares `dimension` (e.g. "A1:F3") whatever it holds, as some writers do."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes(rows)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = source.read(name)
            if name.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'.encode(), data)
            target.writestr(name, data)
    return buffer.getvalue()
