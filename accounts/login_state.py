"""Sign-ins that were started and never finished: bounded per session, cleaned on a schedule.

Each "Continue with …" leaves state behind until its callback comes back: in the session,
social-core's transaction (state, PKCE verifier, OpenID nonce) and an index of them; in the
database, a ``Nonce`` row per state and, for OpenID Connect, an ``Association`` row holding
the nonce. A callback consumes its own; abandoned ones stay. ``pending_trim`` keeps the
newest few per provider and session (a crawler posting the form in a loop cannot grow one
session or the tables), and ``stale_clean`` (hourly on the worker, and
``manage.py clean_login_state``) removes what is left of abandoned sign-ins and expired
sessions.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone
from social_django.models import Association, Code, Nonce, Partial

# Partial pipelines and email codes wait for a person; a day is plenty (socialsite uses neither).
PARTIAL_MAX_AGE = timedelta(days=1)


def pending_trim(backend: Any, *, keep: int) -> int:
    """Keep the newest ``keep`` pending sign-ins of ``backend`` in this session; forget the others.

    Forgetting one removes its session entry and its database rows; its callback, should it
    still come, gets the "sign-in link has expired" page. Returns how many were dropped.
    """
    keep = max(keep, 1)
    strategy = backend.strategy
    index_key = backend._transaction_index_key()
    index = strategy.session_get(index_key)
    if not isinstance(index, dict) or len(index) <= keep:
        return 0
    states = list(index)  # insertion order: oldest first
    dropped, kept = states[:-keep], states[-keep:]
    for state in dropped:
        strategy.session_pop(backend.transaction_key(state))
    strategy.session_set(index_key, {state: index[state] for state in kept})
    Nonce.objects.filter(server_url=backend._nonce_scope(), salt__in=dropped).delete()
    # OpenID Connect keeps the nonce in an association whose assoc_type is the state.
    Association.objects.filter(assoc_type__in=dropped).delete()
    return len(dropped)


def stale_clean(*, now: datetime | None = None) -> dict[str, int]:
    """Delete abandoned sign-in state and expired sessions; returns the rows removed per kind."""
    now = now or timezone.now()
    epoch = int(now.timestamp())
    return {
        # A state is good for STATE_LIFETIME (30 minutes); LOGIN_STATE_MAX_AGE is past that.
        "nonces": Nonce.objects.filter(timestamp__lt=epoch - settings.LOGIN_STATE_MAX_AGE).delete()[0],
        "associations": Association.cleanup_expired(now=epoch),
        "partials": Partial.objects.filter(timestamp__lt=now - PARTIAL_MAX_AGE).delete()[0],
        "codes": Code.objects.filter(verified=False, timestamp__lt=now - PARTIAL_MAX_AGE).delete()[0],
        # What `manage.py clearsessions` does for the database session engine.
        "sessions": Session.objects.filter(expire_date__lt=now).delete()[0],
    }
