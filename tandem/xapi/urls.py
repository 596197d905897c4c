"""The xAPI LRS endpoints under /xapi/ (statements and about so far)."""

from django.urls import URLPattern, path

from tandem.xapi import views

urlpatterns: list[URLPattern] = [
    path("statements", views.statements, name="xapi-statements"),
    path("about", views.about, name="xapi-about"),
]
