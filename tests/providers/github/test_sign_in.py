"""Sign in with GitHub end to end, over real HTTP against the sandbox's GitHub."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from social_django.models import UserSocialAuth

from accounts.models import ProviderGrant, User
from providers.github.sandbox import services as github
from sandbox import faults, switches
from sandbox.models import SandboxAuthCode, SandboxPerson, SandboxToken
from tests.accounts.test_login_flows import TOKEN_FAILURES, assert_error_page, rows, with_query


def test_first_login_keys_the_account_on_the_numeric_id_and_stores_a_never_expiring_token(browser, ada):
    page = browser.login("github", ada)

    assert page.status_code == 200
    assert f"Hello, {ada.name}" in page.text
    assert rows() == (1, 1, 1)
    link = UserSocialAuth.objects.get()
    assert link.provider == "github"
    assert link.uid == str(github.github_id(ada))  # the number, never the login
    assert link.uid != github.github_login(ada)
    assert link.user == browser.user()
    grant = ProviderGrant.objects.get()
    assert grant.get_access_token().startswith("sbx-gho_")
    assert grant.expires_at is None and not grant.has_refresh_token
    assert sorted(grant.scopes) == ["read:user", "user:email"]


def test_the_authorize_request_carries_state_and_pkce_s256(browser, ada):
    page = browser.start_login("github")

    query = parse_qs(urlsplit(page.url).query)
    assert query["state"][0]
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["scope"] == ["read:user,user:email"]
    code = SandboxAuthCode.objects.none()
    browser.consent(page, ada)
    code = SandboxAuthCode.objects.get(provider="github")
    assert code.code_challenge and code.used_at is not None


def test_verified_email_counts_and_an_unverified_one_does_not(browser, new_browser):
    verified = SandboxPerson.objects.filter(email_verified=True).order_by("pk").first()
    unverified = SandboxPerson.objects.filter(email_verified=False).order_by("pk").first()
    assert verified and unverified

    browser.login("github", verified)
    other = new_browser()
    other.login("github", unverified)

    assert User.objects.get(social_auth__uid=str(github.github_id(verified))).email == verified.email
    assert User.objects.get(social_auth__uid=str(github.github_id(unverified))).email == ""


def test_coming_back_without_cookies_lands_on_the_same_account_with_the_token_replaced(browser, ada):
    browser.login("github", ada)
    first_user = browser.user()
    first_token = ProviderGrant.objects.get().get_access_token()

    browser.logout()
    browser.clear_cookies()
    page = browser.login("github", ada)

    assert f"Hello, {ada.name}" in page.text
    assert browser.user() == first_user
    assert rows() == (1, 1, 1)
    second_token = ProviderGrant.objects.get().get_access_token()
    assert second_token != first_token
    assert SandboxToken.objects.get(value=second_token).revoked_at is None


def test_github_app_tokens_come_with_an_expiry_and_a_refresh_token(browser, ada):
    switches.turn_on("github", "app_tokens")

    browser.login("github", ada)

    grant = ProviderGrant.objects.get()
    assert grant.get_access_token().startswith("sbx-ghu_")
    assert grant.get_refresh_token().startswith("sbx-ghr_")
    assert 7 * 3600 < grant.expires_in() <= 8 * 3600
    assert grant.scopes == []  # App user tokens have no scopes


def test_cancel_at_the_consent_screen_shows_a_page_and_signs_nobody_in(browser, ada):
    consent = browser.consent(browser.start_login("github"), None, follow=False)
    query = parse_qs(urlsplit(consent.headers["Location"]).query)
    assert query["error"] == ["access_denied"] and query["error_description"] and query["error_uri"]

    page = browser.get(consent.headers["Location"])

    assert_error_page(page, 403, "Sign-in cancelled")
    assert 'action="/login/github/"' in page.text
    assert browser.user() is None
    assert rows() == (0, 0, 0)


def test_tampered_state_is_refused(browser, ada):
    callback = browser.consent(browser.start_login("github"), ada, follow=False).headers["Location"]

    page = browser.get(with_query(callback, state="forged-state-value"))

    assert_error_page(page, 403, "This sign-in link has expired")
    assert rows() == (0, 0, 0)


def test_an_iss_that_is_not_github_s_is_refused_and_a_missing_one_is_fine(browser, new_browser, ada):
    callback = browser.consent(browser.start_login("github"), ada, follow=False).headers["Location"]
    assert parse_qs(urlsplit(callback).query)["iss"][0].endswith("/github/login/oauth")

    page = browser.get(with_query(callback, iss="https://evil.example/login/oauth"))
    assert page.status_code >= 400 and "Try again" in page.text
    assert rows() == (0, 0, 0)

    other = new_browser()
    callback = other.consent(other.start_login("github"), ada, follow=False).headers["Location"]
    parts = urlsplit(callback)
    query = {k: v[0] for k, v in parse_qs(parts.query).items() if k != "iss"}
    page = other.get(with_query(parts._replace(query="").geturl(), **query))
    assert f"Hello, {ada.name}" in page.text


def test_replayed_authorization_code_is_refused(browser, ada):
    first = browser.consent(browser.start_login("github"), ada, follow=False).headers["Location"]
    old_code = parse_qs(urlsplit(first).query)["code"][0]
    browser.get(first)
    browser.logout()

    second = browser.consent(browser.start_login("github"), ada, follow=False).headers["Location"]
    page = browser.get(with_query(second, code=old_code))

    assert page.status_code in (403, 502, 503)
    assert "Try again" in page.text and "sbx-" not in page.text
    assert browser.user() is None


@pytest.mark.parametrize(("mode", "status", "title"), TOKEN_FAILURES, ids=[f[0] for f in TOKEN_FAILURES])
def test_token_endpoint_failure_leaves_nothing_behind(browser, ada, mode, status, title):
    faults.arm("github", "token", mode)

    page = browser.login("github", ada)

    assert page.status_code in (status, 503) if mode == "http_500" else page.status_code == status
    assert title in page.text and "Try again" in page.text
    assert rows() == (0, 0, 0)
    assert browser.user() is None


def test_an_error_sent_as_http_200_by_the_token_endpoint_leaves_nothing_behind(browser, ada):
    faults.arm("github", "token", "error_body")  # {"error": "bad_verification_code"} with 200

    page = browser.login("github", ada)

    assert page.status_code >= 400
    assert "Try again" in page.text and "sbx-" not in page.text
    assert rows() == (0, 0, 0)


def test_wrong_client_secret_is_an_error_as_200_and_leaves_nothing_behind(browser, ada, settings):
    settings.SOCIAL_AUTH_GITHUB_SECRET = "not-the-secret"

    page = browser.login("github", ada)

    assert page.status_code >= 400 and "Try again" in page.text
    assert rows() == (0, 0, 0)


def test_emails_github_will_not_give_mean_signing_in_without_one(browser, ada):
    faults.arm("github", "emails", "http_500")

    page = browser.login("github", ada)

    assert f"Hello, {ada.name}" in page.text
    assert browser.user().email == ""
