"""The Refresh button rations the shared provider quota: a cooldown per person, one sync at a time.

Over real HTTP against the sandbox. Each sync that fetches from the provider logs one
"friends sync ok" line (what an operator counts); tasks run inline here, so a queued sync
has run by the time the page comes back.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from friends.models import SYNC_LEASE, FriendSyncState, SyncStatus
from tests.friends.test_end_to_end import grant_of, section

PRESSES = 5


@pytest.fixture
def fetches(caplog):
    caplog.set_level(logging.INFO, logger="friends.services")

    def count() -> int:
        return sum(1 for record in caplog.records if record.getMessage().startswith("friends sync ok"))

    return count


def press(browser, provider: str = "google"):
    answer = browser.post_form(browser.get("/friends/"), "/friends/refresh/", {"provider": provider})
    assert answer.status_code == 200 and answer.url.endswith("/friends/")
    return answer


def state_of(person) -> FriendSyncState:
    return FriendSyncState.objects.get(link=grant_of(person, "google").social)


def test_pressing_refresh_over_and_over_fetches_once(browser, ada, fetches):
    browser.login("google", ada)
    after_login = fetches()

    answers = [press(browser) for _ in range(PRESSES)]

    assert fetches() == after_login + 1
    assert "Refreshing" in answers[0].text
    for answer in answers[1:]:
        assert "Refreshed just now. Next refresh possible in" in answer.text
    google = section(browser.get("/friends/").text, "google")
    assert "next refresh possible in" in google
    assert ">Refresh</button>" not in google


def test_after_the_cooldown_refresh_fetches_again(browser, ada, fetches):
    browser.login("google", ada)
    press(browser)
    before = fetches()
    state = state_of(ada)  # a few minutes later: the last press and its sync are long past
    FriendSyncState.objects.filter(pk=state.pk).update(
        refresh_requested_at=timezone.now() - timedelta(minutes=3),
        last_attempt_at=timezone.now() - timedelta(minutes=2),
    )

    assert "Refreshing" in press(browser).text
    assert fetches() == before + 1


def test_a_press_while_a_sync_runs_joins_it(browser, ada, fetches):
    browser.login("google", ada)
    before = fetches()
    # A worker is fetching Ada's contacts right now (and holds the sync's lease).
    FriendSyncState.objects.filter(pk=state_of(ada).pk).update(
        status=SyncStatus.SYNCING, started_at=timezone.now(), syncing_until=timezone.now() + SYNC_LEASE
    )

    answer = press(browser)

    assert "A refresh is already on its way" in answer.text
    assert fetches() == before


def test_a_press_while_an_earlier_one_is_still_queued_joins_it(browser, ada, fetches):
    browser.login("google", ada)
    before = fetches()
    # Two minutes ago Ada pressed Refresh; the workers are busy and have not started it yet.
    FriendSyncState.objects.filter(pk=state_of(ada).pk).update(
        refresh_requested_at=timezone.now() - timedelta(minutes=2),
        last_attempt_at=timezone.now() - timedelta(minutes=5),
    )

    answer = press(browser)

    assert "A refresh is already on its way" in answer.text
    assert fetches() == before
