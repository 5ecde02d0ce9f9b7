"""A sign-in queues a friends sync on Redis; a real Celery worker process runs it."""

from __future__ import annotations

import pytest

from friends.models import Friend, FriendSyncState, SyncStatus
from tests.accounts.test_worker import wait_until

pytestmark = pytest.mark.worker


def test_sign_in_queues_a_sync_that_the_worker_runs(celery_worker, browser, ada):
    browser.login("google", ada)  # the login commits, then queues the sync (not run here)

    synced = wait_until(lambda: FriendSyncState.objects.filter(status=SyncStatus.OK).exists())

    assert synced, celery_worker.log.read_text()[-3000:]
    assert Friend.objects.count() >= 1
    page = browser.get("/friends/")
    assert "Last synced" in page.text
