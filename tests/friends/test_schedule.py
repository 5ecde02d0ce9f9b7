"""Each account's own "next sync at": which rows are due, the activity tiers, and claims that
two ticks can never share (PostgreSQL: two connections at once; SQLite: writers take turns)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import GrantStatus
from friends import schedule, tasks
from friends.models import FriendSyncState
from tests.factories import LinkFactory, UserFactory, make_grant
from tests.friends.factories import SyncStateFactory

pytestmark = pytest.mark.django_db

HOUR = 3600.0
DAY = 86400.0


def account(
    *,
    provider: str = "google",
    due_at: datetime | None,
    last_login: datetime | None = None,
    **grant_fields,
) -> FriendSyncState:
    """A linked account with a usable grant (unless ``grant_fields`` say otherwise) and its state."""
    link = LinkFactory(provider=provider, user=UserFactory(last_login=last_login))
    make_grant(link=link, refresh_token="test-rt" if provider == "google" else "", **grant_fields)
    return SyncStateFactory(link=link, next_sync_at=due_at)


def claimed_ids(claims: list[tuple[int, bool]]) -> set[int]:
    return {link_id for link_id, usable in claims if usable}


def test_only_due_rows_are_claimed_oldest_first_and_at_most_the_limit():
    now = timezone.now()
    oldest = account(due_at=now - timedelta(hours=3))
    older = account(due_at=now - timedelta(hours=2))
    old = account(due_at=now - timedelta(hours=1))
    later = account(due_at=now + timedelta(minutes=1))
    unscheduled = account(due_at=None)

    first = schedule.claim_due(provider="google", now=now, limit=2)
    second = schedule.claim_due(provider="google", now=now, limit=2)

    assert [link_id for link_id, _ in first] == [oldest.link_id, older.link_id] or claimed_ids(first) == {
        oldest.link_id,
        older.link_id,
    }
    assert claimed_ids(second) == {old.link_id}
    assert schedule.claim_due(provider="google", now=now, limit=10) == []
    later.refresh_from_db()
    unscheduled.refresh_from_db()
    assert later.next_sync_at > now and unscheduled.next_sync_at is None
    assert schedule.claim_due(provider="facebook", now=now, limit=10) == []  # per provider


def test_the_interval_follows_the_persons_last_sign_in(settings):
    now = timezone.now()
    settings.FRIENDS_SYNC_TIERS = [(1 * DAY, 6 * HOUR), (7 * DAY, DAY), (None, 7 * DAY)]
    active = account(due_at=now, last_login=now - timedelta(hours=2))
    weekly = account(due_at=now, last_login=now - timedelta(days=3))
    dormant = account(due_at=now, last_login=now - timedelta(days=40))
    never = account(due_at=now, last_login=None)

    schedule.claim_due(provider="google", now=now, limit=10)

    def next_in(state: FriendSyncState) -> timedelta:
        state.refresh_from_db()
        assert state.next_sync_at is not None
        return state.next_sync_at - now

    assert next_in(active) == timedelta(hours=6)
    assert next_in(weekly) == timedelta(days=1)
    assert next_in(dormant) == timedelta(days=7)
    assert next_in(never) == timedelta(days=7)


def test_grants_that_cannot_be_used_leave_the_schedule_and_are_not_queued(settings):
    now = timezone.now()
    usable = account(provider="facebook", due_at=now, expires_at=now + timedelta(days=30))
    reconnect = account(provider="facebook", due_at=now, status=GrantStatus.NEEDS_RECONNECT)
    lapsed = account(provider="facebook", due_at=now, expires_at=now - timedelta(minutes=1))
    key_missing = account(provider="facebook", due_at=now, key_missing_since=now)
    queued: list[int] = []

    report = schedule.tick(providers=["facebook"], enqueue=queued.append, now=now)

    assert queued == [usable.link_id]
    assert report.queued == {"facebook": 1} and report.unscheduled == 3 and report.backlog == 0
    for state in (reconnect, lapsed, key_missing):
        state.refresh_from_db()
        assert state.next_sync_at is None


def test_a_tick_queues_at_most_the_providers_budget_and_reports_the_backlog(settings):
    settings.PROVIDER_CALLS_PER_MINUTE = {"google": 60}
    settings.FRIENDS_TICK_SECONDS = 60.0
    settings.FRIENDS_CALLS_PER_SYNC = 2.0  # 60 calls a minute: 30 syncs a tick
    now = timezone.now()
    for minutes in range(40):
        account(due_at=now - timedelta(minutes=minutes))
    queued: list[int] = []

    report = schedule.tick(providers=["google"], enqueue=queued.append, now=now)

    assert len(queued) == 30 and report.backlog == 10


def test_a_paused_provider_is_left_due_by_the_tick():
    from socialsite import quota

    now = timezone.now()
    state = account(due_at=now)
    quota.pause("google", 120)
    queued: list[int] = []

    report = schedule.tick(providers=["google"], enqueue=queued.append, now=now)

    assert queued == [] and report.skipped_paused == ["google"] and report.backlog == 1
    state.refresh_from_db()
    assert state.next_sync_at == now


def test_a_sync_a_person_asked_for_puts_the_account_back_on_the_schedule(browser, ada):
    browser.login("google", ada)  # the sign-in's sync (inline here) schedules the next one
    state = FriendSyncState.objects.get()
    assert state.next_sync_at is not None
    # Signed in just now: the active tier.
    assert timedelta(hours=5) < state.next_sync_at - timezone.now() <= timedelta(hours=6)


def test_two_ticks_never_claim_the_same_account_sqlite_or_postgres():
    now = timezone.now()
    states = [account(due_at=now - timedelta(seconds=n)) for n in range(30)]

    first = schedule.claim_due(provider="google", now=now, limit=20)
    second = schedule.claim_due(provider="google", now=now, limit=20)

    assert not claimed_ids(first) & claimed_ids(second)
    assert claimed_ids(first) | claimed_ids(second) == {state.link_id for state in states}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_ticks_on_two_connections_at_once_skip_each_others_rows():
    """While one tick's claim is still open (rows locked), another connection claims at once
    (SKIP LOCKED: no waiting) and gets other rows; after both, every due row was claimed once."""
    now = timezone.now()
    states = [account(due_at=now - timedelta(seconds=n)) for n in range(40)]
    other: list[tuple[int, bool]] = []
    failures: list[BaseException] = []

    def second_tick() -> None:
        try:
            other.extend(schedule.claim_due(provider="google", now=now, limit=25))
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)
        finally:
            connection.close()

    with transaction.atomic():
        first = schedule.claim_due(provider="google", now=now, limit=25)
        thread = threading.Thread(target=second_tick)
        thread.start()
        thread.join(timeout=30)  # not a timing assertion: a blocked claim would hang forever
        assert not thread.is_alive(), "the second tick waited for the first one's locks"
    assert not failures, failures

    assert len(claimed_ids(first)) == 25 and len(claimed_ids(other)) == 15
    assert not claimed_ids(first) & claimed_ids(other)
    assert claimed_ids(first) | claimed_ids(other) == {state.link_id for state in states}


def test_the_beat_task_runs_a_tick():
    account(provider="facebook", due_at=timezone.now(), expires_at=timezone.now() + timedelta(days=30))

    report = tasks.sync_due.apply().result

    assert report["queued"]["facebook"] == 1 and report["backlog"] == 0


def test_a_grants_own_rate_limit_moves_only_that_accounts_next_sync():
    """A client that says "this grant must wait until T" (scope "user", as GitHub's per-token
    limit): the sync ends at once, that account is due again at T, the others are untouched,
    and nothing pauses the provider for the fleet."""
    from friends.services import friends_sync
    from providers.http.errors import ProviderRateLimited
    from socialsite import quota
    from tests.friends.factories import ScriptedGraphClient

    now = timezone.now()
    limited = account(provider="facebook", due_at=now, expires_at=now + timedelta(days=30))
    other = account(provider="facebook", due_at=now, expires_at=now + timedelta(days=30))
    reset = (now + timedelta(minutes=40)).timestamp()
    grant = limited.link.grant
    client = ScriptedGraphClient([ProviderRateLimited("per-token limit", scope="user", reset_at=reset)])

    outcome = friends_sync(grant=grant, client=client)
    tasks.apply_grant_limit(link_id=limited.link_id, outcome=outcome)

    limited.refresh_from_db()
    assert outcome.rate_limited and outcome.grant_wait_until == reset
    assert limited.next_sync_at == datetime.fromtimestamp(reset, tz=UTC)
    assert quota.paused_for("facebook") == 0
    queued: list[int] = []
    schedule.tick(providers=["facebook"], enqueue=queued.append, now=now + timedelta(minutes=1))
    assert queued == [other.link_id]
