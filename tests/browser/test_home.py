"""The home page in a real browser: what a person sees before signing in."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_signed_out_home_offers_both_providers(live_server, page, screenshot):
    page.goto(f"{live_server.url}/")

    expect(page.get_by_role("button", name="Continue with Facebook")).to_be_visible()
    expect(page.get_by_role("button", name="Continue with Google")).to_be_visible()
    screenshot(page, "home-signed-out")
