"""Sign-in as people do it: clicking through the sandbox consent pages in Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from social_django.models import UserSocialAuth

from accounts.models import ProviderGrant, User
from tests.browser.flows import sign_in
from tests.worker_keys import access_token_as_worker

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("provider", ["facebook", "google"])
def test_sign_in_by_clicking_through_the_consent_page(sandbox, ada, page, screenshot, provider):
    page.goto(f"{sandbox}/")
    page.get_by_role("button", name=f"Continue with {provider.title()}").click()
    expect(page.get_by_role("button", name=f"Continue as {ada.name}")).to_be_visible()
    screenshot(page, f"consent-{provider}")

    page.get_by_role("button", name=f"Continue as {ada.name}").click()

    expect(page.get_by_role("heading", name=f"Hello, {ada.name}")).to_be_visible()
    expect(page).to_have_url(f"{sandbox}/")  # Facebook's #_=_ tidied away
    screenshot(page, f"home-signed-in-{provider}")
    assert User.objects.count() == 1 and UserSocialAuth.objects.get().provider == provider


def test_cancel_at_the_consent_page_shows_the_error_page_with_try_again(sandbox, page, screenshot):
    page.goto(f"{sandbox}/")
    page.get_by_role("button", name="Continue with Google").click()
    page.get_by_role("button", name="Cancel").click()

    expect(page.get_by_role("heading", name="Sign-in cancelled")).to_be_visible()
    screenshot(page, "error-cancelled")
    assert User.objects.count() == 0

    page.get_by_role("button", name="Try again").click()
    expect(page.get_by_role("button", name=re.compile(r"^Continue as "))).not_to_have_count(0)


def test_sign_out_clear_cookies_and_come_back_to_the_same_account(sandbox, ada, page):
    sign_in(page, sandbox, "facebook", ada.name)
    first_user = User.objects.get()
    first_token = access_token_as_worker(ProviderGrant.objects.get())

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Continue with Facebook")).to_be_visible()
    page.context.clear_cookies()
    sign_in(page, sandbox, "facebook", ada.name)

    assert list(User.objects.all()) == [first_user]
    assert access_token_as_worker(ProviderGrant.objects.get()) != first_token


def test_link_google_then_disconnect_it_from_the_connections_page(sandbox, ada, page, screenshot):
    sign_in(page, sandbox, "facebook", ada.name)
    page.get_by_role("link", name="Account", exact=True).click()
    page.get_by_role("button", name="Connect Google").click()
    page.get_by_role("button", name=f"Continue as {ada.name}").click()
    expect(page.locator("#link-google")).to_contain_text("Active")
    screenshot(page, "account-two-providers")

    page.locator("#link-google").get_by_role("button", name="Disconnect").click()

    expect(page.get_by_text("Google is disconnected")).to_be_visible()
    expect(page.locator("#link-google")).to_contain_text("Not linked")
    screenshot(page, "account-after-disconnect")
    assert list(UserSocialAuth.objects.values_list("provider", flat=True)) == ["facebook"]


def test_sandbox_index_is_a_page_a_newcomer_can_read(sandbox, page, screenshot):
    page.goto(f"{sandbox}/sandbox/")
    expect(page.get_by_text("Ada Lovelace").first).to_be_visible()
    screenshot(page, "sandbox-index")


def test_the_return_from_the_provider_is_cross_site_as_in_production(
    sandbox, sandbox_server, ada, page, settings
):
    # The sandbox has an origin (and site) of its own, as facebook.com has: so the browser
    # applies SameSite rules to the return to /complete/. Lax (the setting) rides along on
    # that top-level GET; Strict would not, and the sign-in could not find its state.
    settings.SESSION_COOKIE_SAMESITE = "Strict"
    page.goto(f"{sandbox}/")
    page.get_by_role("button", name="Continue with Google").click()
    expect(page).to_have_url(re.compile("^" + re.escape(sandbox_server.url + "/sandbox/google/")))

    page.get_by_role("button", name=f"Continue as {ada.name}").click()

    expect(page.get_by_role("heading", name="This sign-in link has expired")).to_be_visible()
    assert User.objects.count() == 0
