"""Log in, log out, lockout, password change and password reset through a real SMTP server."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from tandem.accounts.models import Role
from tandem.accounts.services import user_active_set
from tandem.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def security_events():
    return list(
        AuditEvent.objects.filter(action="security")
        .order_by("id")
        .values_list("changes__event", "entity_label")
    )


def without_csrf_tokens(html):
    return re.sub(r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', r"\1", html)


def test_login_with_email_and_password_then_logout(client, make_user, password):
    make_user(email="ann@example.com", roles=[Role.LD_TEAM])
    response = client.post(reverse("login"), {"username": "ann@example.com", "password": password})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200

    assert client.get(reverse("logout")).status_code == 405  # logging out is a POST (CSRF-protected)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.get(reverse("home")).status_code == 302
    assert security_events() == [("login", "ann@example.com"), ("logout", "ann@example.com")]


def test_login_page_sends_signed_in_users_home(client, make_user):
    client.force_login(make_user(roles=[Role.LEARNER]))
    assert client.get(reverse("login"))["Location"] == reverse("home")


def test_wrong_password_shows_one_message_for_unknown_and_known_accounts(client, make_user):
    make_user(email="ann@example.com")
    for email in ("ann@example.com", "nobody@example.com"):
        response = client.post(reverse("login"), {"username": email, "password": "wrong-password-1"})
        assert response.status_code == 200
        assert b"Your email address and password did not match" in response.content
    assert [event for event, _ in security_events()] == ["login_failed", "login_failed"]


def test_login_redirects_to_next(client, make_user, password):
    make_user(email="ann@example.com", roles=[Role.LD_ADMIN])
    response = client.post(
        reverse("login") + "?next=/audit/",
        {"username": "ann@example.com", "password": password, "next": "/audit/"},
    )
    assert response["Location"] == "/audit/"


def test_lockout_after_the_failure_limit(client, make_user, password):
    make_user(email="ann@example.com")
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        response = client.post(
            reverse("login"), {"username": "ann@example.com", "password": "nope-nope-nope"}
        )
        assert response.status_code == 200
    response = client.post(reverse("login"), {"username": "ann@example.com", "password": "nope-nope-nope"})
    assert response.status_code == 429
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    assert "Too many attempts" in response.text
    assert f"Try again in {minutes} minutes" in response.text

    # Even the right password is refused while locked out.
    response = client.post(reverse("login"), {"username": "ann@example.com", "password": password})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert ("locked_out", "ann@example.com") in security_events()


def test_lockout_is_per_account_and_address(client, make_user, password):
    make_user(email="ann@example.com")
    make_user(email="bob@example.com")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "ann@example.com", "password": "nope-nope-nope"})
    response = client.post(reverse("login"), {"username": "bob@example.com", "password": password})
    assert response.status_code == 302


def test_password_change(client, make_user, password):
    user = make_user(email="ann@example.com", roles=[Role.LEARNER])
    client.force_login(user)
    page = client.get(reverse("password_change"))
    assert page.status_code == 200 and b"Change your password" in page.content
    weak = client.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert weak.status_code == 200 and b"too short" in weak.content
    response = client.post(
        reverse("password_change"),
        {
            "old_password": password,
            "new_password1": "a-much-better-one",
            "new_password2": "a-much-better-one",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    user.refresh_from_db()
    assert user.check_password("a-much-better-one")
    assert client.get(reverse("home")).status_code == 200  # still logged in (session hash updated)
    assert ("password_changed", "ann@example.com") in security_events()


def test_password_reset_end_to_end_over_smtp(client, make_user, smtp_server):
    make_user(email="ann@example.com", roles=[Role.LEARNER])
    response = client.post(reverse("password_reset"), {"email": "Ann@Example.com"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "ann@example.com"
    assert message["Subject"] == "Set a new Tandem password"
    body = message.get_payload(decode=True).decode()
    link = re.search(r"http://testserver(/password/reset/\S+/)", body).group(1)

    form = client.get(link, follow=True)
    assert form.status_code == 200 and b"Set a new password" in form.content
    set_url = form.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": "brand-new-secret-9", "new_password2": "brand-new-secret-9"}
    )
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")

    assert client.get(link, follow=True).content.count(b"This link no longer works") == 1  # works once
    response = client.post(
        reverse("login"), {"username": "ann@example.com", "password": "brand-new-secret-9"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")
    events = [event for event, _ in security_events()]
    assert events == ["password_reset_requested", "password_reset_completed", "login"]


def test_password_reset_does_not_reveal_whether_an_account_exists(client, make_user, smtp_server):
    make_user(email="ann@example.com")
    known = client.post(reverse("password_reset"), {"email": "ann@example.com"}, follow=True)
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)
    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain
    assert without_csrf_tokens(known.text) == without_csrf_tokens(unknown.text)
    assert [m["To"] for m in smtp_server.messages] == ["ann@example.com"]


def test_password_reset_skips_deactivated_accounts(client, make_user, smtp_server):
    user = make_user(email="gone@example.com")
    user.is_active = False
    user.save()
    client.post(reverse("password_reset"), {"email": "gone@example.com"})
    assert smtp_server.messages == []


def test_deactivating_an_account_ends_its_open_session(client, make_user):
    admin = make_user(roles=[Role.LD_ADMIN])
    user = make_user(roles=[Role.LD_TEAM])
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 200
    user_active_set(actor_id=admin.pk, user_id=user.pk, active=False)
    assert client.get(reverse("home")).status_code == 302


def test_login_by_email_ignores_case_and_spaces(client, make_user, password):
    make_user(email="ann@example.com")
    response = client.post(reverse("login"), {"username": " Ann@Example.COM ", "password": password})
    assert response.status_code == 302 and client.session["_auth_user_id"]


def test_changing_the_case_of_the_address_buys_no_extra_attempts(client, make_user, password):
    make_user(email="ann@example.com")
    spellings = [
        "ann@example.com",
        "ANN@example.com",
        "Ann@Example.com",
        "aNN@EXAMPLE.COM",
        "ann@EXAMPLE.com",
    ]
    for index in range(settings.AXES_FAILURE_LIMIT):
        spelling = spellings[index % len(spellings)]
        client.post(reverse("login"), {"username": spelling, "password": "nope-nope-nope"})
    response = client.post(reverse("login"), {"username": "ANN@EXAMPLE.COM", "password": password})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_password_reset_is_throttled_per_address_without_revealing_accounts(client, make_user, settings):
    from django.core import mail
    from django.core.cache import cache

    cache.clear()
    make_user(email="ann@example.com")
    limit = settings.TANDEM_PASSWORD_RESET_PER_EMAIL
    for _ in range(limit):
        assert client.post(reverse("password_reset"), {"email": "Ann@example.com"}).status_code == 302
    assert len(mail.outbox) == limit
    for address in ("ann@example.com", "nobody@example.com"):
        for _ in range(limit if address.startswith("nobody") else 0):
            client.post(reverse("password_reset"), {"email": address})
    throttled = [
        client.post(reverse("password_reset"), {"email": a})
        for a in ("ANN@example.com", "nobody@example.com")
    ]
    # The same answer whether or not the address has an account: a clear message, no email.
    assert [r.status_code for r in throttled] == [429, 429]
    assert all("Too many reset requests" in r.text for r in throttled)
    assert len(mail.outbox) == limit
    assert ("password_reset_throttled", "ann@example.com") in security_events()


def test_password_reset_is_throttled_per_client(client, settings):
    from django.core.cache import cache

    cache.clear()
    settings.TANDEM_PASSWORD_RESET_PER_CLIENT = 4
    answers = [
        client.post(reverse("password_reset"), {"email": f"p{i}@example.com"}).status_code for i in range(6)
    ]
    assert answers == [302, 302, 302, 302, 429, 429]
