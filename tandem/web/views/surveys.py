"""Placeholder: filled in by the surveys work."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
