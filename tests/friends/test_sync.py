"""friends_sync with scripted clients: what is stored, what is deleted, what state is left."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import GrantStatus
from friends import tasks
from friends.models import SYNC_LEASE, Friend, FriendSyncState, SyncStatus
from friends.selectors import DisplayState, friends_sections_for
from friends.services import SyncOutcome, SyncResult, friends_sync
from providers.facebook.friends import FriendsPage
from providers.http.errors import (
    ProviderAuthError,
    ProviderPermissionError,
    ProviderRateLimited,
    ProviderUnavailable,
)
from providers.http.paging import PagingError
from tests.factories import LinkFactory, make_grant
from tests.friends.factories import (
    ScriptedGraphClient,
    ScriptedPeopleClient,
    contact,
    contacts_pages,
    friend,
    friends_pages,
)

pytestmark = pytest.mark.django_db

CONTACTS_SCOPE = "https://www.googleapis.com/auth/contacts.readonly"


@pytest.fixture
def fb_grant():
    return make_grant(link=LinkFactory(provider="facebook"), access_token="fb-token", scopes=["user_friends"])


@pytest.fixture
def g_grant():
    return make_grant(link=LinkFactory(provider="google"), access_token="g-token", scopes=[CONTACTS_SCOPE])


def state_of(grant) -> FriendSyncState:
    return FriendSyncState.objects.get(link=grant.social)


def uids(grant) -> set[str]:
    return set(Friend.objects.filter(link=grant.social).values_list("external_id", flat=True))


def names(grant) -> dict[str, str]:
    return dict(Friend.objects.filter(link=grant.social).values_list("external_id", "name"))


# --- Facebook -------------------------------------------------------------------------------


def test_facebook_full_sync_stores_every_page_and_the_total(fb_grant):
    client = ScriptedGraphClient(friends_pages(120, 50, total=412))

    outcome = friends_sync(grant=fb_grant, client=client)

    assert outcome.result == SyncResult.OK and outcome.pages == 3 and outcome.fetched == 120
    assert client.tokens == ["fb-token"]  # the token from the vault, through access_token_for
    assert uids(fb_grant) == {friend(n).uid for n in range(120)}
    state = state_of(fb_grant)
    assert state.status == SyncStatus.OK and state.total_count == 412
    assert state.last_success_at is not None and state.last_error == "" and state.started_at is None


def test_facebook_resync_updates_names_and_deletes_unfriended(fb_grant):
    friends_sync(grant=fb_grant, client=ScriptedGraphClient(friends_pages(10, 4)))
    renamed = FriendsPage(
        friends=[friend(n) for n in range(3, 10)] + [friend(0, "Ada Renamed")], total_count=8
    )

    outcome = friends_sync(grant=fb_grant, client=ScriptedGraphClient([renamed]))

    assert outcome.deleted == 2  # friends 1 and 2 are gone
    assert uids(fb_grant) == {friend(n).uid for n in [0, *range(3, 10)]}
    assert Friend.objects.get(link=fb_grant.social, external_id=friend(0).uid).name == "Ada Renamed"


def test_facebook_sync_of_nobody_empties_the_list(fb_grant):
    friends_sync(grant=fb_grant, client=ScriptedGraphClient(friends_pages(5, 5)))
    friends_sync(grant=fb_grant, client=ScriptedGraphClient([FriendsPage(friends=[], total_count=30)]))
    assert uids(fb_grant) == set()
    assert state_of(fb_grant).total_count == 30


def test_friends_of_one_link_are_not_touched_by_another_links_sync(fb_grant):
    other = make_grant(link=LinkFactory(provider="facebook"), access_token="other")
    friends_sync(grant=other, client=ScriptedGraphClient(friends_pages(5, 5)))
    friends_sync(grant=fb_grant, client=ScriptedGraphClient(friends_pages(2, 5, start=100)))
    assert len(uids(other)) == 5 and len(uids(fb_grant)) == 2


# --- Google ---------------------------------------------------------------------------------


def test_google_full_sync_stores_contacts_and_the_sync_token(g_grant):
    people = [contact(n) for n in range(7)] + [contact(7, name="", email="Mixed.Case@Example.COM")]
    client = ScriptedPeopleClient(full=contacts_pages(people, 3, sync_token="sync-A"))

    outcome = friends_sync(grant=g_grant, client=client)

    assert outcome.result == SyncResult.OK and outcome.mode == "full" and outcome.pages == 3
    assert client.calls == [None]
    assert len(names(g_grant)) == 8
    assert Friend.objects.get(external_id=contact(7).resource_name).email == "mixed.case@example.com"
    assert state_of(g_grant).sync_token == "sync-A"


def test_google_incremental_sync_applies_changes_and_deletions_only(g_grant):
    friends_sync(
        grant=g_grant, client=ScriptedPeopleClient(full=contacts_pages([contact(n) for n in range(6)], 6))
    )
    changes = [contact(1, name="Renamed One"), contact(2, deleted=True), contact(40)]
    client = ScriptedPeopleClient(changes=contacts_pages(changes, 2, sync_token="sync-B"))

    outcome = friends_sync(grant=g_grant, client=client)

    assert client.calls == ["sync-1"]
    assert outcome.mode == "incremental" and outcome.fetched == 3 and outcome.deleted == 1
    stored = names(g_grant)
    assert contact(2).resource_name not in stored  # deleted at Google
    assert stored[contact(1).resource_name] == "Renamed One"  # changed
    assert contact(40).resource_name in stored  # added
    assert {contact(n).resource_name for n in (0, 3, 4, 5)} <= set(stored)  # untouched, kept
    assert state_of(g_grant).sync_token == "sync-B"


def test_expired_sync_token_falls_back_to_a_full_sync(g_grant):
    friends_sync(
        grant=g_grant, client=ScriptedPeopleClient(full=contacts_pages([contact(n) for n in range(4)], 4))
    )
    client = ScriptedPeopleClient(
        full=contacts_pages([contact(0), contact(9)], 4, sync_token="sync-fresh"), expired=True
    )

    outcome = friends_sync(grant=g_grant, client=client)

    assert client.calls == ["sync-1", None]
    assert outcome.result == SyncResult.OK and outcome.mode == "full"
    assert set(names(g_grant)) == {contact(0).resource_name, contact(9).resource_name}
    assert state_of(g_grant).sync_token == "sync-fresh"


# --- when it cannot go on -----------------------------------------------------------------------


def test_revoked_token_mid_sync_means_needs_reconnect_and_stops(g_grant):
    friends_sync(
        grant=g_grant, client=ScriptedPeopleClient(full=contacts_pages([contact(n) for n in range(4)], 4))
    )
    first = contacts_pages([contact(n) for n in range(10, 13)], 3)[0]
    client = ScriptedPeopleClient(
        changes=[first, ProviderAuthError("people: HTTP 401", provider="google", status=401)]
    )

    outcome = friends_sync(grant=g_grant, client=client)

    assert outcome.result == SyncResult.NEEDS_RECONNECT and not outcome.retryable
    state = state_of(g_grant)
    assert state.status == SyncStatus.NEEDS_RECONNECT and "Reconnect" in state.last_error
    assert state.sync_token == "sync-1"  # the half-applied pass's token was never stored
    g_grant.refresh_from_db()
    assert g_grant.status == GrantStatus.NEEDS_RECONNECT and g_grant.access_token_ciphertext == ""
    # Next time there is no token to try with: no provider call at all.
    again = ScriptedPeopleClient(full=[])
    assert friends_sync(grant=g_grant, client=again).result == SyncResult.NEEDS_RECONNECT
    assert again.calls == []


def test_a_grant_already_needing_reconnect_is_not_tried(fb_grant):
    fb_grant.status = GrantStatus.NEEDS_RECONNECT
    fb_grant.save()
    client = ScriptedGraphClient(friends_pages(3, 3))
    assert friends_sync(grant=fb_grant, client=client).result == SyncResult.NEEDS_RECONNECT
    assert client.tokens == []


@pytest.mark.parametrize(("provider", "scope"), [("facebook", "user_friends"), ("google", CONTACTS_SCOPE)])
def test_scope_declined_at_consent_means_permission_declined_without_calling(provider, scope):
    grant = make_grant(link=LinkFactory(provider=provider), denied_scopes=[scope])
    client = ScriptedGraphClient([]) if provider == "facebook" else ScriptedPeopleClient()

    outcome = friends_sync(grant=grant, client=client)

    assert outcome.result == SyncResult.PERMISSION_DECLINED
    assert state_of(grant).status == SyncStatus.PERMISSION_DECLINED
    assert (client.tokens if provider == "facebook" else client.calls) == []


def test_permission_refused_by_the_api_means_permission_declined(fb_grant):
    client = ScriptedGraphClient([ProviderPermissionError("graph: (#200)", provider="facebook", status=400)])
    assert friends_sync(grant=fb_grant, client=client).result == SyncResult.PERMISSION_DECLINED
    fb_grant.refresh_from_db()
    assert fb_grant.status == GrantStatus.ACTIVE  # the grant is fine, it lacks one permission


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (ProviderRateLimited("slow down", provider="facebook", status=429, retry_after=30), "slow down"),
        (ProviderUnavailable("graph: HTTP 503", provider="facebook", status=503), "HTTP 503"),
    ],
)
def test_provider_trouble_fails_retryably_and_keeps_what_was_stored(fb_grant, error, words):
    friends_sync(grant=fb_grant, client=ScriptedGraphClient(friends_pages(4, 4)))
    outcome = friends_sync(grant=fb_grant, client=ScriptedGraphClient([error]))

    assert outcome.result == SyncResult.FAILED and outcome.retryable
    if isinstance(error, ProviderRateLimited):
        assert outcome.retry_after == 30
    state = state_of(fb_grant)
    assert state.status == SyncStatus.FAILED and words in state.last_error and state.attempts == 1
    assert "fb-token" not in state.last_error
    assert len(uids(fb_grant)) == 4  # nothing deleted on a failed pass
    assert state.last_success_at is not None  # the page still says when it last worked


def test_endless_paging_fails_without_a_quick_retry_and_keeps_what_was_stored(fb_grant):
    friends_sync(grant=fb_grant, client=ScriptedGraphClient(friends_pages(4, 4)))
    looping = [friends_pages(2, 2, start=100)[0], PagingError("cursor repeated", provider="facebook")]

    outcome = friends_sync(grant=fb_grant, client=ScriptedGraphClient(looping))

    assert outcome.result == SyncResult.FAILED and not outcome.retryable
    assert state_of(fb_grant).status == SyncStatus.FAILED
    assert {friend(n).uid for n in range(4)} <= uids(fb_grant)  # nothing deleted


def test_soft_time_limit_leaves_the_state_clean_and_keeps_what_was_stored(fb_grant):
    """Celery raises SoftTimeLimitExceeded inside the task: the state must not stay "syncing"."""
    friends_sync(grant=fb_grant, client=ScriptedGraphClient(friends_pages(4, 4)))
    slow = ScriptedGraphClient([friends_pages(2, 2, start=100)[0], SoftTimeLimitExceeded()])  # type: ignore[list-item]

    with pytest.raises(SoftTimeLimitExceeded):
        friends_sync(grant=fb_grant, client=slow)

    state = state_of(fb_grant)
    assert state.status == SyncStatus.FAILED and state.started_at is None
    assert "took too long" in state.last_error
    assert {friend(n).uid for n in range(4)} <= uids(fb_grant)  # nothing deleted


def test_the_sync_task_has_soft_and_hard_time_limits(settings):
    assert tasks.sync_link.soft_time_limit == settings.FRIENDS_SYNC_SOFT_TIME_LIMIT
    assert tasks.sync_link.time_limit == settings.FRIENDS_SYNC_TIME_LIMIT
    # Soft first (the task cleans up), then hard. A sync killed by the hard limit stops
    # counting as running when its lease (renewed after every page) runs out; one page,
    # a single provider call, fits in the lease many times over.
    assert 0 < tasks.sync_link.soft_time_limit < tasks.sync_link.time_limit
    assert SYNC_LEASE.total_seconds() > 10 * settings.PROVIDER_TIMEOUT


@pytest.mark.parametrize(
    ("outcome", "retries", "countdown"),
    [
        (SyncOutcome("google", SyncResult.FAILED, rate_limited=True, retry_after=7), 0, 7),
        (SyncOutcome("google", SyncResult.FAILED, rate_limited=True), 0, 60),  # no Retry-After
        (SyncOutcome("google", SyncResult.FAILED, rate_limited=True, retry_after=0), 2, 1),
        (SyncOutcome("google", SyncResult.FAILED, rate_limited=True, retry_after=86400), 0, 900),
        (SyncOutcome("google", SyncResult.FAILED), 0, 60),  # provider down: 1, 2, 4, 8 minutes
        (SyncOutcome("google", SyncResult.FAILED), 3, 480),
        (SyncOutcome("google", SyncResult.FAILED), 9, 900),
    ],
)
def test_requeue_countdowns_honour_the_provider_within_bounds(outcome, retries, countdown):
    assert tasks.retry_countdown(outcome, retries) == countdown


# --- one at a time ------------------------------------------------------------------------------


def test_a_sync_running_elsewhere_is_not_started_twice(fb_grant):
    FriendSyncState.objects.create(
        link=fb_grant.social,
        status=SyncStatus.SYNCING,
        started_at=timezone.now(),
        syncing_until=timezone.now() + SYNC_LEASE,
    )
    client = ScriptedGraphClient(friends_pages(3, 3))

    assert friends_sync(grant=fb_grant, client=client).result == SyncResult.ALREADY_RUNNING
    assert client.tokens == []


def test_a_stale_sync_is_taken_over(fb_grant):
    FriendSyncState.objects.create(
        link=fb_grant.social,
        status=SyncStatus.SYNCING,
        started_at=timezone.now() - timedelta(hours=1),
        syncing_until=timezone.now() - timedelta(minutes=1),
    )
    assert (
        friends_sync(grant=fb_grant, client=ScriptedGraphClient(friends_pages(3, 3))).result == SyncResult.OK
    )


# --- cost -------------------------------------------------------------------------------------


def queries_for(grant, client) -> int:
    with CaptureQueriesContext(connection) as captured:
        outcome = friends_sync(grant=grant, client=client)
    assert outcome.result == SyncResult.OK
    return len(captured)


@pytest.mark.parametrize("provider", ["facebook", "google"])
def test_sync_queries_grow_with_pages_not_with_friends(provider):
    def client(pages: int, per_page: int):
        if provider == "facebook":
            return ScriptedGraphClient(friends_pages(pages * per_page, per_page))
        return ScriptedPeopleClient(
            full=contacts_pages([contact(n) for n in range(pages * per_page)], per_page)
        )

    def fresh_grant():
        return make_grant(link=LinkFactory(provider=provider))

    three_small = queries_for(fresh_grant(), client(3, 10))
    three_large = queries_for(fresh_grant(), client(3, 40))
    six_small = queries_for(fresh_grant(), client(6, 10))

    assert three_large == three_small  # four times the friends, same queries
    per_page = (six_small - three_small) / 3
    assert per_page <= 2  # one upsert per page (plus a delete for Google's removed contacts)
    assert three_small <= 8 + 3 * per_page


def friend_writes(captured: CaptureQueriesContext) -> int:
    """Statements that wrote Friend rows (an executemany is logged once, as "N times: …")."""
    insert = re.compile(rf"(\d+ times: )?INSERT INTO {connection.ops.quote_name(Friend._meta.db_table)} ")
    return sum(1 for query in captured.captured_queries if insert.match(query["sql"]))


def test_each_page_is_written_in_one_statement_however_many_people_it_holds(g_grant):
    # Google's largest page is 1,000 contacts; a bulk insert split into batches (SQLite's
    # parameter limit) would write each page in several statements.
    client = ScriptedPeopleClient(full=contacts_pages([contact(n) for n in range(2000)], 1000))

    with CaptureQueriesContext(connection) as captured:
        outcome = friends_sync(grant=g_grant, client=client)

    assert outcome.result == SyncResult.OK and outcome.pages == 2
    assert len(uids(g_grant)) == 2000
    assert friend_writes(captured) == 2


def test_ids_alike_in_their_first_255_characters_are_one_person_the_last_listed(g_grant):
    # The column keeps 255 characters: two ids that differ only after that are one row, and
    # one upsert must not touch that row twice (PostgreSQL refuses the whole statement).
    long_id = "people/c" + "7" * 300
    page = [
        replace(contact(1), resource_name=f"{long_id}a", name="Listed first"),
        replace(contact(2), resource_name=f"{long_id}b", name="Listed last"),
    ]

    outcome = friends_sync(grant=g_grant, client=ScriptedPeopleClient(full=contacts_pages(page, 10)))

    assert outcome.result == SyncResult.OK
    assert names(g_grant) == {long_id[:255]: "Listed last"}


# --- a sync that crashes or dies never stays "syncing" ------------------------------------------


class WorkerKilled(BaseException):
    """Stands for the process dying mid-sync (SIGKILL, a hard time limit): no except clause runs."""


def friends_page_of(client, grant) -> str:
    client.force_login(grant.social.user)
    html = client.get("/friends/").content.decode()
    start = html.index(f'id="friends-{grant.provider}"')
    return html[start : html.index("</section>", start)]


def test_a_sync_that_crashes_is_recorded_as_failed_not_left_syncing(fb_grant, client, caplog):
    crash = ScriptedGraphClient([*friends_pages(2, 2), RuntimeError("an answer nobody foresaw")])

    outcome = friends_sync(grant=fb_grant, client=crash)

    assert outcome.result == SyncResult.FAILED and not outcome.retryable
    state = state_of(fb_grant)
    assert state.status == SyncStatus.FAILED and not state.is_running()
    assert "went wrong on our side" in state.last_error
    assert f"friends sync crashed: provider=facebook link={fb_grant.social_id}" in caplog.text
    part = friends_page_of(client, fb_grant)
    assert 'data-state="failed"' in part and "Try again" in part
    # Nothing holds the row: the next sync starts at once.
    again = friends_sync(grant=fb_grant, client=ScriptedGraphClient(friends_pages(2, 2)))
    assert again.result == SyncResult.OK


def test_a_sync_that_died_holds_its_lease_only_until_it_runs_out(fb_grant, client):
    start = timezone.now()
    with pytest.raises(WorkerKilled):
        friends_sync(
            grant=fb_grant,
            client=ScriptedGraphClient([*friends_pages(2, 2), WorkerKilled()]),
            clock=lambda: start,
        )
    state = state_of(fb_grant)
    assert state.status == SyncStatus.SYNCING and state.syncing_until == start + SYNC_LEASE

    # While the lease lasts it counts as running: no second sync, the page says so.
    assert friends_sync(grant=fb_grant, client=ScriptedGraphClient(friends_pages(2, 2))).result == (
        SyncResult.ALREADY_RUNNING
    )
    assert 'data-state="syncing"' in friends_page_of(client, fb_grant)

    # Past the lease, the page no longer says "syncing" and a new sync can start.
    later = start + SYNC_LEASE + timedelta(seconds=1)
    section = friends_sections_for(fb_grant.social.user, now=later)[0]
    assert section.provider == "facebook" and section.state == DisplayState.FAILED
    outcome = friends_sync(
        grant=fb_grant, client=ScriptedGraphClient(friends_pages(3, 3)), clock=lambda: later
    )
    assert outcome.result == SyncResult.OK
    assert state_of(fb_grant).status == SyncStatus.OK and len(uids(fb_grant)) == 3


def test_each_page_renews_the_lease_of_a_long_sync(fb_grant):
    """A sync longer than one lease keeps it: every stored page pushes the end further."""
    start = timezone.now()
    ticks = [start + n * SYNC_LEASE for n in range(4)]  # each page takes a whole lease
    clock = iter(ticks)
    seen: list = []

    class Watching(ScriptedGraphClient):
        def iter_pages(self, access_token, *, page_size=500):
            for page in super().iter_pages(access_token, page_size=page_size):
                yield page
                seen.append(state_of(fb_grant).syncing_until)  # after the page was stored

    outcome = friends_sync(grant=fb_grant, client=Watching(friends_pages(6, 2)), clock=lambda: next(clock))

    assert outcome.result == SyncResult.OK
    assert seen == [tick + SYNC_LEASE for tick in ticks[1:]]
