from django.http import HttpRequest, HttpResponse
from django.urls import path


def people_list(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


urlpatterns = [path("", people_list, name="people")]
