"""The registry: SOCIALSITE_PROVIDERS picks the providers every page and service works with."""

from __future__ import annotations

import pytest

from accounts.selectors import linked_accounts_for
from friends.selectors import friends_sections_for
from providers import registry
from tests.factories import UserFactory


def buttons(html: str) -> list[str]:
    return [chunk.split('"')[0] for chunk in html.split('action="/login/')[1:]]


@pytest.mark.django_db
def test_home_shows_one_button_per_enabled_provider_in_their_order(client, settings):
    assert buttons(client.get("/").content.decode()) == ["facebook/", "google/", "github/"]

    settings.SOCIALSITE_PROVIDERS = ["google"]
    html = client.get("/").content.decode()

    assert buttons(html) == ["google/"]
    assert "Continue with Google" in html and "Continue with Facebook" not in html
    assert registry.any_provider("google").display.logo_svg in html  # drawn from the package's facts


@pytest.mark.django_db
def test_a_disabled_provider_has_no_row_section_or_refresh(settings):
    settings.SOCIALSITE_PROVIDERS = ["facebook"]
    person = UserFactory()

    assert [account.provider for account in linked_accounts_for(person)] == ["facebook"]
    assert [section.provider for section in friends_sections_for(person)] == ["facebook"]
    assert registry.find("google") is None
    with pytest.raises(registry.UnknownProvider):
        registry.get("google")


def test_every_available_provider_keeps_its_package_promises():
    for name in registry.available_names():
        provider = registry.any_provider(name)
        assert provider.name == name and provider.label
        assert provider.renews_by_sign_in_only == (provider.refresh_ahead is None)
        if provider.friends is not None:
            assert provider.friends.noun and provider.friends.match in ("uid", "email")
        module = registry.settings_module(name)
        assert set(module.CREDENTIALS) <= set(module.ENV)
