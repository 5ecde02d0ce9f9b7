"""Sign in with GitHub as people do it: the dark GitHub button, GitHub's consent page, the account row."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from social_django.models import UserSocialAuth

from accounts.models import User
from providers.github.sandbox import services as github
from sandbox.models import SandboxToken
from tests.browser.flows import sign_in

pytestmark = pytest.mark.browser


def test_three_buttons_and_github_s_is_dark_with_white_text(sandbox, page, screenshot):
    page.goto(f"{sandbox}/")

    for label in ("Facebook", "Google", "GitHub"):
        expect(page.get_by_role("button", name=f"Continue with {label}", exact=True)).to_be_visible()
    button = page.get_by_role("button", name="Continue with GitHub", exact=True)
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(36, 41, 47)"  # #24292f
    assert button.evaluate("b => getComputedStyle(b).color") == "rgb(255, 255, 255)"
    screenshot(page, "home-three-buttons")


def test_sign_in_with_github_by_clicking_through_the_consent_page(sandbox, ada, page, screenshot):
    page.goto(f"{sandbox}/")
    page.get_by_role("button", name="Continue with GitHub", exact=True).click()
    expect(page.get_by_role("button", name=f"Continue as {ada.name}")).to_be_visible()
    expect(page.get_by_text("read:user")).to_be_visible()
    screenshot(page, "consent-github")

    page.get_by_role("button", name=f"Continue as {ada.name}").click()

    expect(page.get_by_role("heading", name=f"Hello, {ada.name}")).to_be_visible()
    link = UserSocialAuth.objects.get()
    assert User.objects.count() == 1 and link.provider == "github" and link.uid == str(github.github_id(ada))


def test_cancel_at_github_shows_the_error_page_with_try_again(sandbox, page):
    page.goto(f"{sandbox}/")
    page.get_by_role("button", name="Continue with GitHub", exact=True).click()
    page.get_by_role("button", name="Cancel").click()

    expect(page.get_by_role("heading", name="Sign-in cancelled")).to_be_visible()
    expect(page.get_by_text("You cancelled at GitHub")).to_be_visible()
    assert User.objects.count() == 0


def test_link_github_then_disconnect_it_revokes_at_github(sandbox, ada, page, screenshot):
    sign_in(page, sandbox, "google", ada.name)
    page.goto(f"{sandbox}/account/")
    page.get_by_role("button", name="Connect GitHub").click()
    page.get_by_role("button", name=f"Continue as {ada.name}").click()
    expect(page.locator("#link-github")).to_contain_text("Active")
    screenshot(page, "account-github")
    # What GitHub handed over, read on GitHub's side (in sealed mode this process cannot open it).
    issued = SandboxToken.objects.filter(provider="github", person=ada)
    assert issued.filter(revoked_at__isnull=True).exists()

    page.locator("#link-github").get_by_role("button", name="Disconnect").click()

    expect(page.get_by_text("GitHub is disconnected")).to_be_visible()
    expect(page.locator("#link-github")).to_contain_text("Not linked")
    assert not issued.filter(revoked_at__isnull=True).exists()
