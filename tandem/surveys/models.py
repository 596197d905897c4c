"""Surveys: reaction, learning and behaviour questionnaires sent by email with personal links."""

from django.db import models  # noqa: F401
