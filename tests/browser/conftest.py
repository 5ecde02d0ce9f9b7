"""The browser harness: Playwright (sync API) driving Debian's Chromium.

Playwright's own browser download cannot work here, so Chromium is launched by path
(``CHROMIUM_PATH`` or /usr/bin/chromium); never run ``playwright install``. Tests take the
``page`` fixture (a fresh browser context each), pytest-django's ``live_server``, and the
``screenshot`` helper, and are marked ``@pytest.mark.browser`` (see tests/conftest.py for
when a missing Chromium skips and when it fails).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

# Playwright's sync API keeps an asyncio event loop running in the main thread, and Django
# refuses ORM calls from a thread with a running loop. Test code here is synchronous, so
# this is the documented escape hatch, scoped to the browser tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# --disable-background-networking and friends: this machine has no internet, and without
# them Chromium keeps dialling out (and failing) on its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
TIMEOUT_MS = 10_000  # a page in this app answers in well under a second; fail fast


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A test that drives the browser is a browser test, marker written or not, so the
    # suite's skip/fail rule and `-m "not browser"` apply to it.
    for item in items:
        if {"page", "browser"} & set(getattr(item, "fixturenames", ())):
            item.add_marker("browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    path = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh context: no cookies or storage carried over from another test."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """``screenshot(page, name)`` saves a full-page PNG under artifacts/screenshots/."""

    def take(page: Page, name: str) -> Path:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
