from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tandem.org.services import job_family_get_or_create, job_role_get_or_create, org_unit_create


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
