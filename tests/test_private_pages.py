"""Pages shown to a signed-in person are never cached: ``Cache-Control: no-store`` on each.

Over real HTTP against the live server, the way a browser or a shared proxy sees them.
The browser-level check (Back after sign-out) is tests/browser/test_back_after_sign_out.py.
"""

from __future__ import annotations

import pytest

from tests.accounts.test_login_flows import with_query


def directives(response) -> set[str]:
    header = response.headers.get("Cache-Control", "")
    return {part.strip().split("=")[0].lower() for part in header.split(",") if part.strip()}


def assert_never_cached(response) -> None:
    assert {"no-store", "no-cache", "must-revalidate", "private"} <= directives(response), (
        response.request.method,
        response.url,
        response.headers.get("Cache-Control"),
    )
    assert "max-age=0" in response.headers["Cache-Control"]


@pytest.mark.parametrize("provider", ["facebook", "google"])
def test_every_page_a_signed_in_person_sees_is_sent_with_no_store(browser, ada, provider):
    signed_in = browser.login(provider, ada)
    assert "Hello," in signed_in.text

    # The callback's redirect and the page it lands on, then every page a person can open.
    for response in [*signed_in.history, signed_in]:
        if "/sandbox/" not in response.url:
            assert_never_cached(response)
    for path in ("/", "/account/", "/friends/", "/friends/?q=a", "/no-such-page/", "/admin/"):
        assert_never_cached(browser.get(path))
    refreshed = browser.post_form(browser.get("/friends/"), "/friends/refresh/", allow_redirects=False)
    assert_never_cached(refreshed)


def test_sign_out_response_and_login_error_pages_are_never_cached(browser, ada):
    browser.login("google", ada)
    assert_never_cached(browser.post_form(browser.get("/"), "/logout/", allow_redirects=False))

    callback = browser.consent(browser.start_login("google"), ada, follow=False).headers["Location"]
    refused = browser.get(with_query(callback, state="forged-state-value"))

    assert refused.status_code == 403
    assert_never_cached(refused)


def test_static_files_stay_cacheable_for_a_signed_in_person(browser, ada):
    browser.login("google", ada)

    stylesheet = browser.get("/static/css/site.css")

    assert stylesheet.status_code == 200
    assert "no-store" not in directives(stylesheet)
