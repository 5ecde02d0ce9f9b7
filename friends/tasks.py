"""Background friends syncs. Inline when REDIS_URL is unset (CELERY_TASK_ALWAYS_EAGER).

Three ways in: after a login commits (``queue_sync_on_commit``, from the pipeline), the
friends page's Refresh button (``queue_sync``), and the beat schedule (``sync_everyone``).
A sync whose grant is gone never retries: only a provider that is down or asks us to
slow down gets a bounded number of retries, spaced out.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from accounts.models import GrantStatus, ProviderGrant
from accounts.tokens import lapsed_q
from friends import services

logger = logging.getLogger(__name__)

MAX_RETRIES = 4
RETRY_BASE_SECONDS = 60  # 1, 2, 4, 8 minutes
# The periodic fan-out spreads the syncs of everyone over at most this many seconds.
FANOUT_WINDOW_SECONDS = 1800
FANOUT_STAGGER_SECONDS = 2.0
# A login does not sync again what was synced this recently.
LOGIN_SYNC_FRESH_SECONDS = 60.0


@shared_task(bind=True, ignore_result=True, max_retries=MAX_RETRIES)
def sync_link(self, link_id: int, unless_synced_within: float | None = None) -> str:  # type: ignore[no-untyped-def]
    """Sync the friends or contacts of one linked account (skipped if synced that many seconds ago)."""
    grant = ProviderGrant.objects.select_related("social").filter(social_id=link_id).first()
    if grant is None:
        return "gone"
    within = timedelta(seconds=unless_synced_within) if unless_synced_within is not None else None
    outcome = services.friends_sync(grant=grant, unless_synced_within=within)
    # Inline (no broker) there is no one to retry later: the page shows "Try again" instead.
    if outcome.retryable and not self.request.is_eager and self.request.retries < self.max_retries:
        countdown = outcome.retry_after or RETRY_BASE_SECONDS * 2**self.request.retries
        raise self.retry(countdown=min(countdown, 3600))
    return str(outcome.result)


@shared_task(ignore_result=True)
def sync_everyone() -> int:
    """Periodic: queue one sync per linked account with a usable grant, staggered."""
    link_ids = list(
        ProviderGrant.objects.filter(
            status=GrantStatus.ACTIVE,
            social__isnull=False,
            provider__in=list(services.FRIENDS_SCOPES),
        )
        .exclude(access_token_ciphertext="")
        .exclude(lapsed_q(timezone.now()))  # an expired Facebook token: nothing to ask Facebook
        .order_by("pk")
        .values_list("social_id", flat=True)
    )
    if not link_ids:
        return 0
    step = min(FANOUT_STAGGER_SECONDS, FANOUT_WINDOW_SECONDS / len(link_ids))
    for index, link_id in enumerate(link_ids):
        queue_sync(link_id, countdown=index * step)
    logger.info("friends sync queued for everyone: links=%s", len(link_ids))
    return len(link_ids)


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
