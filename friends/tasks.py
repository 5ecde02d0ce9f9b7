"""Background friends syncs. Inline when REDIS_URL is unset (CELERY_TASK_ALWAYS_EAGER).

Three ways in: after a login commits (``queue_sync_on_commit``, from the pipeline), the
friends page's Refresh button (``queue_sync``), and the beat schedule (``sync_everyone``).
A sync whose grant is gone never retries: only a provider that is down or asks us to
slow down gets a bounded number of retries, spaced out.

Waiting never holds a worker: a throttled sync ends at once and the task re-queues itself
with a countdown (Celery's ``retry``): the provider's ``Retry-After`` when it gives one,
else at least a minute. Google's People API quotas are counted per minute (they show in
the Cloud console, not in the docs), and Google's troubleshooting page asks for at least
30 seconds before retrying a 429: https://cloud.google.com/service-usage/docs/troubleshooting
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import GrantStatus, ProviderGrant
from accounts.tokens import lapsed_q
from friends import services

logger = logging.getLogger(__name__)

MAX_RETRIES = 4
RETRY_BASE_SECONDS = 60  # 1, 2, 4, 8 minutes
# A 429 without Retry-After waits this long at least: Google's quotas are per minute.
RATE_LIMITED_MIN_SECONDS = 60
# No countdown is longer than this, whatever a provider asks for: the next scheduled sync
# will come anyway.
MAX_COUNTDOWN_SECONDS = 15 * 60
# The periodic fan-out spreads the syncs of everyone over at most this many seconds.
FANOUT_WINDOW_SECONDS = 1800
FANOUT_STAGGER_SECONDS = 2.0
# A login does not sync again what was synced this recently.
LOGIN_SYNC_FRESH_SECONDS = 60.0
FANOUT_BATCH = 500


def retry_countdown(outcome: services.SyncOutcome, retries: int) -> float:
    """Seconds before the next attempt of a retryable sync that has been retried ``retries`` times."""
    if outcome.rate_limited:
        wait = outcome.retry_after if outcome.retry_after is not None else RATE_LIMITED_MIN_SECONDS
    else:
        wait = RETRY_BASE_SECONDS * 2**retries
    return max(1.0, min(float(wait), MAX_COUNTDOWN_SECONDS))


@shared_task(
    bind=True,
    ignore_result=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=settings.FRIENDS_SYNC_SOFT_TIME_LIMIT,
    time_limit=settings.FRIENDS_SYNC_TIME_LIMIT,
)
def sync_link(self, link_id: int, unless_synced_within: float | None = None) -> str:  # type: ignore[no-untyped-def]
    """Sync the friends or contacts of one linked account (skipped if synced that many seconds ago)."""
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
    # Without a broker (tasks inline, in the request that asked) nothing can wait for a
    # countdown: the page shows "Try again" instead.
    inline = bool(self.app.conf.task_always_eager)
    if outcome.retryable and not inline and self.request.retries < self.max_retries:
        raise self.retry(countdown=retry_countdown(outcome, self.request.retries))
    return str(outcome.result)


@shared_task(ignore_result=True)
def sync_everyone() -> int:
    """Periodic: queue one sync per linked account with a usable grant, staggered.

    Grants flagged "encryption key missing" are skipped, untouched. Links are read in
    batches of ``FANOUT_BATCH``; one that cannot be queued (or, inline, whose sync crashes)
    is logged with its id and the others are queued all the same. Returns how many were.
    """
    grants = (
        ProviderGrant.objects.filter(
            status=GrantStatus.ACTIVE,
            social__isnull=False,
            provider__in=services.friends_providers(),
            key_missing_since__isnull=True,
        )
        .exclude(access_token_ciphertext="")
        .exclude(lapsed_q(timezone.now()))  # an expired Facebook token: nothing to ask Facebook
        .order_by("pk")
    )
    total = grants.count()
    if not total:
        return 0
    step = min(FANOUT_STAGGER_SECONDS, FANOUT_WINDOW_SECONDS / total)
    queued = failed = index = last_pk = 0
    while batch := list(grants.filter(pk__gt=last_pk).values_list("pk", "social_id")[:FANOUT_BATCH]):
        last_pk = batch[-1][0]
        for _pk, link_id in batch:
            try:
                queue_sync(link_id, countdown=index * step)
            except Exception:
                logger.exception("friends sync could not run: link=%s", link_id)
                failed += 1
            else:
                queued += 1
            index += 1
    logger.info("friends sync queued for everyone: links=%s failed=%s", queued, failed)
    return queued


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
