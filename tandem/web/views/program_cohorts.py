"""Cohorts and who takes part in them (pages)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
