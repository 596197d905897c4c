"""Placeholder: filled in by the survey_public work."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
