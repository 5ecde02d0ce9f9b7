"""One request budget per provider app for the whole fleet (socialsite.quota), through Redis.

- Two processes drawing from one provider's budget get the budget once between them, never
  each a budget of their own.
- A 429 heard by one worker pauses that provider for everyone: the next sync, whoever runs
  it, goes back to the queue without calling the provider.
- The broker override: a real worker on RabbitMQ runs a queued sync while Redis stays the
  cache (its budget keys land in Redis).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from urllib.parse import urlsplit

import pytest
import redis
from django.conf import settings

from accounts.models import ProviderGrant
from friends.models import FriendSyncState, SyncStatus
from sandbox import faults
from socialsite import quota
from tests.accounts.test_worker import wait_until
from tests.conftest import require
from tests.worker import BUDGET_PREFIX, QUEUE, ROOT, start_worker

pytestmark = pytest.mark.worker

RABBITMQ_URL = os.environ.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")

# One process of the fleet: take from the Redis budget on a stopped clock (no refill at all,
# so what two processes get together is exactly the bucket's capacity), print what it got.
DRAW = """
import django
django.setup()
from providers.http.errors import ProviderRateLimited
from socialsite import quota
quota.use(quota.RedisBudget(quota.settings.REDIS_URL, clock=lambda: 1_000_000.0))
granted = 0
for _ in range({attempts}):
    try:
        quota.spend("google")
    except ProviderRateLimited as error:
        assert error.scope == "app" and error.retry_after >= 1
    else:
        granted += 1
print(granted)
"""


def draw(prefix: str, attempts: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "socialsite.settings",
        "PROVIDER_BUDGET_PREFIX": prefix,
        "PROVIDER_CALLS_PER_MINUTE": "google=200",  # a burst of 10, then 190 a minute
    }
    return subprocess.Popen(
        [sys.executable, "-c", DRAW.format(attempts=attempts)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_share_one_budget_and_together_never_exceed_it():
    prefix = f"budget:test-{uuid.uuid4().hex[:12]}:"
    capacity, _ = quota.bucket_shape(200)
    processes = [draw(prefix, attempts=40), draw(prefix, attempts=40)]
    results = [process.communicate(timeout=120) for process in processes]

    assert all(process.returncode == 0 for process in processes), [err for _, err in results]
    granted = [int(out.strip()) for out, _ in results]
    assert sum(granted) == capacity == 10  # each alone would have had 10: the bucket is shared


def test_a_429_heard_by_one_worker_pauses_the_provider_for_every_process(
    celery_worker, browser, new_browser, ada, grace, settings
):
    browser.login("facebook", ada)
    graces = new_browser()
    graces.login("facebook", grace)
    assert wait_until(lambda: FriendSyncState.objects.filter(status=SyncStatus.OK).count() == 2), (
        celery_worker.log.read_text()[-3000:]
    )
    faults.arm("facebook", "friends", "rate_limited")  # Graph code 4: no Retry-After
    faults.arm("facebook", "friends", "http_500")  # consumed only if anyone calls Graph again

    browser.post_form(browser.get("/friends/"), "/friends/refresh/", {"provider": "facebook"})

    def slowed(person) -> bool:
        link = ProviderGrant.objects.get(uid=person.facebook_id).social
        state = FriendSyncState.objects.get(link=link)
        return "slow down" in state.last_error

    assert wait_until(lambda: slowed(ada)), celery_worker.log.read_text()[-3000:]
    # Grace's sync is another task, and nothing about her account is wrong.
    graces.post_form(graces.get("/friends/"), "/friends/refresh/", {"provider": "facebook"})
    assert wait_until(lambda: slowed(grace)), celery_worker.log.read_text()[-3000:]

    assert [fault.mode for fault in faults.armed()] == ["http_500"]  # Graph was not called again
    settings.PROVIDER_BUDGET_PREFIX = BUDGET_PREFIX  # the worker's keys: this process sees the pause
    assert quota.paused_for("facebook") >= 30
    assert "friends sync requeued" in celery_worker.log.read_text() or "retry" in (
        celery_worker.log.read_text().lower()
    )


def test_a_worker_on_rabbitmq_runs_syncs_while_redis_stays_the_cache(sandbox_server, browser, ada):
    from kombu import Connection

    try:
        with Connection(RABBITMQ_URL, connect_timeout=3) as probe:
            probe.ensure_connection(max_retries=1)
            reachable = True
    except Exception:
        reachable = False
    require(reachable, f"RabbitMQ does not answer at {urlsplit(RABBITMQ_URL).hostname} (set RABBITMQ_URL)")
    queue = f"{QUEUE}-rabbitmq"
    worker = start_worker(
        sandbox_server.url, broker_url=RABBITMQ_URL, name="celery-worker-rabbitmq", CELERY_QUEUE=queue
    )
    try:
        browser.login("google", ada)
        link_id = ProviderGrant.objects.get(provider="google").social_id
        FriendSyncState.objects.filter(link_id=link_id).update(status=SyncStatus.NEVER_SYNCED)
        from friends.tasks import sync_link
        from socialsite.celery import app

        with app.connection_for_write(RABBITMQ_URL) as connection:
            sync_link.apply_async(args=[link_id], connection=connection, queue=queue)

        assert wait_until(
            lambda: FriendSyncState.objects.filter(link_id=link_id, status=SyncStatus.OK).exists(), timeout=60
        ), worker.log.read_text()[-3000:]
        log = worker.log.read_text()
        assert "Connected to amqp://guest:**@127.0.0.1:5672//" in log
        cache = redis.Redis.from_url(settings.REDIS_URL)
        assert cache.exists(f"{BUDGET_PREFIX}google:bucket")  # the budget the worker drew from
    finally:
        worker.stop()
