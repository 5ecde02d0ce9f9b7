"""Background work on grants. Inline when REDIS_URL is unset (CELERY_TASK_ALWAYS_EAGER).

Everything that needs a token is a task here, so in sealed mode it runs on the worker, the
only process that can open one: refresh, revoke on disconnect, "Delete my account", the
admin's "Refresh now" and "Revoke and unlink" (the friends sync is in ``friends.tasks``).
The web queues them and never asks for a token back: a task returns nothing a page needs,
it writes its outcome to the database, where the pages read it.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.result import EagerResult
from django.conf import settings
from django.utils import timezone

from accounts import login_state, services, tokens
from accounts.models import ProviderGrant, User
from accounts.selectors import PENDING_STALE_AFTER
from providers.http.errors import ProviderRateLimited

logger = logging.getLogger(__name__)


def run_or_queue(task: Any, *args: Any) -> bool:
    """Queue ``task``; True when it has already run (tasks inline: no broker, development)."""
    return isinstance(task.apply_async(args=list(args)), EagerResult)

# At most this many grants per run: the beat runs hourly, and few grants are ever at risk.
AT_RISK_BATCH = 1000


@shared_task(ignore_result=True)
def refresh_grants_at_risk() -> dict[str, int]:
    """Periodic: refresh only the refresh tokens that would lapse unused (``tokens.grants_at_risk_ids``).

    Access tokens are never refreshed just to keep them warm: a job refreshes the one it is
    about to use. Grants flagged "encryption key missing" are re-checked first: those a
    configured key opens again rejoin the pass; the others are skipped, untouched.
    """
    tokens.grants_recheck_key_missing()
    counts = tokens.grants_refresh(grant_ids=tokens.grants_at_risk_ids(limit=AT_RISK_BATCH), force=True)
    return {str(result): count for result, count in counts.items()}


@shared_task(bind=True, ignore_result=True, max_retries=4)
def refresh_grant(self: Any, grant_id: int, force: bool = False, admin_user_id: int | None = None) -> str:
    """Refresh one grant (``force``: even if not due). ``admin_user_id``: the admin who pressed
    "Refresh now"; the outcome goes to the grant's admin history under their name.

    The provider's budget spent or the provider pausing us is no failure of the grant: the
    task goes back to the queue with the wait (bounded), and never sleeps in the worker.
    """
    grant = ProviderGrant.objects.filter(pk=grant_id).first()
    if grant is None:
        return "gone"
    try:
        result = str(tokens.grant_refresh(grant=grant, force=force))
    except ProviderRateLimited as error:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            result = "deferred: the provider asks us to wait; the next use refreshes it"
        else:
            wait = float(error.retry_after or settings.PROVIDER_PAUSE_MIN_SECONDS)
            raise self.retry(countdown=min(wait, settings.TASK_MAX_COUNTDOWN)) from error
    if admin_user_id is not None:
        _log_admin_change(admin_user_id, grant, f"Refresh now: {result.replace('_', ' ')}.")
    return result


@shared_task(ignore_result=True)
def disconnect_grant(grant_id: int) -> str:
    """The person pressed Disconnect: revoke at the provider, delete the tokens and the link."""
    grant = ProviderGrant.objects.filter(pk=grant_id).first()
    if grant is None:
        return "gone"
    services.grant_disconnect(grant=grant)
    return "disconnected"


@shared_task(ignore_result=True)
def delete_account(user_id: int) -> str:
    """ "Delete my account": revoke every grant, delete the person and everything theirs."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return "gone"
    services.account_delete(user=user)
    return "deleted"


@shared_task(ignore_result=True)
def revoke_and_unlink(grant_id: int) -> str:
    """Admin "Revoke and unlink": revoke at the provider, remove the grant and the link."""
    grant = ProviderGrant.objects.filter(pk=grant_id).first()
    if grant is None:
        return "gone"
    services.grant_disconnect(grant=grant)
    return "unlinked"


@shared_task(ignore_result=True)
def requeue_stale_pending() -> int:
    """Periodic: queue again the disconnects and unlinks whose task never ran; returns how many.

    Both tasks are safe to run twice (a grant already gone is "gone"), so a late original and
    its copy do no harm.
    """
    # Past PENDING_STALE_AFTER the task was lost (a broker restarted without its messages, a
    # worker killed mid-task).
    cutoff = timezone.now() - PENDING_STALE_AFTER
    stale = ProviderGrant.objects.filter(pending_since__lt=cutoff).exclude(pending_operation="")
    requeued = 0
    for grant_id, operation in stale.values_list("pk", "pending_operation"):
        task = disconnect_grant if operation == services.PENDING_DISCONNECT else revoke_and_unlink
        ProviderGrant.objects.filter(pk=grant_id).update(pending_since=timezone.now())
        task.apply_async(args=[grant_id])
        requeued += 1
    if requeued:
        logger.warning("pending operations queued again (their task never ran): %s", requeued)
    return requeued


def _log_admin_change(user_id: int, grant: ProviderGrant, message: str) -> None:
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    LogEntry.objects.create(
        user_id=user_id,
        content_type=ContentType.objects.get_for_model(ProviderGrant),
        object_id=str(grant.pk),
        object_repr=str(grant)[:200],
        action_flag=CHANGE,
        change_message=message,
    )


@shared_task(ignore_result=True)
def clean_login_state() -> dict[str, int]:
    """Periodic: remove abandoned sign-in state and expired sessions."""
    return login_state.stale_clean()
