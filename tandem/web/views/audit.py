from django.http import HttpRequest, HttpResponse
from django.urls import path


def audit(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


urlpatterns = [path("", audit, name="audit")]
