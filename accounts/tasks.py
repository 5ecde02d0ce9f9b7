"""Background work on grants. Inline when REDIS_URL is unset (CELERY_TASK_ALWAYS_EAGER)."""

from __future__ import annotations

from celery import shared_task

from accounts import login_state, tokens
from accounts.models import ProviderGrant

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
