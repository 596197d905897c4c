"""Security settings and behaviour an IT reviewer checks: hashing, cookies, CSRF, open pages, system page."""

import os
import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.hashers import check_password, get_hasher, make_password
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from tandem.accounts.models import Role
from tandem.accounts.services import security_event_record

pytestmark = pytest.mark.django_db

ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"


def settings_module(name, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://tandem@db.invalid/tandem")
    monkeypatch.setenv("TANDEM_SECRET_KEY", "not-a-real-key-" + "x" * 40)
    monkeypatch.setenv("TANDEM_ALLOWED_HOSTS", "tandem.example.com")
    return runpy.run_module(f"config.settings.{name}")


@pytest.mark.parametrize("name", ["base", "production"])
def test_base_and_production_hash_passwords_with_argon2_first(name, monkeypatch):
    module = settings_module(name, monkeypatch)
    assert module["PASSWORD_HASHERS"][0] == ARGON2


def test_production_settings_are_strict(monkeypatch):
    module = settings_module("production", monkeypatch)
    assert module["DEBUG"] is False
    assert module["SESSION_COOKIE_SECURE"] is True and module["CSRF_COOKIE_SECURE"] is True
    assert module["SECURE_HSTS_SECONDS"] > 0


def test_a_password_set_under_argon2_verifies(settings, make_user):
    settings.PASSWORD_HASHERS = [ARGON2]
    encoded = make_password("correct-horse-battery")
    assert encoded.startswith("argon2$argon2id$")
    assert check_password("correct-horse-battery", encoded)
    assert not check_password("wrong", encoded)
    user = make_user()
    user.set_password("another-long-secret")
    user.save()
    user.refresh_from_db()
    assert get_hasher("default").algorithm == "argon2"
    assert user.password.startswith("argon2$") and user.check_password("another-long-secret")


def test_session_cookie_is_httponly_samesite_and_expires(client, make_user, password, settings):
    make_user(email="ann@example.com")
    response = client.post(reverse("login"), {"username": "ann@example.com", "password": password})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE and settings.SESSION_COOKIE_AGE <= 12 * 3600
    assert client.session.get_expire_at_browser_close()


def test_security_headers(client):
    response = client.get(reverse("login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_post_without_csrf_token_is_refused(make_user, password):
    make_user(email="ann@example.com", roles=[Role.LD_ADMIN])
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "ann@example.com", "password": password})
    assert response.status_code == 403
    assert "This form has expired or did not come from Tandem" in response.text
    page = client.get(reverse("login"))
    token = page.cookies["csrftoken"].value
    response = client.post(
        reverse("login"), {"username": "ann@example.com", "password": password, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert client.post(reverse("logout")).status_code == 403  # logged-in POSTs need the token too
    assert client.post(reverse("users"), {"email": "x@example.com"}).status_code == 403


def _open_views(resolver=None, namespace=None):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _open_views(pattern, pattern.namespace or namespace)
        elif getattr(pattern.callback, "login_required", True) is False:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_only_health_login_and_password_reset_are_open():
    opened = set(_open_views())
    pages = {name for name in opened if not name.startswith("api:")}
    assert pages == {
        "health",
        "login",
        "admin:login",  # redirects anonymous users to our (rate-limited) login page
        "password_reset",
        "password_reset_done",
        "password_reset_confirm",
        "password_reset_complete",
        # Survey links: the personal token in the link is the key (people answer from a phone, no log-in).
        "survey_answer",
        # The xAPI LRS is a machine API with its own HTTP Basic credentials (401 without them);
        # /xapi/about is public by the xAPI spec.
        "xapi-statements",
        "xapi-about",
        "xapi-activities-state",
        "xapi-activities-profile",
        "xapi-activities",
        "xapi-agents-profile",
        "xapi-agents",
    }
    # The API checks the session itself and answers 401 (see the access matrix).


def test_anonymous_pages_redirect_to_login(client):
    for url in ("/", "/system/", "/audit/", "/users/", "/people/", "/api/docs"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url
    # The admin's own login page hands over to ours, so the lockout applies there too.
    chain = client.get("/admin/", follow=True).redirect_chain
    assert chain[-1][0] == reverse("login") + "?next=/admin/"
    assert client.get(reverse("health")).json()["status"] == "ok"


def test_system_page_shows_security_facts_but_no_secrets(client, make_user, settings):
    settings.EMAIL_HOST_PASSWORD = "smtp-secret-value"
    reviewer = make_user(email="it@example.com", roles=[Role.IT_REVIEWER])
    make_user(roles=[Role.LEARNER])
    security_event_record(event="login_failed", email="mallory@example.com", ip_address="203.0.113.9")
    client.force_login(reviewer)
    response = client.get(reverse("system"))
    assert response.status_code == 200
    text = response.text
    for expected in (
        "Password hasher",
        "md5",
        "Session cookie HttpOnly",
        "SameSite",
        "Failed attempts before lockout",
        "username + ip_address",
        "HSTS",
        "Email transport",
        "Background worker",
        "Database engine",
        "sqlite" if "sqlite" in settings.DATABASES["default"]["ENGINE"] else "postgresql",
        "mallory@example.com",
        "203.0.113.9",
        "Login failed",
        "IT reviewer",
    ):
        assert expected in text, expected
    assert settings.SECRET_KEY not in text
    assert "smtp-secret-value" not in text


def test_system_page_is_for_it_reviewers_and_ld_admins(client, make_user):
    for roles, status in (
        ([Role.IT_REVIEWER], 200),
        ([Role.LD_ADMIN], 200),
        ([Role.LD_TEAM], 403),
        ([], 403),
    ):
        client.force_login(make_user(roles=roles))
        assert client.get(reverse("system")).status_code == status, roles


# --- Content-Security-Policy -------------------------------------------------------------------------

TEMPLATE_ROOT = Path(__file__).resolve().parents[2] / "tandem"
# Not served as pages, so they carry no policy of their own: emails (mail clients need inline styles) and the
# standalone HTML exports, which are downloads (Content-Disposition: attachment) opened from disk and must
# not depend on Tandem's static files.
INLINE_ALLOWED = {
    "surveys/templates/surveys/email/invitation.html",
    "web/templates/web/reports/_export_style.html",
}
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script> (put it in a static .js file)"),
    (re.compile(r"<style\b", re.I), "a <style> block (put it in a static .css file)"),
    (re.compile(r"\sstyle\s*=", re.I), "a style= attribute (use a class in tandem.css)"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on...= event handler (use a static .js file)"),
    (re.compile(r"\shx-on[:-]", re.I), "an hx-on attribute (evaluated as code: use a static .js file)"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_no_template_has_inline_script_or_style():
    problems = []
    for template in sorted(TEMPLATE_ROOT.glob("*/templates/**/*.html")):
        name = template.relative_to(TEMPLATE_ROOT).as_posix()
        if name in INLINE_ALLOWED:
            continue
        text = template.read_text()
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{name}:{line}: {what}")
    assert problems == [], "The Content-Security-Policy would block:\n" + "\n".join(problems)


def test_the_guard_finds_what_the_policy_blocks():
    samples = [
        "<script>alert(1)</script>",
        "<style>p{}</style>",
        '<p style="color:red">',
        '<a onclick="x()">',
        '<div hx-on:click="x()">',
        '<a href="javascript:x()">',
    ]
    for sample in samples:
        assert any(pattern.search(sample) for pattern, _ in INLINE), sample
    assert not any(pattern.search('<script src="/static/x.js" defer></script>') for pattern, _ in INLINE)


@pytest.mark.parametrize("url", ["/login/", "/health/", "/api/people", "/static/web/tandem.css", "/nowhere/"])
def test_every_response_carries_the_policy(client, url):
    response = client.get(url)
    policy = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split("; ")}
    assert directives["default-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"] and directives["object-src"] == ["'none'"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    # Scripts and styles fall back to default-src: nothing but Tandem's own files.
    assert "script-src" not in directives and "style-src" not in directives


def test_the_500_page_carries_the_policy_and_a_view_may_set_its_own(rf):
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse

    from tandem.web.security import ContentSecurityPolicyMiddleware
    from tandem.web.views.errors import server_error

    request = rf.get("/")
    request.user = AnonymousUser()
    response = ContentSecurityPolicyMiddleware(server_error)(request)
    assert response.status_code == 500 and "Something went wrong" in response.text
    assert "style=" not in response.text
    assert response["Content-Security-Policy"].startswith("default-src 'self'")

    def own(request):
        response = HttpResponse("x")
        response["Content-Security-Policy"] = "sandbox"
        return response

    assert ContentSecurityPolicyMiddleware(own)(rf.get("/"))["Content-Security-Policy"] == "sandbox"


def test_base_template_keeps_htmx_off_inline_styles_and_eval(client):
    text = client.get(reverse("login")).text
    assert '"includeIndicatorStyles": false' in text and '"allowEval": false' in text


# --- check --deploy ----------------------------------------------------------------------------------


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": "postgres://tandem@db.invalid/tandem",
        "TANDEM_SECRET_KEY": secrets.token_urlsafe(50),
        "TANDEM_ALLOWED_HOSTS": "tandem.example.com",
        "TANDEM_DATA_DIR": str(tmp_path),
    }
    for name in ("TANDEM_HTTPS", "TANDEM_SSL_REDIRECT", "TANDEM_HSTS_SECONDS", "TANDEM_DEBUG"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-m", "tandem.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_redirects_to_https_but_not_the_health_check(monkeypatch):
    module = settings_module("production", monkeypatch)
    assert module["SECURE_SSL_REDIRECT"] is True
    assert any(re.match(pattern, "health/") for pattern in module["SECURE_REDIRECT_EXEMPT"])
    assert module["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
