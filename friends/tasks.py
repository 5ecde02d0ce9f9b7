"""Background friends syncs. Inline when REDIS_URL is unset (CELERY_TASK_ALWAYS_EAGER).

Three ways in: after a login commits (``queue_sync_on_commit``, from the pipeline), the
friends page's Refresh button (``queue_sync``), both on the default queue, never behind the
schedule's backlog; and the beat's tick (``sync_due``), which queues the accounts whose own "next
sync at" has come (``friends.schedule``) on the scheduled queue. A sync whose grant is gone
never retries: only a provider that is down gets a bounded number of retries, spaced out.

Waiting never holds a worker: a throttled sync ends at once and is queued again with a
countdown: the provider's ``Retry-After`` or the wait the fleet's budget names
(``socialsite.quota``), else at least a minute, and never more than ``TASK_MAX_COUNTDOWN``
(inside the broker's visibility timeout). A grant with its own limit (scope "user") is not
requeued: its next sync is set to when the limit resets. Google's People API quotas are
counted per minute (they show in the Cloud console, not in the docs), and Google's
troubleshooting page asks for at least 30 seconds before retrying a 429:
https://cloud.google.com/service-usage/docs/troubleshooting
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from functools import partial

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction

from accounts.models import ProviderGrant
from friends import schedule, services

logger = logging.getLogger(__name__)

MAX_RETRIES = 4
# A provider that is busy (budget spent, or 429) sends a sync back to the queue this many times
# at most; after that the account's next scheduled sync will come anyway.
RATE_LIMITED_MAX_REQUEUES = 12
RETRY_BASE_SECONDS = 60  # 1, 2, 4, 8 minutes
# A 429 without Retry-After waits this long at least: Google's quotas are per minute.
RATE_LIMITED_MIN_SECONDS = 60
# A login does not sync again what was synced this recently.
LOGIN_SYNC_FRESH_SECONDS = 60.0


def retry_countdown(outcome: services.SyncOutcome, retries: int) -> float:
    """Seconds before the next attempt of a retryable sync that has been retried ``retries`` times."""
    if outcome.rate_limited:
        wait = outcome.retry_after if outcome.retry_after is not None else RATE_LIMITED_MIN_SECONDS
    else:
        wait = RETRY_BASE_SECONDS * 2**retries
    return max(1.0, min(float(wait), settings.TASK_MAX_COUNTDOWN))


@shared_task(
    bind=True,
    ignore_result=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=settings.FRIENDS_SYNC_SOFT_TIME_LIMIT,
    time_limit=settings.FRIENDS_SYNC_TIME_LIMIT,
)
def sync_link(  # type: ignore[no-untyped-def]
    self, link_id: int, unless_synced_within: float | None = None, scheduled: bool = False
) -> str:
    """Sync the friends or contacts of one linked account (skipped if synced that many seconds ago).

    ``scheduled``: queued by the tick, which has already set the next sync; a sync a person
    asked for (sign-in, Refresh) restarts the account's schedule from now.
    """
    grant = ProviderGrant.objects.select_related("social").filter(social_id=link_id).first()
    if grant is None:
        return "gone"
    within = timedelta(seconds=unless_synced_within) if unless_synced_within is not None else None
    try:
        outcome = services.friends_sync(grant=grant, unless_synced_within=within)
    except SoftTimeLimitExceeded:
        # friends_sync has already recorded the failure; the schedule will try again.
        logger.warning("friends sync hit its time limit: link=%s", link_id)
        return "timed_out"
    if not scheduled and outcome.result != services.SyncResult.UP_TO_DATE:
        schedule.reschedule(link_id=link_id)
    if apply_grant_limit(link_id=link_id, outcome=outcome):
        return "deferred"
    # Without a broker (tasks inline, in the request that asked) nothing can wait for a
    # countdown: the page shows "Try again" instead.
    inline = bool(self.app.conf.task_always_eager)
    if outcome.rate_limited and not inline and self.request.retries < RATE_LIMITED_MAX_REQUEUES:
        # The app's budget or a 429: back in the queue with a countdown (the provider is
        # busy, nothing is wrong with this account), more times than for a failure.
        raise self.retry(
            countdown=retry_countdown(outcome, self.request.retries), max_retries=RATE_LIMITED_MAX_REQUEUES
        )
    if outcome.retryable and not inline and self.request.retries < self.max_retries:
        raise self.retry(countdown=retry_countdown(outcome, self.request.retries))
    return str(outcome.result)


def apply_grant_limit(*, link_id: int, outcome: services.SyncOutcome) -> bool:
    """A limit of this grant's own (scope "user"): its next sync waits for the reset, nobody
    else does, and the task is not requeued. True when that was the case."""
    if outcome.grant_wait_until is None:
        return False
    schedule.defer(link_id=link_id, until=datetime.fromtimestamp(outcome.grant_wait_until, tz=UTC))
    logger.info("friends sync deferred to the grant's limit reset: link=%s", link_id)
    return True


@shared_task(ignore_result=True)
def sync_due() -> dict[str, object]:
    """Periodic (the beat's tick): queue the syncs of the accounts now due, a bounded batch.

    See ``friends.schedule``: claims are safe against a second tick, the batch follows each
    provider's budget, and the report (also logged) carries the backlog.
    """
    return schedule.tick(providers=services.friends_providers(), enqueue=queue_scheduled_sync).as_dict()


def queue_scheduled_sync(link_id: int) -> None:
    """Queue a sync the schedule claimed, on the scheduled queue (apart from people's own)."""
    sync_link.apply_async(args=[link_id], kwargs={"scheduled": True}, queue=settings.FRIENDS_SCHEDULED_QUEUE)


def queue_sync(link_id: int, *, countdown: float = 0, unless_synced_within: float | None = None) -> None:
    """Queue a sync of one linked account (runs now, inline, without a broker)."""
    kwargs = {"unless_synced_within": unless_synced_within} if unless_synced_within is not None else {}
    sync_link.apply_async(args=[link_id], kwargs=kwargs, countdown=countdown or None)


def queue_sync_on_commit(link_id: int) -> None:
    """Queue the sync once the current transaction commits (the login's), never before.

    A person signing in again within a minute of a sync does not need another one.
    ``robust``: a broker that is down must not turn a successful login into an error page.
    """
    transaction.on_commit(
        partial(queue_sync, link_id, unless_synced_within=LOGIN_SYNC_FRESH_SECONDS), robust=True
    )
