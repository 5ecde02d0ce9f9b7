"""OpenID Connect strictness, over real HTTP against the sandbox (issue 8, item 5).

Each rule comes from the spec or the provider's page, not from our sandbox:
- discovery's ``issuer`` is ``GOOGLE_OIDC_ISSUER`` exactly (OpenID Connect Discovery 1.0 §4.3,
  https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfigurationValidation);
- an id_token in a refresh answer keeps ``iss``, ``sub`` and ``aud`` and is validated like the
  sign-in's (OpenID Connect Core 1.0 §12.2,
  https://openid.net/specs/openid-connect-core-1_0.html#RefreshTokenResponse);
- UserInfo always carries ``sub``, equal to the id_token's (Core §5.3.2,
  https://openid.net/specs/openid-connect-core-1_0.html#UserInfoResponse);
- the callback's ``iss`` is the issuer, and is required where discovery promises it
  (RFC 9207 §2.4, https://www.rfc-editor.org/rfc/rfc9207.html#section-2.4; Google lists the
  flag at https://developers.google.com/identity/openid-connect/reference#discovery-document);
- ``email_verified`` is a JSON boolean (Core §5.1,
  https://openid.net/specs/openid-connect-core-1_0.html#StandardClaims);
- Meta promises nothing about a Facebook email's confirmation
  (https://developers.facebook.com/documentation/facebook-login/guides/permissions/review).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.utils import timezone
from social_django.models import UserSocialAuth

from accounts import tokens
from accounts.exceptions import NoUsableToken
from accounts.models import GrantStatus, ProviderGrant, User
from sandbox import faults
from sandbox import services as sandbox_services
from sandbox.models import SandboxPerson, SandboxToken, TokenKind
from tests.friends.test_end_to_end import friends_page, listed, say_yes_to_being_found_by_email


def rows() -> tuple[int, int, int]:
    return User.objects.count(), UserSocialAuth.objects.count(), ProviderGrant.objects.count()


def callback_with(url: str, **changes: str | None) -> str:
    """The callback URL with query parameters replaced (a value) or removed (``None``)."""
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


def assert_refused(page, status: int, title: str) -> None:
    assert page.status_code == status, page.text[:500]
    assert title in page.text
    assert "Try again" in page.text
    assert "Traceback" not in page.text and "sbx-" not in page.text
    assert rows() == (0, 0, 0)


# --- Discovery ---------------------------------------------------------------------------


def test_discovery_naming_another_issuer_stops_sign_in_with_a_page_and_a_log_line(browser, caplog):
    caplog.set_level(logging.ERROR, logger="accounts")
    faults.arm("google", "discovery", "discovery_wrong_issuer")

    page = browser.start_login("google")  # never sent on to a provider it cannot trust

    assert_refused(page, 503, "Sign-in with Google is unavailable right now")
    assert browser.user() is None
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(
        "GOOGLE_OIDC_ISSUER" in line and f"{settings.GOOGLE_OIDC_ISSUER}/" in line for line in logged
    ), logged


def test_the_refused_discovery_is_not_kept(browser, ada):
    faults.arm("google", "discovery", "discovery_wrong_issuer")
    assert browser.start_login("google").status_code == 503

    page = browser.login("google", ada)  # the provider is fixed: the next sign-in works

    assert f"Hello, {ada.name}" in page.text
    assert rows() == (1, 1, 1)


# --- Refresh answers with an id_token ------------------------------------------------------

REFRESH_ID_TOKEN_FAULTS = [
    "id_token_other_sub",
    "id_token_wrong_aud",
    "id_token_wrong_iss",
    "id_token_bad_signature",
    "id_token_alg_none",
    "id_token_expired",
]


def test_a_refresh_answer_with_a_valid_id_token_is_stored(browser, ada):
    browser.login("google", ada)
    ProviderGrant.objects.update(expires_at=timezone.now() + timedelta(seconds=30))
    grant = ProviderGrant.objects.get()

    token = tokens.access_token_for(grant)

    issued = SandboxToken.objects.get(value=token)
    assert issued.kind == TokenKind.ACCESS and issued.person == ada
    assert ProviderGrant.objects.get().status == GrantStatus.ACTIVE


def test_a_refreshed_id_token_signed_with_a_rotated_key_is_accepted(browser, ada):
    browser.login("google", ada)
    ProviderGrant.objects.update(expires_at=timezone.now() + timedelta(seconds=30))
    tokens.access_token_for(ProviderGrant.objects.get())  # our JWKS copy now holds the old key
    sandbox_services.signing_key_rotate()
    ProviderGrant.objects.update(expires_at=timezone.now() + timedelta(seconds=30))

    tokens.access_token_for(ProviderGrant.objects.get())  # a kid we have not seen: fetched again

    grant = ProviderGrant.objects.get()
    assert grant.status == GrantStatus.ACTIVE and grant.expires_in() > 3000


@pytest.mark.parametrize("mode", REFRESH_ID_TOKEN_FAULTS)
def test_a_refresh_answer_whose_id_token_fails_means_reconnect_and_nothing_stored(browser, ada, mode):
    browser.login("google", ada)
    ProviderGrant.objects.update(expires_at=timezone.now() + timedelta(seconds=30))
    grant = ProviderGrant.objects.get()
    before = set(SandboxToken.objects.filter(kind=TokenKind.ACCESS).values_list("value", flat=True))
    faults.arm("google", "token", mode)

    with pytest.raises(NoUsableToken):
        tokens.access_token_for(grant)

    grant = ProviderGrant.objects.get()
    assert grant.status == GrantStatus.NEEDS_RECONNECT
    assert grant.access_token_ciphertext == "" and grant.refresh_token_ciphertext == ""
    answered = SandboxToken.objects.filter(kind=TokenKind.ACCESS).exclude(value__in=before)
    assert answered.count() == 1  # the provider did answer; its token was not kept
    account = browser.get("/account/")
    assert "Reconnect" in account.text


# --- UserInfo ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["userinfo_no_sub", "userinfo_other_sub"])
def test_userinfo_without_the_id_tokens_sub_is_refused(browser, ada, mode):
    faults.arm("google", "userinfo", mode)

    page = browser.login("google", ada)

    assert_refused(page, 502, "Google sent an answer we cannot use")
    assert browser.user() is None


# --- RFC 9207: iss on the callback -------------------------------------------------------


def consented_callback(browser, person: SandboxPerson) -> str:
    return browser.consent(browser.start_login("google"), person, follow=False).headers["Location"]


def test_the_callback_carries_the_issuer_and_signs_in(browser, ada):
    callback = consented_callback(browser, ada)
    assert parse_qs(urlsplit(callback).query)["iss"] == [settings.GOOGLE_OIDC_ISSUER]

    page = browser.get(callback)

    assert f"Hello, {ada.name}" in page.text
    assert rows() == (1, 1, 1)


def test_a_callback_naming_another_issuer_is_refused(browser, ada):
    callback = consented_callback(browser, ada)

    # A mix-up attack: a response from another authorization server sent to our callback.
    page = browser.get(callback_with(callback, iss="https://accounts.attacker.example"))

    assert_refused(page, 502, "Google sent an answer we cannot use")
    assert browser.user() is None


def test_without_the_discovery_flag_iss_is_not_required(browser, ada):
    callback = consented_callback(browser, ada)

    page = browser.get(callback_with(callback, iss=None))

    assert f"Hello, {ada.name}" in page.text
    assert rows() == (1, 1, 1)


def test_when_discovery_promises_iss_a_callback_without_it_is_refused(browser, ada):
    faults.arm("google", "discovery", "discovery_advertises_iss")
    callback = consented_callback(browser, ada)

    page = browser.get(callback_with(callback, iss=None))

    assert_refused(page, 502, "Google sent an answer we cannot use")
    assert browser.user() is None


def test_when_discovery_promises_iss_a_callback_with_it_signs_in(browser, ada):
    faults.arm("google", "discovery", "discovery_advertises_iss")

    page = browser.login("google", ada)

    assert f"Hello, {ada.name}" in page.text
    assert rows() == (1, 1, 1)


# --- Whose email counts ------------------------------------------------------------------


def test_email_verified_as_a_string_does_not_count(browser, ada):
    faults.arm("google", "userinfo", "userinfo_email_verified_string")

    page = browser.login("google", ada)

    assert f"Hello, {ada.name}" in page.text  # signed in, but without an email
    assert ada.email not in page.text
    assert browser.user().email == ""


def test_a_facebook_email_never_makes_someone_findable(browser, new_browser, ada, grace):
    grace_browser = new_browser()
    grace_browser.login("facebook", grace)
    assert grace_browser.user().email == ""  # Meta does not promise it is verified
    say_yes_to_being_found_by_email(grace_browser)  # her yes cannot make an unverified email count

    browser.login("google", ada)  # Grace's address is among Ada's Google contacts
    assert listed(friends_page(browser), "google")["Grace Hopper"] is False

    account = grace_browser.get("/account/")
    grace_browser.consent(grace_browser.post_form(account, "/login/google/"), grace)  # Google vouches

    assert grace_browser.user().email == grace.email
    assert listed(friends_page(browser), "google")["Grace Hopper"] is True
