"""TANDEM_BASE_URL defaults to the address actually served (tandem demo --port 8080 links to :8080)."""

import pytest

from tandem.demo.serving import base_url_default, served_url
from tandem.surveys.tokens import invitation_link


@pytest.fixture
def unset_base_url(monkeypatch, settings):
    monkeypatch.delenv("TANDEM_BASE_URL", raising=False)
    yield
    # base_url_default writes the environment on purpose (the server inherits it); leave none behind.
    monkeypatch.delenv("TANDEM_BASE_URL", raising=False)


def test_the_served_port_becomes_the_base_url(unset_base_url, settings):
    import os

    assert base_url_default(host="127.0.0.1", port=8080) == "http://127.0.0.1:8080"
    assert settings.TANDEM_BASE_URL == "http://127.0.0.1:8080"
    assert os.environ["TANDEM_BASE_URL"] == "http://127.0.0.1:8080"  # what gunicorn and the worker inherit
    assert invitation_link(salt="abc").startswith("http://127.0.0.1:8080/s/")  # the links in emails


def test_an_explicit_base_url_wins(monkeypatch, settings):
    monkeypatch.setenv("TANDEM_BASE_URL", "https://tandem.example.com")
    settings.TANDEM_BASE_URL = "https://tandem.example.com"
    assert base_url_default(host="0.0.0.0", port=9000) == "https://tandem.example.com"  # noqa: S104


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("0.0.0.0", "http://127.0.0.1:8080"),  # noqa: S104
        ("::1", "http://[::1]:8080"),
        ("tandem.lan", "http://tandem.lan:8080"),
    ],
)
def test_served_url(host, url):
    assert served_url(host=host, port=8080) == url
