"""People you follow on GitHub who are on socialsite: sign in through the sandbox, sync, read /friends/.

Every sync is real HTTP to the sandbox's ``/user/following`` (Link paging, ETags, rate-limit
headers). Tasks run inline, so the sync a login queues has run when its redirect lands.
"""

from __future__ import annotations

import time

from django.conf import settings

from accounts.models import GrantStatus, ProviderGrant
from friends.models import Friend, FriendSyncState, SyncStatus
from friends.services import SyncResult, friends_sync
from providers.github.sandbox import services as github
from providers.github.sandbox.models import SandboxRateWindow
from sandbox import faults, switches
from sandbox.models import SandboxPerson, SandboxToken
from socialsite import quota
from tests.friends.test_end_to_end import friends_page, listed, section


def grant_of(person: SandboxPerson) -> ProviderGrant:
    return ProviderGrant.objects.select_related("social").get(
        provider="github", uid=str(github.github_id(person))
    )


def alan(ada: SandboxPerson) -> SandboxPerson:
    return SandboxPerson.objects.filter(generated=False, pk__gt=ada.pk).order_by("pk")[1]


def used(person: SandboxPerson) -> int:
    window = SandboxRateWindow.objects.filter(person=person).first()
    return window.used if window else 0


def test_people_you_follow_are_listed_and_those_signed_in_with_github_are_on_socialsite(
    browser, new_browser, ada, grace
):
    new_browser().login("github", grace)  # Grace is here with GitHub; Alan is not
    browser.login("github", ada)  # the roster's graph: Ada follows Grace and Alan

    html = friends_page(browser)

    assert "People you follow" in section(html, "github")
    assert listed(html, "github") == {github.github_login(grace): True, github.github_login(alan(ada)): False}
    rows = Friend.objects.filter(link=grant_of(ada).social, provider="github")
    assert sorted(rows.values_list("external_id", flat=True)) == sorted(
        [str(github.github_id(grace)), str(github.github_id(alan(ada)))]
    )


def test_someone_here_with_another_provider_only_is_not_matched(browser, new_browser, ada, grace):
    new_browser().login("google", grace)  # Grace is here, but not with GitHub
    browser.login("github", ada)

    assert listed(friends_page(browser), "github")[github.github_login(grace)] is False


def test_the_list_is_paged_by_link_and_an_unchanged_list_costs_nothing(browser, ada, grace):
    browser.login("github", ada)
    grant = grant_of(ada)

    first = friends_sync(grant=grant, page_size=1)
    assert (first.result, first.mode, first.pages, first.fetched) == (SyncResult.OK, "full", 2, 2)
    state = FriendSyncState.objects.get(link=grant.social)
    assert state.sync_token.count("W/") == 2  # one ETag per page, for the next pass
    spent = used(ada)

    second = friends_sync(grant=grant, page_size=1)

    assert (second.result, second.mode, second.fetched, second.deleted) == (
        SyncResult.OK,
        "incremental",
        0,
        0,
    )
    assert used(ada) == spent  # every page answered 304: not counted against the hour
    assert Friend.objects.filter(link=grant.social).count() == 2


def test_after_an_unfollow_the_next_sync_reads_the_list_again_and_drops_them(browser, ada, grace):
    browser.login("github", ada)
    grant = grant_of(ada)
    friends_sync(grant=grant, page_size=1)
    github.follow_remove(person=ada, followed=grace)

    outcome = friends_sync(grant=grant, page_size=1)

    assert (outcome.mode, outcome.deleted) == ("full", 1)
    assert not Friend.objects.filter(link=grant.social, external_id=str(github.github_id(grace))).exists()


def test_a_used_up_hour_waits_until_github_s_reset(browser, ada):
    browser.login("github", ada)
    faults.arm("github", "following", "rate_limited")

    outcome = friends_sync(grant=grant_of(ada))

    assert outcome.result == SyncResult.FAILED and outcome.rate_limited and outcome.retryable
    reset = SandboxRateWindow.objects.get(person=ada).resets_at.timestamp()
    assert outcome.retry_after is not None and abs(outcome.retry_after - (reset - time.time())) < 120
    # GitHub counts per user token: Ada's next sync waits for her reset; nobody else waits.
    assert outcome.grant_wait_until is not None and abs(outcome.grant_wait_until - reset) < 120
    assert quota.paused_for("github") == 0
    state = FriendSyncState.objects.get(link=grant_of(ada).social)
    assert state.status == SyncStatus.FAILED and "slow down" in state.last_error


def test_a_secondary_limit_waits_as_long_as_retry_after_says(browser, ada):
    browser.login("github", ada)
    faults.arm("github", "following", "secondary_limit")

    outcome = friends_sync(grant=grant_of(ada))

    assert outcome.rate_limited and outcome.retry_after == 60
    assert outcome.grant_wait_until is not None and quota.paused_for("github") == 0  # Ada's limit only


def test_a_token_revoked_at_github_means_reconnect(browser, ada):
    browser.login("github", ada)
    github.grant_revoke(person=ada, client_id=settings.GITHUB_CLIENT_ID)  # the person revokes at GitHub

    outcome = friends_sync(grant=grant_of(ada))

    assert outcome.result == SyncResult.NEEDS_RECONNECT
    grant = grant_of(ada)
    assert grant.status == GrantStatus.NEEDS_RECONNECT and not grant.access_token_ciphertext
    assert "Reconnect" in section(friends_page(browser), "github")


def test_an_app_token_past_its_expiry_is_refreshed_before_the_sync(browser, ada):
    switches.turn_on("github", "app_tokens")
    browser.login("github", ada)
    grant = grant_of(ada)
    old = grant.get_access_token()
    SandboxToken.objects.filter(value=old).update(expires_at=grant.created_at)  # GitHub: 8 hours are up
    ProviderGrant.objects.filter(pk=grant.pk).update(expires_at=grant.created_at)

    outcome = friends_sync(grant=grant_of(ada))

    assert outcome.result == SyncResult.OK
    assert grant_of(ada).get_access_token() != old


def test_following_takes_from_the_apps_shared_budget(browser, ada, settings):
    """The schedule sizes its batches on the budget, so GitHub's calls must be counted too."""
    browser.login("github", ada)
    settings.PROVIDER_CALLS_PER_MINUTE = {**settings.PROVIDER_CALLS_PER_MINUTE, "github": 1}
    budget = quota.LocalBudget()
    quota.use(budget)
    try:
        budget.take("github", 1)  # this minute's one call is spent
        outcome = friends_sync(grant=grant_of(ada), page_size=1)
    finally:
        quota.use(None)

    assert outcome.rate_limited and not outcome.grant_wait_until  # the app's budget: wait, all of us
