from django.http import HttpRequest, HttpResponse
from django.urls import path


def initiatives(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


urlpatterns = [path("", initiatives, name="initiatives")]
