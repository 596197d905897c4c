"""Comparison groups and pilot plans (pages)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
