"""After signing out, the Back button must not show the friends list from the browser's cache.

Without ``Cache-Control: no-store`` a browser answers Back from its cache (or its
back/forward cache) without asking the server, so the next person at a shared computer
would see the previous person's friends and contacts.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import CHROMIUM_ARGS, TIMEOUT_MS
from tests.browser.flows import sign_in
from tests.conftest import chromium_path

pytestmark = pytest.mark.browser


@pytest.fixture
def everyday_page(browser: Browser) -> Iterator[Page]:
    """A page in a Chromium as people run it: with its back/forward cache on.

    Playwright switches the back/forward cache off by default (``--disable-back-forward-cache``),
    which would let this test pass against a page that a real browser restores on Back. The
    second Chromium is launched through the suite's Playwright (one per thread is allowed).
    """
    everyday = browser.browser_type.launch(
        executable_path=chromium_path(),
        headless=True,
        args=CHROMIUM_ARGS,
        ignore_default_args=["--disable-back-forward-cache"],
    )
    context = everyday.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    everyday.close()


def test_back_after_sign_out_does_not_show_the_friends_list(sandbox, ada, everyday_page: Page, screenshot):
    page = everyday_page
    sign_in(page, sandbox, "google", ada.name)
    page.goto(f"{sandbox}/friends/")
    expect(page.get_by_role("heading", name="Your friends")).to_be_visible()
    contacts = page.locator("main li")
    expect(contacts.first).to_be_visible()  # the sync at sign-in listed Ada's contacts
    contact_names = [text.strip() for text in contacts.all_inner_texts() if text.strip()]

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Continue with Google")).to_be_visible()
    # "commit", not "load": a page restored from the back/forward cache fires no load event.
    page.go_back(wait_until="commit")

    screenshot(page, "back-after-sign-out")
    # The server was asked again: it sent the signed-out person home, not the cached list.
    expect(page.get_by_role("heading", name="Your friends")).to_have_count(0)
    expect(page.get_by_role("button", name="Continue with Google")).to_be_visible()
    body = page.locator("body").inner_text()
    assert not any(name in body for name in contact_names[:5])
