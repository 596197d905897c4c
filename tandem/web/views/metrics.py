from django.http import HttpRequest, HttpResponse
from django.urls import path


def metrics(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


urlpatterns = [path("", metrics, name="metrics")]
