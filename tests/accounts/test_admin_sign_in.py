"""Operators get into /admin/ the Django way: createsuperuser, then the admin's password form.

Over real HTTP against the live server: sign-in, staff only, lockout after failures, and the
permissions behind "Revoke and unlink".
"""

from __future__ import annotations

import re

import pytest
import requests
from django.contrib.auth.models import Permission
from django.core.management import call_command
from social_django.models import UserSocialAuth

from accounts.models import ProviderGrant, User
from tests.factories import LinkFactory, UserFactory, make_grant
from tests.login_fixtures import Browser, csrf_token

PASSWORD = "correct horse battery staple 42"
CHANGELIST = "/admin/accounts/providergrant/"


def admin_sign_in(browser: Browser, username: str, password: str, **headers: str) -> requests.Response:
    form = browser.get("/admin/login/?next=/admin/")
    return browser.session.post(
        form.url,
        data={
            "csrfmiddlewaretoken": csrf_token(form.text),
            "username": username,
            "password": password,
            "next": "/admin/",
        },
        headers={"Referer": form.url, **headers},
        timeout=30,
    )


@pytest.fixture
def superuser(sandbox, monkeypatch) -> User:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("createsuperuser", interactive=False, username="operator", email="ops@example.com")
    return User.objects.get(username="operator")


def test_createsuperuser_then_sign_in_at_admin_reaches_the_admin_index(browser, superuser):
    page = admin_sign_in(browser, "operator", PASSWORD)

    assert page.status_code == 200
    assert page.url.endswith("/admin/")
    assert "Site administration" in page.text
    assert browser.user() == superuser


def test_a_person_with_a_password_but_not_staff_cannot_sign_in(browser, sandbox):
    person = UserFactory(username="someone")
    person.set_password(PASSWORD)
    person.save()

    page = admin_sign_in(browser, "someone", PASSWORD)

    assert page.status_code == 200 and "/admin/login/" in page.url
    assert "Please enter the correct username and password" in page.text
    assert browser.user() is None


def test_repeated_wrong_passwords_lock_the_address_out_even_with_the_right_one(browser, superuser, settings):
    settings.ADMIN_LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        assert "Please enter the correct username" in admin_sign_in(browser, "operator", "guess").text

    page = admin_sign_in(browser, "operator", PASSWORD)

    assert page.status_code == 429
    assert "Too many failed sign-ins" in page.text and ">Try again</a>" in page.text
    assert browser.user() is None


def test_a_username_is_locked_whatever_the_address(new_browser, superuser, settings):
    settings.ADMIN_LOGIN_FAILURE_LIMIT = 3
    settings.TRUSTED_PROXY_COUNT = 1  # so each attempt below comes from another client address
    for index in range(3):
        admin_sign_in(new_browser(), "operator", "guess", **{"X-Forwarded-For": f"203.0.113.{index}"})

    browser = new_browser()
    page = admin_sign_in(browser, "operator", PASSWORD, **{"X-Forwarded-For": "198.51.100.1"})

    assert page.status_code == 429
    assert browser.user() is None


# --- "Revoke and unlink" needs delete permission on the links too --------------------------------


def staff_with(*codenames: str) -> User:
    staff = UserFactory(username="support", is_staff=True)
    staff.set_password(PASSWORD)
    staff.save()
    staff.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return staff


def action_names(html: str) -> set[str]:
    select = html.split('name="action"')[1].split("</select>")[0]
    return set(re.findall(r'<option value="([a-z_]+)"', select))


@pytest.fixture
def grant(sandbox) -> ProviderGrant:
    return make_grant(link=LinkFactory(provider="google", uid="110000000000000000009"), scopes=["openid"])


def test_staff_who_may_delete_grants_but_not_links_cannot_revoke_and_unlink(browser, grant):
    staff_with("view_providergrant", "change_providergrant", "delete_providergrant")
    admin_sign_in(browser, "support", PASSWORD)

    changelist = browser.get(CHANGELIST)
    assert changelist.status_code == 200
    assert "revoke_and_unlink" not in action_names(changelist.text)
    assert "refresh_now" in action_names(changelist.text)

    # Posting the action anyway changes nothing.
    browser.session.post(
        browser.base + CHANGELIST,
        data={
            "csrfmiddlewaretoken": csrf_token(changelist.text),
            "action": "revoke_and_unlink",
            "_selected_action": [grant.pk],
        },
        headers={"Referer": changelist.url},
        timeout=30,
    )
    assert ProviderGrant.objects.filter(pk=grant.pk).exists()
    assert UserSocialAuth.objects.filter(provider="google", uid=grant.uid).exists()


def test_staff_who_may_delete_grants_and_links_can_revoke_and_unlink(browser, grant):
    staff_with("view_providergrant", "delete_providergrant", "delete_usersocialauth")
    admin_sign_in(browser, "support", PASSWORD)

    changelist = browser.get(CHANGELIST)
    assert "revoke_and_unlink" in action_names(changelist.text)
    page = browser.session.post(
        browser.base + CHANGELIST,
        data={
            "csrfmiddlewaretoken": csrf_token(changelist.text),
            "action": "revoke_and_unlink",
            "_selected_action": [grant.pk],
        },
        headers={"Referer": changelist.url},
        timeout=30,
    )
    assert "Revoked and unlinked 1 account(s)." in page.text
    assert not ProviderGrant.objects.filter(pk=grant.pk).exists()
    assert not UserSocialAuth.objects.filter(provider="google", uid=grant.uid).exists()
