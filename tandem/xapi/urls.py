"""The xAPI LRS endpoints under /xapi/: statements, about, documents (state, profiles), activities, agents."""

from django.urls import URLPattern, path

from tandem.xapi import documents, views

urlpatterns: list[URLPattern] = [
    path("statements", views.statements, name="xapi-statements"),
    path("about", views.about, name="xapi-about"),
    path("activities/state", documents.state, name="xapi-activities-state"),
    path("activities/profile", documents.activity_profile, name="xapi-activities-profile"),
    path("activities", documents.activities, name="xapi-activities"),
    path("agents/profile", documents.agent_profile, name="xapi-agents-profile"),
    path("agents", documents.agents, name="xapi-agents"),
]
