"""The friends page in a real browser: friends and contacts with their "On socialsite" badges."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.flows import connect, sign_in

pytestmark = pytest.mark.browser


def test_friends_page_shows_who_is_on_socialsite(sandbox, ada, grace, browser: Browser, page, screenshot):
    # Grace signs in with Facebook and Google in her own browser: she is "on socialsite".
    # On her friends page she is asked once whether her email may find her, and says yes.
    grace_context = browser.new_context()
    grace_context.set_default_timeout(10_000)
    grace_page = grace_context.new_page()
    sign_in(grace_page, sandbox, "google", grace.name)
    connect(grace_page, sandbox, "facebook", grace.name)
    grace_page.get_by_role("link", name="Friends").first.click()
    question = grace_page.locator("#findable-question")
    expect(question).to_contain_text("Let people who have your email address in their contacts see")
    screenshot(grace_page, "friends-findable-question")
    question.get_by_role("button", name="Yes").click()
    expect(grace_page.locator("#findable-question")).to_have_count(0)
    grace_context.close()

    sign_in(page, sandbox, "facebook", ada.name)
    connect(page, sandbox, "google", ada.name)
    page.get_by_role("link", name="Friends").first.click()

    screenshot(page, "friends")
    # Facebook lists Grace (she uses the app) among all of Ada's friends; Google lists
    # Grace's address among Ada's contacts. Both carry the badge.
    expect(page.get_by_text(re.compile(r"1 of your \d+ friends is here"))).to_be_visible()
    grace_rows = page.locator("li").filter(has_text=grace.name)
    expect(grace_rows).to_have_count(2)
    expect(grace_rows.get_by_text("On socialsite")).to_have_count(2)
