"""Background work on grants. Inline when REDIS_URL is unset (CELERY_TASK_ALWAYS_EAGER)."""

from __future__ import annotations

from celery import shared_task

from accounts import login_state, tokens
from accounts.models import ProviderGrant


@shared_task(ignore_result=True)
def refresh_expiring_grants() -> dict[str, int]:
    """Periodic: refresh every grant within its provider's lead time.

    Grants flagged "encryption key missing" are re-checked first: those a configured key
    opens again rejoin the pass; the others are skipped, untouched.
    """
    tokens.grants_recheck_key_missing()
    counts = tokens.grants_refresh(grant_ids=tokens.expiring_grant_ids())
    return {str(result): count for result, count in counts.items()}


@shared_task(ignore_result=True)
def refresh_grant(grant_id: int) -> str:
    grant = ProviderGrant.objects.filter(pk=grant_id).first()
    if grant is None:
        return "gone"
    return str(tokens.grant_refresh(grant=grant))


@shared_task(ignore_result=True)
def clean_login_state() -> dict[str, int]:
    """Periodic: remove abandoned sign-in state and expired sessions."""
    return login_state.stale_clean()
