"""A small program for survey tests: one cohort of six participants in one unit, each with a manager."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tandem.surveys.services import survey_dispatch_due
from tests.surveys.factories import Setup, build_setup


@pytest.fixture
def setup(db: Any) -> Setup:
    return build_setup()


@pytest.fixture
def dispatch(django_capture_on_commit_callbacks: Any):
    """Run a dispatch and its after-commit sending (tests run inside one transaction)."""

    def _run(now: dt.datetime, survey_id: int | None = None) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return survey_dispatch_due(now=now, survey_id=survey_id)

    return _run
