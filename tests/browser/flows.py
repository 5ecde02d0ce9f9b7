"""What a person does in the browser, step by step, shared by the browser tests."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def sign_in(page: Page, base: str, provider: str, person_name: str) -> None:
    """Home → "Continue with …" → "Continue as …" → signed in."""
    page.goto(f"{base}/")
    page.get_by_role("button", name=f"Continue with {provider.title()}").click()
    page.get_by_role("button", name=f"Continue as {person_name}").click()
    expect(page.get_by_role("heading", name=f"Hello, {person_name}")).to_be_visible()


def connect(page: Page, base: str, provider: str, person_name: str) -> None:
    """Signed in: link a second provider from the connections page."""
    page.goto(f"{base}/account/")
    page.get_by_role("button", name=f"Connect {provider.title()}").click()
    page.get_by_role("button", name=f"Continue as {person_name}").click()
    expect(page.locator(f"#link-{provider}")).to_contain_text("Active")
