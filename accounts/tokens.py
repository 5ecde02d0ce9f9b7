"""One way to get a usable access token: ``access_token_for``.

Every caller (friends sync, admin action, task) asks here. It refreshes ahead of expiry
where the provider lets a server do so (Google: refresh-token grant) and reports a grant
that is gone by raising ``NoUsableToken`` after marking the link "needs reconnect".

Facebook has no server-side refresh. Its short-lived login token is exchanged once, at
sign-in, for a long-lived one (about 60 days); Graph does not extend a long-lived token
sent back to ``fb_exchange_token``, and after it "the person will have to go through the
login flow again" (Meta's SDKs refresh tokens of active people; a server has no SDK):
https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived
https://developers.facebook.com/docs/facebook-login/auth-vs-data/
So a Facebook grant is never refreshed here: pages show when its access ends and offer
"Keep Facebook connected" (a new sign-in) in its last stretch; once it has lapsed, nothing
asks Facebook with it any more and the link shows "Reconnect".

Concurrency: a refresh first claims the grant's lease with one conditional UPDATE (the
row's lock is held for that statement), then calls the provider *outside* any transaction
(a database transaction held open across a slow HTTP call would stall PostgreSQL and lock
SQLite whole), then writes back only while it still holds the lease. A second worker that
finds the lease taken waits for it to end and uses the token the first one stored, so two
workers never refresh the same grant, and a rotated Google refresh token is never
overwritten by a stale one.

Keys: a ciphertext this process cannot open is never a reason to delete anything (the key
may only be missing from this process). The grant is marked ``key_missing_since`` once,
skipped by background work, and re-checked every beat until a key opens it again. A
refresh writes *both* tokens back under the newest key, so a refresh that overlaps
``rotate_token_keys`` cannot leave a token under a key about to be removed.
"""

from __future__ import annotations

import enum
import logging
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from accounts.exceptions import NoUsableToken, TokenKeyMissing
from accounts.expiry import expires_at_from
from accounts.models import GrantStatus, ProviderGrant
from providers import registry
from providers.http.errors import ProviderAuthError, ProviderError, ProviderRateLimited

logger = logging.getLogger(__name__)


def refresh_ahead() -> dict[str, timedelta]:
    """How long before expiry to refresh, for each provider package that lets a server refresh.

    A provider whose tokens only a new sign-in renews is absent (``Provider.refresh_ahead``).
    Every package counts, enabled or not: a provider left out of ``SOCIALSITE_PROVIDERS`` (on
    one process, or for a while) still refreshes its tokens when it comes back, so its grants
    must never look "renewed by sign-in only" and be taken for lapsed.
    """
    providers = (registry.any_provider(name) for name in registry.available_names())
    return {p.name: p.refresh_ahead for p in providers if p.refresh_ahead is not None}

LEASE_SECONDS = 30
WAIT_STEP_SECONDS = 0.1


class RefreshResult(enum.StrEnum):
    REFRESHED = "refreshed"
    STILL_VALID = "still_valid"
    NEEDS_RECONNECT = "needs_reconnect"
    FAILED = "failed"
    # No configured key opens a token of the grant: skipped, nothing written.
    KEY_MISSING = "key_missing"
    # An unexpected exception (a bug, a database hiccup): logged with the grant id, batch goes on.
    ERROR = "error"


def needs_refresh(grant: ProviderGrant, *, now: datetime | None = None) -> bool:
    """True when the grant's access token is due for a refresh the provider lets us do."""
    ahead = refresh_ahead().get(grant.provider)
    if grant.expires_at is None or ahead is None:
        return False
    return grant.expires_at - (now or timezone.now()) <= ahead


def renews_by_sign_in_only(provider: str) -> bool:
    """True for a provider whose tokens only a new sign-in renews (its ``refresh_ahead`` is None)."""
    return provider not in refresh_ahead()


def has_lapsed(grant: ProviderGrant, *, now: datetime | None = None) -> bool:
    """True when a grant only a new sign-in renews is past its expiry: it cannot be used any more."""
    return (
        renews_by_sign_in_only(grant.provider)
        and grant.expires_at is not None
        and grant.expires_at <= (now or timezone.now())
    )


def lapsed_q(now: datetime) -> Q:
    """``has_lapsed`` as a query filter."""
    return ~Q(provider__in=list(refresh_ahead())) & Q(expires_at__lte=now)


LAPSED_REASON = "expired: only signing in again renews this access"


def access_token_for(grant: ProviderGrant) -> str:
    """A valid access token for ``grant``, refreshed first when it is about to expire.

    Raises ``NoUsableToken`` when there is none (the link then shows "needs reconnect").
    A provider that is down is not a lost grant: while the stored token has not expired
    it is still handed out, otherwise ``ProviderError`` propagates to the caller.
    """
    if grant.status != GrantStatus.ACTIVE:
        raise NoUsableToken(f"{grant.provider} link needs reconnecting")
    if has_lapsed(grant):
        # Nothing to ask the provider: an expired Facebook token cannot be renewed by us.
        grant_mark_needs_reconnect(grant=grant, reason=LAPSED_REASON)
        raise NoUsableToken(f"{grant.provider} access has ended: {LAPSED_REASON}")
    if needs_refresh(grant):
        result = grant_refresh(grant=grant)
        if result != RefreshResult.REFRESHED:
            grant.refresh_from_db()
        if result == RefreshResult.NEEDS_RECONNECT:
            raise NoUsableToken(f"{grant.provider} grant is gone: {grant.last_error}")
        if result == RefreshResult.KEY_MISSING:
            raise TokenKeyMissing(f"{grant.provider} token: no configured key opens it")
        remaining = grant.expires_in()
        if result == RefreshResult.FAILED and remaining is not None and remaining <= 0:
            raise ProviderError(grant.last_error or "refresh failed", provider=grant.provider)
    try:
        token = grant.get_access_token()
    except TokenKeyMissing:
        grant_mark_key_missing(grant=grant)
        raise
    if grant.key_missing_since is not None and not grant.unopenable_fields():
        grant_mark_key_found(grant=grant)
    return token


def grant_refresh(*, grant: ProviderGrant, force: bool = False) -> RefreshResult:
    """Refresh one grant now if it needs it (or ``force``), holding its lease while doing so.

    Two queries when it refreshes: the claim, and the write-back that also releases the lease.
    The claim is a compare-and-set on what this process holds (status, refresh-token
    ciphertext, and unless ``force`` an expiry within the lead time), so winning it also
    proves ``grant`` is current and needs no re-read. On success ``grant`` holds what was
    written. Losing the claim costs a re-read: someone holds the lease (wait for it, then
    use their token) or the row changed (refreshed or rotated meanwhile: look again once).
    """
    usable = grant.status == GrantStatus.ACTIVE and not has_lapsed(grant)
    if not force and usable and not needs_refresh(grant):
        return RefreshResult.STILL_VALID
    lease = _claim_lease(grant, force=force)
    if lease is None:
        grant.refresh_from_db()
        if grant.refresh_lease_until is not None and grant.refresh_lease_until >= timezone.now():
            _wait_for_lease(grant)
            grant.refresh_from_db()
        elif grant.status == GrantStatus.ACTIVE and (force or needs_refresh(grant)):
            lease = _claim_lease(grant, force=force)  # the row had changed under us: once more
        if lease is None:
            if grant.status != GrantStatus.ACTIVE:
                return RefreshResult.NEEDS_RECONNECT
            return RefreshResult.STILL_VALID
    try:
        if has_lapsed(grant):
            grant_mark_needs_reconnect(grant=grant, reason=LAPSED_REASON)
            return RefreshResult.NEEDS_RECONNECT
        result = _refresh_holding_lease(grant, lease)
    except BaseException:
        _release_lease(grant, lease)
        raise
    if result != RefreshResult.REFRESHED:
        _release_lease(grant, lease)
    return result


def _release_lease(grant: ProviderGrant, lease: str) -> None:
    ProviderGrant.objects.filter(pk=grant.pk, refresh_lease_id=lease).update(
        refresh_lease_id="", refresh_lease_until=None
    )


def grant_mark_needs_reconnect(
    *, grant: ProviderGrant, reason: str, status: GrantStatus = GrantStatus.NEEDS_RECONNECT
) -> None:
    """The grant is gone at the provider: delete its tokens and show "Reconnect".

    ``status`` says which kind of reconnect (``DATA_ACCESS_EXPIRED``: Facebook wants the
    person to confirm access again, with ``auth_type=reauthorize``).
    """
    grant.forget_tokens()
    grant.status = status
    grant.last_error = reason[:255]
    grant.save(
        update_fields=[
            "access_token_ciphertext",
            "refresh_token_ciphertext",
            "expires_at",
            "status",
            "last_error",
            "updated_at",
        ]
    )
    logger.info(
        "grant needs reconnect: provider=%s uid=%s status=%s reason=%s",
        grant.provider,
        grant.uid,
        status,
        reason,
    )


def grant_mark_key_missing(*, grant: ProviderGrant) -> None:
    """No configured key opens a token of ``grant``: keep every ciphertext, flag it, log it once."""
    now = timezone.now()
    flagged = ProviderGrant.objects.filter(pk=grant.pk, key_missing_since__isnull=True).update(
        key_missing_since=now
    )
    if flagged:
        grant.key_missing_since = now
        logger.error(
            "grant unreadable, encryption key missing: grant=%s provider=%s uid=%s "
            "(ciphertext kept; add the key that wrote it back to TOKEN_ENCRYPTION_KEYS)",
            grant.pk,
            grant.provider,
            grant.uid,
        )


def grant_mark_key_found(*, grant: ProviderGrant) -> None:
    """A configured key opens ``grant``'s tokens again: back to normal service."""
    cleared = ProviderGrant.objects.filter(pk=grant.pk, key_missing_since__isnull=False).update(
        key_missing_since=None
    )
    grant.key_missing_since = None
    if cleared:
        logger.info("grant readable again: grant=%s provider=%s uid=%s", grant.pk, grant.provider, grant.uid)


def grants_recheck_key_missing() -> int:
    """Re-check every grant flagged ``key_missing_since``; returns how many are readable again.

    Run by the beat before each refresh pass, so restoring a key restores service without
    anyone editing the database.
    """
    recovered = 0
    for grant in ProviderGrant.objects.filter(key_missing_since__isnull=False).iterator(chunk_size=500):
        if not grant.unopenable_fields():
            grant_mark_key_found(grant=grant)
            recovered += 1
    return recovered


def _claim_lease(grant: ProviderGrant, *, force: bool) -> str | None:
    now = timezone.now()
    lease = secrets.token_hex(8)
    claimable = ProviderGrant.objects.filter(
        Q(refresh_lease_until__isnull=True) | Q(refresh_lease_until__lt=now),
        pk=grant.pk,
        status=GrantStatus.ACTIVE,
        refresh_token_ciphertext=grant.refresh_token_ciphertext,
    )
    ahead = refresh_ahead().get(grant.provider)
    if not force and ahead is not None:
        claimable = claimable.filter(expires_at__lte=now + ahead)
    until = now + timedelta(seconds=LEASE_SECONDS)
    claimed = claimable.update(refresh_lease_id=lease, refresh_lease_until=until)
    return lease if claimed else None


def _wait_for_lease(grant: ProviderGrant) -> None:
    deadline = time.monotonic() + LEASE_SECONDS
    while time.monotonic() < deadline:
        held = ProviderGrant.objects.filter(pk=grant.pk, refresh_lease_until__gte=timezone.now()).exists()
        if not held:
            return
        time.sleep(WAIT_STEP_SECONDS)


def _refresh_holding_lease(grant: ProviderGrant, lease: str) -> RefreshResult:
    try:
        provider = registry.find(grant.provider)
        if provider is None or not provider.can_refresh:
            # Only a new sign-in renews this provider's tokens: nothing to ask it.
            return RefreshResult.STILL_VALID
        answer = provider.refresh(grant)
    except TokenKeyMissing:
        # This process lacks the key: an operator fault, not a lost grant. Touch nothing.
        grant_mark_key_missing(grant=grant)
        return RefreshResult.KEY_MISSING
    except NoUsableToken as error:
        grant_mark_needs_reconnect(grant=grant, reason=str(error))
        return RefreshResult.NEEDS_RECONNECT
    except ProviderAuthError as error:
        grant_mark_needs_reconnect(grant=grant, reason=f"{error.code}: {error}")
        return RefreshResult.NEEDS_RECONNECT
    except ProviderRateLimited:
        # The app's budget or the provider's quota: nothing is wrong with the grant. The
        # caller (a task) requeues itself with the wait the error names.
        raise
    except ProviderError as error:
        ProviderGrant.objects.filter(pk=grant.pk).update(last_error=f"{error.code}: {error}"[:255])
        logger.warning("refresh failed: provider=%s uid=%s error=%s", grant.provider, grant.uid, error.code)
        return RefreshResult.FAILED

    grant.set_access_token(answer.access_token)
    if answer.refresh_token:
        grant.set_refresh_token(answer.refresh_token)
    else:
        # Kept, but re-encrypted under the newest key: a rotation that already passed this
        # row must not find it under an old key again once we write back.
        grant.reseal_tokens()
    now = timezone.now()
    fields = {
        "access_token_ciphertext": grant.access_token_ciphertext,
        "refresh_token_ciphertext": grant.refresh_token_ciphertext,
        "expires_at": expires_at_from(answer.expires_in, now=now),
        "last_refreshed_at": now,
        "last_error": "",
        "key_missing_since": None if not grant.unopenable_fields() else grant.key_missing_since,
        "updated_at": now,
    }
    # Write back only while still holding the lease: a lease that expired meanwhile
    # (very slow provider) belongs to someone else now, whose result wins. The same UPDATE
    # releases the lease.
    written = ProviderGrant.objects.filter(pk=grant.pk, refresh_lease_id=lease).update(
        **fields, refresh_lease_id="", refresh_lease_until=None
    )
    if not written:
        grant.refresh_from_db()
        return RefreshResult.STILL_VALID
    for name, value in fields.items():
        setattr(grant, name, value)
    grant.refresh_lease_id, grant.refresh_lease_until = "", None
    return RefreshResult.REFRESHED


def expiring_grant_ids(*, within: timedelta | None = None, now: datetime | None = None) -> list[int]:
    """Ids of active grants due for refresh, soonest first (served by the expires_at index).

    ``within`` widens every provider's window; by default each provider's own lead time applies.
    """
    now = now or timezone.now()
    # Lapsed grants of sign-in-only providers are "due" too: refreshing one marks it
    # "needs reconnect" without calling the provider.
    due = lapsed_q(now)
    for provider, ahead in refresh_ahead().items():
        due |= Q(provider=provider, expires_at__lte=now + max(ahead, within or timedelta(0)))
    return list(
        ProviderGrant.objects.filter(due, status=GrantStatus.ACTIVE, key_missing_since__isnull=True)
        .exclude(access_token_ciphertext="")
        .order_by("expires_at")
        .values_list("pk", flat=True)
    )


def grants_at_risk_ids(*, now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Ids of active grants the beat must act on, at most ``limit``, oldest use first.

    Access tokens are refreshed only when a job is about to use them (``access_token_for``).
    What the beat refreshes is a refresh token that would expire from disuse: one not used
    for ``REFRESH_TOKEN_IDLE_DAYS[provider]`` days (Google drops refresh tokens unused for six
    months). An account synced on schedule uses its refresh token every week at least, so
    this catches only grants nothing else uses. Lapsed grants of sign-in-only providers are
    included: "refreshing" one marks it "needs reconnect" without calling the provider.
    """
    now = now or timezone.now()
    due = lapsed_q(now)
    for provider, days in settings.REFRESH_TOKEN_IDLE_DAYS.items():
        idle_since = now - timedelta(days=days)
        used_long_ago = Q(last_refreshed_at__lt=idle_since) | Q(
            last_refreshed_at__isnull=True, created_at__lt=idle_since
        )
        due |= Q(provider=provider) & ~Q(refresh_token_ciphertext="") & used_long_ago
    return list(
        ProviderGrant.objects.filter(due, status=GrantStatus.ACTIVE, key_missing_since__isnull=True)
        .exclude(access_token_ciphertext="")
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def grants_refresh(
    *,
    grant_ids: list[int],
    force: bool = False,
    batch_size: int = 100,
    on_grant: Callable[[RefreshResult], None] | None = None,
) -> dict[RefreshResult, int]:
    """Refresh the given grants in batches; returns a count per ``RefreshResult``.

    One grant that fails unexpectedly is logged with its id and counted as ``ERROR``; the
    others are refreshed all the same.
    """
    counts = {result: 0 for result in RefreshResult}
    for start in range(0, len(grant_ids), batch_size):
        for grant in ProviderGrant.objects.filter(pk__in=grant_ids[start : start + batch_size]):
            try:
                result = grant_refresh(grant=grant, force=force)
            except ProviderRateLimited:
                # The provider's budget is spent or it is paused: the next pass tries again.
                logger.warning("refresh deferred, provider busy: grant=%s %s", grant.pk, grant.provider)
                result = RefreshResult.FAILED
            except Exception:
                logger.exception("refresh crashed: grant=%s provider=%s", grant.pk, grant.provider)
                result = RefreshResult.ERROR
            counts[result] += 1
            if on_grant is not None:
                on_grant(result)
    return counts
