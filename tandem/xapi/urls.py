"""The xAPI LRS endpoints under /xapi/ (statements, documents, activities, agents, about)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
