from django.http import HttpRequest, HttpResponse
from django.urls import path


def org_tree(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


urlpatterns = [path("", org_tree, name="org_tree")]
