"""Stakeholder reports: case studies and business cases (drafts people edit, then export)."""

from django.db import models  # noqa: F401
