"""A provider's ``expires_in`` that is not a sane count of seconds, at sign-in and at refresh.

The sandbox's ``expires_in_*`` faults send ``"abc"``, ``1e309`` (infinity once parsed),
``-3600`` and ``1000000000000`` in an otherwise normal token answer. Whatever comes, the
sign-in lands signed in and the stored expiry stays within accounts.expiry's bounds.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from social_django.models import UserSocialAuth

from accounts import tokens
from accounts.expiry import ASSUMED_SECONDS, MAX_SECONDS
from accounts.models import GrantStatus, ProviderGrant
from friends import tasks as friends_tasks
from friends.models import FriendSyncState, SyncStatus
from providers.facebook.client import LONG_LIVED_SECONDS
from sandbox import faults
from sandbox.models import SandboxPerson

# What each fault sends, and the lifetime the grant must end up with.
EXPECTED = {
    "expires_in_text": ASSUMED_SECONDS,  # "abc": not a number, assume the shortest documented
    "expires_in_negative": ASSUMED_SECONDS,
    "expires_in_overflow": MAX_SECONDS,  # 1e309: clamped, never an OverflowError
    "expires_in_huge": MAX_SECONDS,
}
MODES = sorted(EXPECTED)


def assert_lives(grant: ProviderGrant, seconds: int) -> None:
    remaining = grant.expires_in()
    assert remaining is not None and seconds - 120 <= remaining <= seconds, remaining


def make_due(grant: ProviderGrant) -> None:
    ProviderGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() + timedelta(seconds=30))


@pytest.mark.parametrize("mode", MODES)
def test_google_sign_in_survives_any_expires_in(browser, ada: SandboxPerson, mode):
    faults.arm("google", "token", mode)

    page = browser.login("google", ada)

    assert page.status_code == 200 and f"Hello, {ada.name}" in page.text
    grant = ProviderGrant.objects.get()
    assert grant.status == GrantStatus.ACTIVE
    assert_lives(grant, EXPECTED[mode])
    # extra_data keeps a plain bounded number (a JSON column cannot hold infinity).
    assert UserSocialAuth.objects.get().extra_data["expires_in"] == EXPECTED[mode]


@pytest.mark.parametrize("mode", MODES)
def test_facebook_sign_in_survives_any_expires_in(browser, ada: SandboxPerson, mode):
    faults.arm("facebook", "token", mode)
    faults.arm("facebook", "exchange", mode)

    page = browser.login("facebook", ada)

    assert page.status_code == 200 and f"Hello, {ada.name}" in page.text
    grant = ProviderGrant.objects.get()
    assert grant.status == GrantStatus.ACTIVE
    # A long-lived token no server can renew is never given up early, nor kept past Meta's
    # ~60 days: whatever the exchange said, about 60 days.
    remaining = grant.expires_in()
    assert remaining is not None and LONG_LIVED_SECONDS - 60 < remaining <= LONG_LIVED_SECONDS
    # The refresh job an hour later leaves it alone: still active, still readable.
    call_command("refresh_tokens", "--within", "7200", stdout=StringIO())
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE and grant.get_access_token().startswith("sbx-fb-at-")


@pytest.mark.parametrize("mode", MODES)
def test_google_refresh_survives_any_expires_in(browser, ada: SandboxPerson, mode):
    browser.login("google", ada)
    grant = ProviderGrant.objects.get()
    faults.arm("google", "token", mode)

    assert tokens.grant_refresh(grant=grant, force=True) == tokens.RefreshResult.REFRESHED

    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE and grant.last_error == ""
    assert_lives(grant, EXPECTED[mode])


def test_refresh_tokens_goes_on_past_a_grant_with_a_bad_answer(browser, new_browser, ada, grace):
    browser.login("google", ada)
    new_browser().login("google", grace)
    for grant in ProviderGrant.objects.all():
        make_due(grant)
    faults.arm("google", "token", "expires_in_overflow")  # the first refresh of the batch
    out = StringIO()

    call_command("refresh_tokens", stdout=out)

    assert "2 due: 2 refreshed" in out.getvalue() and "0 errors" in out.getvalue()
    for grant in ProviderGrant.objects.all():
        assert grant.last_refreshed_at is not None and grant.status == GrantStatus.ACTIVE


def test_the_tick_goes_on_past_a_grant_with_a_bad_answer(browser, new_browser, ada, grace):
    browser.login("google", ada)
    new_browser().login("google", grace)
    for grant in ProviderGrant.objects.all():
        make_due(grant)  # each sync refreshes its token first
    faults.arm("google", "token", "expires_in_text")

    FriendSyncState.objects.update(next_sync_at=timezone.now())
    assert friends_tasks.sync_due.apply().result["queued"]["google"] == 2

    states = FriendSyncState.objects.all()
    assert len(states) == 2 and {state.status for state in states} == {SyncStatus.OK}
