"""Rate limits seen from outside: hammer each endpoint over real HTTP and get a 429 page.

The rates are set explicitly here (small, so a test needs a handful of requests); the
suite otherwise runs on the production defaults with a fresh count per test. They are per
day: django-ratelimit counts in fixed windows, and a per-minute window could end mid-test.
"""

from __future__ import annotations

import pytest
import requests

from accounts.models import ProviderGrant
from tests.login_fixtures import Browser, csrf_token

LIMIT = 3


def limit(settings, group: str, *, address: str = f"{LIMIT}/d", person: str | None = None) -> None:
    rates = {key: dict(value) for key, value in settings.RATE_LIMITS.items()}
    rates[group] = {"address": address, **({"person": person} if person else {})}
    settings.RATE_LIMITS = rates


def assert_friendly_429(response: requests.Response) -> None:
    assert response.status_code == 429
    assert "Too many attempts" in response.text
    assert ">Try again</a>" in response.text
    assert int(response.headers["Retry-After"]) >= 1
    assert "Traceback" not in response.text


def start(browser: Browser, provider: str = "google") -> requests.Response:
    return browser.post_form(browser.get("/"), f"/login/{provider}/", allow_redirects=False)


@pytest.mark.parametrize("provider", ["facebook", "google"])
def test_hammering_login_starts_gets_a_429_page(browser, settings, provider):
    limit(settings, "login")
    answers = [start(browser, provider) for _ in range(LIMIT)]
    assert [answer.status_code for answer in answers] == [302] * LIMIT  # off to the provider

    assert_friendly_429(start(browser, provider))


def test_login_starts_are_counted_per_address_across_browsers(new_browser, settings):
    limit(settings, "login")
    for _ in range(LIMIT):
        assert start(new_browser()).status_code == 302
    # A crawler that drops its cookies is still the same address.
    assert_friendly_429(start(new_browser()))


def test_hammering_the_callback_gets_a_429_page(browser, settings):
    limit(settings, "callback")
    forged = "/complete/google/?state=forged&code=forged"
    answers = [browser.get(forged) for _ in range(LIMIT)]
    assert [answer.status_code for answer in answers] == [403] * LIMIT  # "sign-in link has expired"

    assert_friendly_429(browser.get(forged))


def test_a_real_sign_in_is_not_held_up_by_the_default_limits(browser, ada):
    page = browser.login("google", ada)
    assert page.status_code == 200 and browser.user() is not None


def test_hammering_refresh_gets_a_429_page_per_person(new_browser, ada, grace, settings):
    limit(settings, "friends_refresh", address="100/m", person=f"{LIMIT}/d")
    first, second, other = new_browser(), new_browser(), new_browser()
    first.login("google", ada)
    second.login("google", ada)  # the same person in another browser
    other.login("google", grace)

    def press(browser: Browser) -> requests.Response:
        return browser.post_form(browser.get("/friends/"), "/friends/refresh/", {"provider": "google"})

    assert [press(first).status_code for _ in range(LIMIT)] == [200] * LIMIT
    assert_friendly_429(press(second))
    # Someone else on the same connection is not held back by Ada's presses.
    assert press(other).status_code == 200


def test_hammering_disconnect_gets_a_429_page(browser, ada, settings):
    limit(settings, "disconnect", address="100/m", person=f"{LIMIT}/d")
    browser.login("google", ada)
    account = browser.get("/account/")
    # Disconnecting the only way in is refused (and counted) each time.
    for _ in range(LIMIT):
        assert browser.post_form(account, "/account/disconnect/google/").status_code == 200

    assert_friendly_429(browser.post_form(account, "/account/disconnect/google/"))
    assert ProviderGrant.objects.count() == 1


@pytest.mark.parametrize("path", ["/facebook/deauthorize/", "/facebook/data-deletion/"])
def test_hammering_the_facebook_callbacks_gets_a_429(sandbox, settings, path):
    limit(settings, "facebook_callback")
    answers = [
        requests.post(sandbox + path, data={"signed_request": "junk.junk"}, timeout=10) for _ in range(LIMIT)
    ]
    assert [answer.status_code for answer in answers] == [400] * LIMIT

    assert_friendly_429(requests.post(sandbox + path, data={"signed_request": "junk.junk"}, timeout=10))


def _start_from(sandbox: str, forwarded_for: str) -> int:
    session = requests.Session()
    home = session.get(sandbox + "/", timeout=10)
    return session.post(
        sandbox + "/login/google/",
        data={"csrfmiddlewaretoken": csrf_token(home.text)},
        headers={"Referer": home.url, "X-Forwarded-For": forwarded_for},
        allow_redirects=False,
        timeout=10,
    ).status_code


def test_behind_a_trusted_proxy_each_client_address_counts_on_its_own(sandbox, settings):
    limit(settings, "login")
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(LIMIT):
        assert _start_from(sandbox, "203.0.113.7") == 302
    assert _start_from(sandbox, "203.0.113.7") == 429
    # Another client behind the same proxy counts on its own.
    assert _start_from(sandbox, "198.51.100.2") == 302
    # The limited client forging an entry: the proxy appends the real address after it.
    assert _start_from(sandbox, "198.51.100.9, 203.0.113.7") == 429


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(sandbox, settings):
    limit(settings, "login")
    for index in range(LIMIT):
        assert _start_from(sandbox, f"203.0.113.{index}") == 302
    assert _start_from(sandbox, "203.0.113.99") == 429
