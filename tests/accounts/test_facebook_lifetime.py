"""Facebook token lifetime as Meta documents it, seen through the pages against the live sandbox.

- A short-lived login token is exchanged once, at sign-in, for a long-lived one (about 60 days);
  Graph does not extend a long-lived token, and after it "the person will have to go through the
  login flow again". https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived
- Data access lapses after 90 days without the person using the app, apart from the token; the app
  asks again with ``auth_type=reauthorize``. https://developers.facebook.com/docs/facebook-login/auth-vs-data/
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape
from io import StringIO
from urllib.parse import parse_qs, urlsplit

from django.core.management import call_command
from django.utils import dateformat, timezone

from accounts.models import GrantStatus, ProviderGrant
from accounts.tasks import refresh_expiring_grants
from friends import tasks as friends_tasks
from friends.models import Friend
from sandbox import faults
from sandbox.models import SandboxToken

FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S)
ACTION = re.compile(r'action="([^"]*)"')
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def page_form(html: str, button: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the page's form whose button reads ``button``."""
    for form in FORM.findall(html):
        text = re.sub(r"<[^>]+>", " ", form)
        if button in " ".join(text.split()):
            assert 'method="post"' in form, f"{button!r} is not a POST form"
            fields = {name: unescape(value) for name, value in HIDDEN.findall(form)}
            fields.pop("csrfmiddlewaretoken", None)
            return unescape(ACTION.search(form).group(1)), fields
    raise AssertionError(f"no form with a {button!r} button")


def click(browser, page, button: str):
    """Press a button of ``page`` as a person would: its form, its fields, its CSRF token."""
    action, fields = page_form(page.text, button)
    return browser.post_form(page, action, fields)


def set_expiry(delta: timedelta) -> ProviderGrant:
    ProviderGrant.objects.filter(provider="facebook").update(expires_at=timezone.now() + delta)
    return ProviderGrant.objects.get(provider="facebook")


def day(moment: datetime) -> str:
    return dateformat.format(timezone.localtime(moment), "j F")


def untouched(endpoint: str) -> bool:
    """The fault armed on this sandbox endpoint is still there: nobody called it."""
    return any(f.provider == "facebook" and f.endpoint == endpoint for f in faults.armed())


def text(page) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", page.text)).split())


def test_sign_in_exchanges_the_login_token_once_for_a_long_lived_one(browser, ada):
    browser.login("facebook", ada)

    grant = ProviderGrant.objects.get()
    long_lived = SandboxToken.objects.get(provider="facebook", long_lived=True)
    assert grant.get_access_token() == long_lived.value
    assert 59 * 86400 < grant.expires_in() <= 60 * 86400


def test_a_long_lived_token_is_never_sent_back_to_be_exchanged(browser, ada):
    """Not by a token request, not by the beat, not by refresh_tokens, even in its last days."""
    browser.login("facebook", ada)
    grant = set_expiry(timedelta(days=3))
    token, expires_at = grant.get_access_token(), grant.expires_at
    faults.arm("facebook", "exchange", "http_500")

    refresh_expiring_grants()
    call_command("refresh_tokens", stdout=StringIO())
    call_command("refresh_tokens", within=90 * 86400, stdout=StringIO())
    browser.post_form(browser.get("/friends/"), "/friends/refresh/", {"provider": "facebook"})

    assert untouched("exchange")
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE
    assert grant.get_access_token() == token and grant.expires_at == expires_at


def test_pages_say_when_facebook_access_ends(browser, ada):
    browser.login("facebook", ada)
    ends = set_expiry(timedelta(days=30)).expires_at

    for path in ("/account/", "/friends/"):
        page = text(browser.get(path))
        assert f"Facebook access ends on {day(ends)}." in page
        assert "Keep Facebook connected" not in page


def test_keep_facebook_connected_in_the_last_stretch_signs_in_again_for_a_new_token(browser, ada, settings):
    settings.FACEBOOK_KEEP_CONNECTED_DAYS = 10
    browser.login("facebook", ada)
    user = browser.user()
    grant = set_expiry(timedelta(days=5))
    old = grant.get_access_token()
    assert "Keep Facebook connected" in text(browser.get("/friends/"))
    account = browser.get("/account/")
    assert f"Facebook access ends on {day(grant.expires_at)}: keep it connected" in text(account)
    action, _ = page_form(account.text, "Keep Facebook connected")
    assert action == "/login/facebook/"  # a login (on facebook.com: a redirect, no prompt)

    consent = click(browser, account, "Keep Facebook connected")
    back = browser.consent(consent, ada)

    assert urlsplit(back.url).path == "/account/"
    assert browser.user() == user
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE and grant.get_access_token() != old
    assert grant.expires_in() > 59 * 86400
    assert "Keep Facebook connected" not in text(browser.get("/account/"))


def test_lapsed_facebook_access_shows_reconnect_and_nothing_asks_facebook(browser, ada):
    browser.login("facebook", ada)
    ended = set_expiry(timedelta(minutes=-1)).expires_at
    faults.arm("facebook", "friends", "http_500")

    account = text(browser.get("/account/"))
    assert f"Facebook access ended on {day(ended)}." in account and "Reconnect" in account
    friends = browser.get("/friends/")
    assert "Reconnect" in text(friends) and "Keep Facebook connected" not in text(friends)
    assert friends_tasks.sync_everyone() == 0  # the beat queues no sync for it
    browser.post_form(friends, "/friends/refresh/", {"provider": "facebook"})  # Refresh by hand
    call_command("refresh_tokens", stdout=StringIO())

    assert untouched("friends")
    grant = ProviderGrant.objects.get()
    assert grant.status == GrantStatus.NEEDS_RECONNECT and grant.access_token_ciphertext == ""

    page = browser.get("/account/")
    browser.consent(click(browser, page, "Reconnect"), ada)
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE and grant.expires_in() > 59 * 86400


def test_data_access_expiry_is_its_own_state_and_reconnects_with_reauthorize(
    browser, ada, grace, new_browser
):
    new_browser().login("facebook", grace)  # a friend who uses the app, so the list is not empty
    browser.login("facebook", ada)
    assert Friend.objects.filter(link__uid=ada.facebook_id, provider="facebook").count() == 1
    index = browser.get("/sandbox/")
    browser.post_form(index, f"/sandbox/people/{ada.pk}/facebook/expire-data-access/")

    browser.post_form(browser.get("/friends/"), "/friends/refresh/", {"provider": "facebook"})

    grant = ProviderGrant.objects.get(uid=ada.facebook_id)
    assert grant.status == GrantStatus.DATA_ACCESS_EXPIRED
    assert "data_access_expired" in grant.last_error
    account = text(browser.get("/account/"))
    assert "Needs confirming" in account and "Facebook needs you to confirm access again" in account
    friends = browser.get("/friends/")
    assert "Facebook needs you to confirm access again" in text(friends)

    consent = click(browser, friends, "Reconnect")
    assert parse_qs(urlsplit(consent.url).query)["auth_type"] == ["reauthorize"]
    assert 'id="reauthorize"' in consent.text
    browser.consent(consent, ada)

    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE
    friends = text(browser.get("/friends/"))
    assert "confirm access again" not in friends and "Grace Hopper" in friends
