"""Creating and editing programs: fields, activities, costs and metrics (pages)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
