"""Sign-in against a provider as strict as the real ones: PKCE required, exact redirect URIs,
and the provider on another origin than the app (real HTTP through the live servers)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from social_django.models import UserSocialAuth

from accounts.models import User
from sandbox import switches
from sandbox.endpoints import redirect_uris
from sandbox.models import SandboxAuthCode


@pytest.fixture
def pkce_required(sandbox):
    switches.turn_on("google", "require_pkce")
    yield
    switches.turn_off("google", "require_pkce")


def test_google_sign_in_works_with_pkce_required(browser, ada, pkce_required):
    # socialsite's Google backend sends an S256 challenge and its verifier (RFC 7636).
    page = browser.login("google", ada)

    assert f"Hello, {ada.name}" in page.text
    assert UserSocialAuth.objects.get().uid == ada.google_sub
    assert SandboxAuthCode.objects.get().code_challenge_method == "S256"


def test_the_consent_page_is_on_the_providers_own_origin(browser, ada, sandbox_server):
    consent = browser.start_login("google")

    assert urlsplit(consent.url).netloc == urlsplit(sandbox_server.url).netloc
    assert urlsplit(consent.url).hostname != urlsplit(browser.base).hostname


@pytest.mark.parametrize("provider", ["facebook", "google"])
def test_an_app_whose_callback_is_not_registered_never_gets_a_code(browser, ada, settings, provider):
    # The operator registered the production site only; this site's callback is not on the list.
    settings.SANDBOX_REDIRECT_URIS = redirect_uris("https://socialsite.example")

    page = browser.start_login(provider)

    assert page.status_code == 400
    assert ("redirect_uri_mismatch" if provider == "google" else "URL blocked") in page.text
    assert "Continue as" not in page.text
    assert not SandboxAuthCode.objects.exists()
    assert User.objects.count() == 0
