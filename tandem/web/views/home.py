from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {})


urlpatterns = [path("", home, name="home")]
