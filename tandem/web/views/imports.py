from django.http import HttpRequest, HttpResponse
from django.urls import path


def imports(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


urlpatterns = [path("", imports, name="imports")]
