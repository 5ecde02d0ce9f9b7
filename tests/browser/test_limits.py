"""Limits on abuse as a person meets them in a real browser: the 429 page and Refresh's cooldown."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.flows import sign_in

pytestmark = pytest.mark.browser


def test_too_many_sign_in_starts_show_a_page_with_try_again(sandbox, settings, page, screenshot):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": {"address": "2/d"}}
    for _ in range(2):
        page.goto(f"{sandbox}/")
        page.get_by_role("button", name="Continue with Google").click()
        expect(page.get_by_role("button", name="Cancel")).to_be_visible()

    page.goto(f"{sandbox}/")
    page.get_by_role("button", name="Continue with Google").click()

    expect(page.get_by_role("heading", name="Too many attempts")).to_be_visible()
    screenshot(page, "rate-limited")
    page.get_by_role("link", name="Try again").click()
    expect(page.get_by_role("button", name="Continue with Google")).to_be_visible()


def test_refresh_says_when_it_can_fetch_again(sandbox, ada, page, screenshot):
    sign_in(page, sandbox, "google", ada.name)
    page.get_by_role("link", name="Friends").first.click()
    contacts = page.locator("#friends-google")

    contacts.get_by_role("button", name="Refresh").click()

    expect(contacts).to_contain_text("next refresh possible in")
    expect(contacts.get_by_role("button", name="Refresh")).to_have_count(0)
    screenshot(page, "friends-refresh-cooldown")
