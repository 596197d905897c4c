from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest

from tandem.org.services import job_family_get_or_create, job_role_get_or_create, org_unit_create

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


@pytest.fixture
def org(db: Any) -> None:
    """Company CO with departments SALES and CS, and job roles AE (account executive) and MGR."""
    start = dt.date(2020, 1, 1)
    org_unit_create(actor_id=None, code="CO", name="Company", kind="company", valid_from=start)
    org_unit_create(
        actor_id=None, code="SALES", name="Sales", kind="department", parent_code="CO", valid_from=start
    )
    org_unit_create(
        actor_id=None, code="CS", name="Service", kind="department", parent_code="CO", valid_from=start
    )
    job_family_get_or_create(actor_id=None, code="SAL", name="Sales")
    job_role_get_or_create(actor_id=None, code="AE", name="Account executive", family_code="SAL", level=2)
    job_role_get_or_create(actor_id=None, code="MGR", name="Sales manager", family_code="SAL", level=4)


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


@pytest.fixture
def write_file(tmp_path: Path):
    """write_file(name, bytes) -> a real file under tmp_path."""

    def _write(name: str, content: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(content)
        return path

    return _write


@pytest.fixture
def admin_client(make_user: Any, login: Any) -> Any:
    return login(make_user(roles=["ld_admin"]))
