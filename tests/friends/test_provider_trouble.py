"""When the providers misbehave the way they do in production, over real HTTP to the sandbox.

Each test signs in through the sandbox, arms one of its faults, and syncs: what the person
sees on the friends page, what the operator sees in the log and the admin, what happens to
the grant, and how the background task waits.
"""

from __future__ import annotations

import logging

import pytest
from celery.signals import task_retry

from accounts.models import GrantStatus, ProviderGrant
from friends import tasks
from friends.models import Friend, FriendSyncState, SyncStatus
from friends.services import SyncResult, friends_sync
from sandbox import faults, seeding
from sandbox.models import SandboxPerson
from socialsite.celery import app

ACTIVATION = "https://console.developers.google.com/apis/api/people.googleapis.com/overview?project="


def grant_of(person: SandboxPerson, provider: str) -> ProviderGrant:
    uid = person.facebook_id if provider == "facebook" else person.google_sub
    return ProviderGrant.objects.select_related("social").get(provider=provider, uid=uid)


def section(browser, provider: str) -> str:
    html = browser.get("/friends/").text
    start = html.index(f'id="friends-{provider}"')
    return html[start : html.find("</section>", start)]


def state_of(grant: ProviderGrant) -> FriendSyncState:
    return FriendSyncState.objects.get(link=grant.social)


# --- 403 SERVICE_DISABLED: the operator's problem, not the person's -----------------------------


def test_people_api_not_enabled_tells_the_operator_and_not_the_person(browser, ada, admin_client, caplog):
    browser.login("google", ada)
    grant = grant_of(ada, "google")
    stored = Friend.objects.filter(link=grant.social).count()
    faults.arm("google", "connections", "service_disabled")
    caplog.set_level(logging.INFO)

    outcome = friends_sync(grant=grant)

    assert outcome.result == SyncResult.UNAVAILABLE and not outcome.retryable
    # The person: plain words and no button that loops back to the same refusal.
    part = section(browser, "google")
    assert 'data-state="unavailable"' in part
    assert "unavailable right now" in part
    assert "Grant permission" not in part and "rerequest" not in part
    assert ACTIVATION not in part
    # The operator: what to enable, and where, in the log and in the admin.
    state = state_of(grant)
    assert state.status == SyncStatus.UNAVAILABLE
    assert state.last_error.startswith("Enable the People API (people.googleapis.com)")
    assert ACTIVATION in state.last_error
    logs = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
    assert "friends sync needs the operator" in logs and ACTIVATION in logs
    assert ACTIVATION in admin_client.get("/admin/friends/friendsyncstate/").content.decode()
    # Nothing of the person's is touched: the grant is fine, the contacts stay.
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE and grant.denied_scopes == []
    assert Friend.objects.filter(link=grant.social).count() == stored


# --- 401: refresh once before calling the grant lost -----------------------------------------------


def test_a_401_refreshes_once_and_the_sync_succeeds_keeping_the_refresh_token(browser, ada):
    browser.login("google", ada)
    grant = grant_of(ada, "google")
    old_access = grant.get_access_token()
    refresh_ciphertext = grant.refresh_token_ciphertext
    faults.arm("google", "connections", "access_token_expired")  # this access token dies now

    outcome = friends_sync(grant=grant)

    assert outcome.result == SyncResult.OK
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE
    assert grant.refresh_token_ciphertext == refresh_ciphertext  # the refresh token is kept
    assert grant.get_access_token() != old_access  # and gave a fresh access token
    assert state_of(grant).status == SyncStatus.OK
    assert 'data-state="ok"' in section(browser, "google")


def test_a_401_again_after_the_refresh_means_reconnect(browser, ada):
    browser.login("google", ada)
    grant = grant_of(ada, "google")
    faults.arm("google", "connections", "access_token_expired", times=2)

    outcome = friends_sync(grant=grant)

    assert outcome.result == SyncResult.NEEDS_RECONNECT and not outcome.retryable
    grant.refresh_from_db()
    assert grant.status == GrantStatus.NEEDS_RECONNECT
    assert 'data-state="needs_reconnect"' in section(browser, "google")


def test_a_401_while_google_cannot_refresh_keeps_the_grant_for_later(browser, ada):
    browser.login("google", ada)
    grant = grant_of(ada, "google")
    refresh_ciphertext = grant.refresh_token_ciphertext
    faults.arm("google", "connections", "access_token_expired")
    faults.arm("google", "token", "http_500")  # the refresh cannot happen right now

    outcome = friends_sync(grant=grant)

    assert outcome.result == SyncResult.FAILED and outcome.retryable
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE and grant.refresh_token_ciphertext == refresh_ciphertext


# --- rate limits: the task re-queues itself, it never sleeps -------------------------------------


@pytest.fixture
def requeues():
    """The countdown of every re-queue Celery makes of a task (its ``task_retry`` signal).

    Tasks are applied with Celery's ``apply``, which runs each re-queued attempt at once,
    in this process, instead of after its countdown: the countdowns are recorded, not waited.
    """
    countdowns: list[float] = []

    def record(sender=None, reason=None, **kwargs):
        countdowns.append(reason.when)

    task_retry.connect(record, weak=False)
    app.conf.task_always_eager = False  # as with a broker: the task may re-queue itself
    propagates = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False  # a re-queue is Celery's Retry, not a failure
    yield countdowns
    app.conf.task_eager_propagates = propagates
    task_retry.disconnect(record)


def test_a_throttled_sync_requeues_itself_with_retry_after_and_calls_once_per_attempt(browser, ada, requeues):
    browser.login("google", ada)
    link_id = grant_of(ada, "google").social_id
    faults.arm("google", "connections", "rate_limited", times=2)  # 429 with Retry-After: 1

    result = tasks.sync_link.apply(args=[link_id])

    assert requeues == [1, 1]  # twice re-queued, each after what Google asked for
    assert result.result == "ok"  # the third attempt went through
    # One call per attempt: each 429 ended its attempt at once, nothing retried in-task.
    assert faults.armed() == []
    assert FriendSyncState.objects.get(link_id=link_id).status == SyncStatus.OK


def test_a_throttled_sync_without_retry_after_waits_at_least_a_minute(browser, ada, requeues):
    browser.login("facebook", ada)
    link_id = grant_of(ada, "facebook").social_id
    faults.arm("facebook", "friends", "rate_limited")  # Graph code 4: no Retry-After at all

    result = tasks.sync_link.apply(args=[link_id])

    assert requeues == [tasks.RATE_LIMITED_MIN_SECONDS] and tasks.RATE_LIMITED_MIN_SECONDS >= 60
    assert result.result == "ok"


def test_requeues_are_bounded_in_number(browser, ada, requeues):
    browser.login("google", ada)
    link_id = grant_of(ada, "google").social_id
    faults.arm("google", "connections", "http_500", times=50)

    result = tasks.sync_link.apply(args=[link_id])

    assert len(requeues) == tasks.MAX_RETRIES
    assert all(countdown <= tasks.MAX_COUNTDOWN_SECONDS for countdown in requeues)
    assert result.result == "failed"
    assert FriendSyncState.objects.get(link_id=link_id).status == SyncStatus.FAILED


# --- paging that never ends ----------------------------------------------------------------------


def friends_of_ada(ada: SandboxPerson, count: int) -> None:
    seeding.people_generate(count=count)  # more people who use the app ...
    seeding.friends_generate(per_person=count)  # ... all friends of Ada's


@pytest.mark.parametrize("provider", ["facebook", "google"])
def test_a_cursor_that_comes_back_ends_the_sync_with_an_error_and_deletes_nothing(
    browser, ada, provider, settings
):
    if provider == "facebook":
        friends_of_ada(ada, 12)
    settings.SANDBOX_SYNC_TOKEN_SECONDS = 0  # Google: every sync is a full one, paged
    browser.login(provider, ada)
    grant = grant_of(ada, provider)
    people = Friend
    stored = people.objects.filter(link=grant.social).count()
    assert stored >= 3
    faults.arm(provider, "friends" if provider == "facebook" else "connections", "paging_loop", times=50)

    outcome = friends_sync(grant=grant, page_size=2)

    assert outcome.result == SyncResult.FAILED and not outcome.retryable
    state = state_of(grant)
    assert state.status == SyncStatus.FAILED and state.started_at is None
    assert "without end" in state.last_error
    assert people.objects.filter(link=grant.social).count() == stored  # no partial delete
    part = section(browser, provider)
    assert 'data-state="failed"' in part and "Try again" in part


def test_more_pages_than_the_bound_ends_the_sync_with_an_error(browser, ada, settings):
    friends_of_ada(ada, 12)
    browser.login("facebook", ada)
    grant = grant_of(ada, "facebook")
    assert Friend.objects.filter(link=grant.social).count() == 12
    settings.FRIENDS_SYNC_MAX_PAGES = 3

    outcome = friends_sync(grant=grant, page_size=2)  # six pages needed

    assert outcome.result == SyncResult.FAILED
    assert state_of(grant).status == SyncStatus.FAILED
    assert Friend.objects.filter(link=grant.social).count() == 12
