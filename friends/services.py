"""Writes: fetch a linked account's friends or contacts from its provider and store them.

``friends_sync(grant=...)`` is the one entry point (tasks, the management command and the
benchmarks call it). It never raises a provider error: it records what happened on the
account's ``FriendSyncState`` and returns a ``SyncOutcome`` saying whether trying again
later could help.

Cost: a full sync writes each page with one statement, an upsert of plain tuples (no model
instances), and, at the end, deletes in one query every row the sync did not stamp. The
number of queries grows with the number of pages, never with the number of friends; the
sync's own time stays within 2x of decoding the pages and ``COPY``-ing them into an empty
copy of the table (``make bench`` measures both). Provider calls run outside any transaction.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Field, Q
from django.utils import timezone
from social_django.models import UserSocialAuth

from accounts.exceptions import NoUsableToken, TokenKeyMissing
from accounts.models import GrantStatus, ProviderGrant
from accounts.scopes import scope_in
from accounts.tokens import RefreshResult, access_token_for, grant_mark_needs_reconnect, grant_refresh
from friends.models import SYNC_LEASE, Friend, FriendSyncState, SyncStatus
from providers import registry
from providers.base import PeoplePage, Person, StaleMarker
from providers.base import Provider as ProviderFacts
from providers.http.errors import (
    ProviderAuthError,
    ProviderConfigurationError,
    ProviderDataAccessExpired,
    ProviderError,
    ProviderPermissionError,
    ProviderRateLimited,
    ProviderUnavailable,
)
from providers.http.paging import PagingError

logger = logging.getLogger(__name__)


def friends_providers() -> list[str]:
    """Names of the enabled providers that list people (``Provider.friends`` is not None)."""
    return [provider.name for provider in registry.with_friends()]


class SyncResult(enum.StrEnum):
    OK = "ok"
    UP_TO_DATE = "up_to_date"
    ALREADY_RUNNING = "already_running"
    NEEDS_RECONNECT = "needs_reconnect"
    PERMISSION_DECLINED = "permission_declined"
    UNAVAILABLE = "unavailable"  # the operator must fix something at the provider
    FAILED = "failed"
    NOT_LINKED = "not_linked"


@dataclass(frozen=True)
class SyncOutcome:
    """What one sync did. ``retryable``: a later attempt may succeed (provider down or busy)."""

    provider: str
    result: SyncResult
    mode: str = ""  # "full" or "incremental"
    pages: int = 0
    fetched: int = 0
    deleted: int = 0
    total_count: int | None = None
    error: str = ""
    retryable: bool = False
    retry_after: float | None = None  # seconds the provider asked us to wait, when it said
    rate_limited: bool = False  # the provider asked us to slow down (with or without retry_after)
    # This grant's own limit (scope "user", e.g. GitHub's per-token count): not before this
    # time (epoch seconds). The schedule waits for it; the rest of the fleet carries on.
    grant_wait_until: float | None = None


def friends_sync(
    *,
    grant: ProviderGrant,
    client: Any = None,
    page_size: int | None = None,
    unless_synced_within: timedelta | None = None,
    clock: Callable[[], datetime] = timezone.now,
) -> SyncOutcome:
    """Bring the stored people (friends, contacts, …) of ``grant``'s link up to date.

    A provider with incremental or conditional listing continues from the stored marker
    (``PeoplePage.marker``) and falls back to a full pass when it says the marker is stale.
    ``unless_synced_within``: skip, with a read only, when a sync is running or succeeded
    that recently (a burst of logins
    needs one sync, not one each). ``client`` and ``page_size`` are for tests and
    benchmarks; by default the provider's own client and paging apply; ``clock`` is the
    seam tests use to let a lease run out.

    The sync holds a lease on the state row (``syncing_until``), renewed after each page;
    a sync that dies without a word (worker killed) stops counting as running when its
    lease ends. One that crashes on something unexpected records "failed" and is logged.
    """
    provider = grant.provider
    link = _link_of(grant)
    facts = registry.find(provider)
    if link is None or facts is None or facts.friends is None:
        return SyncOutcome(provider=provider, result=SyncResult.NOT_LINKED)
    if unless_synced_within is not None:
        recent = _recent_result(link, unless_synced_within, clock())
        if recent is not None:
            return SyncOutcome(provider=provider, result=recent)
    state, _ = FriendSyncState.objects.get_or_create(link=link)
    stamp = clock()
    if not _claim(state, stamp):
        return SyncOutcome(provider=provider, result=SyncResult.ALREADY_RUNNING)

    def renew() -> None:
        FriendSyncState.objects.filter(pk=state.pk, status=SyncStatus.SYNCING).update(
            syncing_until=clock() + SYNC_LEASE
        )

    label = facts.label
    if facts.friends.scope and scope_in(facts.friends.scope, grant.denied_scopes):
        return _finish_declined(state, facts)
    try:
        outcome = _sync_refreshing_once(facts, grant, link, state, stamp, client, page_size, renew)
    except TokenKeyMissing:
        # An encryption key is missing on our side: nothing for the person to do.
        return _finish(
            state,
            SyncResult.FAILED,
            provider,
            "A problem on our side keeps us from updating this list for now.",
            retryable=False,
        )
    except NoUsableToken:
        return _finish(
            state,
            SyncResult.NEEDS_RECONNECT,
            provider,
            f"socialsite can no longer act for you on {label}. Reconnect to continue.",
        )
    except ProviderDataAccessExpired as error:
        # The provider's data access ran out: its own state, fixed by confirming access again.
        grant_mark_needs_reconnect(
            grant=grant,
            reason=_refusal(error),
            status=GrantStatus.DATA_ACCESS_EXPIRED,
        )
        return _finish(
            state,
            SyncResult.NEEDS_RECONNECT,
            provider,
            f"{label} needs you to confirm access again. Reconnect to continue.",
        )
    except ProviderAuthError as error:
        # The provider no longer honours the token (and a refresh, where there is one, did
        # not help): say so on the link too, and stop here.
        grant_mark_needs_reconnect(grant=grant, reason=_refusal(error))
        return _finish(
            state,
            SyncResult.NEEDS_RECONNECT,
            provider,
            f"{label} no longer accepts socialsite's access. Reconnect to continue.",
        )
    except ProviderPermissionError:
        return _finish_declined(state, facts)
    except ProviderConfigurationError as error:
        # Not the person's to fix: they see "unavailable right now"; the log and the admin
        # (this state's last_error) say what the operator must do.
        logger.error(
            "friends sync needs the operator: provider=%s link=%s status=%s detail=%s action=%s",
            provider,
            link.pk,
            error.status,
            error.detail,
            error.action,
        )
        return _finish(state, SyncResult.UNAVAILABLE, provider, error.action or str(error))
    except ProviderRateLimited as error:
        return _finish(
            state,
            SyncResult.FAILED,
            provider,
            f"{label} asked us to slow down. We will try again shortly.",
            retry_after=error.retry_after,
            rate_limited=True,
            grant_wait_until=error.reset_at if error.scope == "user" else None,
        )
    except PagingError as error:
        # Paging in circles will page in circles again soon: no quick retry (the schedule
        # tries again later), and nothing stored is deleted on the way out.
        logger.warning("friends sync paging stopped: provider=%s link=%s %s", provider, link.pk, error)
        return _finish(
            state,
            SyncResult.FAILED,
            provider,
            f"{label} kept sending pages without end, so we stopped. We will try again later.",
            retryable=False,
        )
    except ProviderUnavailable as error:
        status = f" (HTTP {error.status})" if error.status else ""
        return _finish(
            state, SyncResult.FAILED, provider, f"{label} did not answer properly{status}. We will try again."
        )
    except ProviderError as error:
        return _finish(
            state,
            SyncResult.FAILED,
            provider,
            f"{label} refused the request ({error.code}). We will try again.",
        )
    except SoftTimeLimitExceeded:
        # The worker's soft time limit: leave the state clean (not "syncing"), then let the
        # task end. Nothing was deleted: deletions come only after a complete pass.
        words = f"Fetching from {label} took too long. We will try again later."
        _finish(state, SyncResult.FAILED, provider, words)
        raise
    except Exception:
        # A bug or an answer nobody foresaw: never leave the row saying "syncing".
        logger.exception("friends sync crashed: provider=%s link=%s grant=%s", provider, link.pk, grant.pk)
        return _finish(
            state,
            SyncResult.FAILED,
            provider,
            "Something went wrong on our side while fetching them.",
            retryable=False,
        )

    FriendSyncState.objects.filter(pk=state.pk).update(
        status=SyncStatus.OK,
        started_at=None,
        syncing_until=None,
        last_success_at=timezone.now(),
        last_error="",
        attempts=0,
        updated_at=timezone.now(),
        sync_token=outcome.sync_token,
        total_count=outcome.total,
    )
    logger.info(
        "friends sync ok: provider=%s link=%s mode=%s pages=%s fetched=%s deleted=%s",
        provider,
        link.pk,
        outcome.mode,
        outcome.pages,
        outcome.fetched,
        outcome.deleted,
    )
    return SyncOutcome(
        provider=provider,
        result=SyncResult.OK,
        mode=outcome.mode,
        pages=outcome.pages,
        fetched=outcome.fetched,
        deleted=outcome.deleted,
        total_count=outcome.total,
    )


def _sync_refreshing_once(
    facts: ProviderFacts,
    grant: ProviderGrant,
    link: UserSocialAuth,
    state: FriendSyncState,
    stamp: datetime,
    client: Any,
    page_size: int | None,
    renew: Callable[[], None],
) -> _Progress:
    """One pass; on a 401, a forced refresh and one more pass, when the grant can refresh.

    A 401 means this access token is no good, which is not the same as the grant being
    gone: a provider can drop an access token early while its refresh token still works. So
    a grant with a refresh token is refreshed once (``accounts.tokens``), and only a
    second 401, or a refresh the provider itself refuses, means "Reconnect". A pass is safe to
    run again: rows are upserted, and the same ``stamp`` marks what the pass saw.
    """
    try:
        return _sync_pass(facts, link, state, access_token_for(grant), stamp, client, page_size, renew)
    except ProviderAuthError as error:
        if error.status != 401 or not grant.has_refresh_token:
            raise
    logger.info("friends sync got a 401: provider=%s link=%s, refreshing once", grant.provider, link.pk)
    result = grant_refresh(grant=grant, force=True)
    grant.refresh_from_db()
    if result == RefreshResult.NEEDS_RECONNECT:
        raise NoUsableToken(f"{grant.provider} grant is gone: {grant.last_error}")
    if result == RefreshResult.FAILED:
        # The token endpoint is down: the grant may be fine, so keep it and try later.
        raise ProviderUnavailable("refresh after a 401 failed", provider=grant.provider)
    return _sync_pass(facts, link, state, access_token_for(grant), stamp, client, page_size, renew)


def _sync_pass(
    facts: ProviderFacts,
    link: UserSocialAuth,
    state: FriendSyncState,
    token: str,
    stamp: datetime,
    client: Any,
    page_size: int | None,
    renew: Callable[[], None],
) -> _Progress:
    """One pass over the provider's listing, from the stored marker when there is one.

    A stale marker (the provider no longer accepts it) means a full pass, with the same stamp.
    """
    friends = facts.friends
    assert friends is not None
    client = client or friends.client()
    if state.sync_token:
        try:
            pages = friends.pages(client, token, marker=state.sync_token, page_size=page_size)
            return _store_pages(link, facts, pages, stamp, renew)
        except StaleMarker:
            logger.info("friends sync marker stale: provider=%s link=%s, full sync", facts.name, link.pk)
    return _store_pages(link, facts, friends.pages(client, token, page_size=page_size), stamp, renew)


@dataclass
class _Progress:
    mode: str
    pages: int = 0
    fetched: int = 0
    deleted: int = 0
    total: int | None = None
    sync_token: str = ""


def _store_pages(
    link: UserSocialAuth,
    facts: ProviderFacts,
    pages: Iterable[PeoplePage],
    stamp: datetime,
    renew: Callable[[], None],
) -> _Progress:
    """Upsert each page (one bulk query), delete who left; after a full pass, who was not seen."""
    progress = _Progress(mode="full")
    full = True
    for page in pages:
        full = page.full
        progress.pages += 1
        progress.fetched += len(page.people)
        if page.total is not None:
            progress.total = page.total
        if page.marker:
            progress.sync_token = page.marker
        _upsert(link, facts.name, [person for person in page.people if not person.removed], stamp)
        gone = [person.external_id for person in page.people if person.removed]
        if gone:
            progress.deleted += Friend.objects.filter(link=link, external_id__in=gone).delete()[0]
        renew()
    progress.mode = "full" if full else "incremental"
    if full:
        progress.deleted += _delete_unstamped(link, stamp)
    return progress


def _upsert(link: UserSocialAuth, provider: str, people: list[Person], stamp: datetime) -> None:
    """Store one page in one statement: plain tuples straight to SQL.

    No ``Friend`` instances: at 25,000 contacts, building model objects and letting the ORM
    prepare each field of each one cost more than the database's own work (``make bench``
    prints the sync against its floor, decoding plus one ``COPY`` per page).
    """
    # One row per id (the last wins): PostgreSQL refuses an upsert that touches a row twice.
    rows: dict[str, tuple[str, str, str, str]] = {}
    for person in people:
        external_id = person.external_id[:255]
        rows[external_id] = (
            external_id,
            person.name[:255],
            person.email.strip().lower()[:254],
            (person.picture_url or "")[:1024],
        )
    if not rows:
        return
    # The stamp exactly as the ORM stores it, so ``_delete_unstamped``'s filter matches it.
    synced_at = Friend._meta.get_field("synced_at").get_db_prep_save(stamp, connection)
    sql = _upsert_sql(connection.vendor)
    if connection.vendor == "postgresql":
        external_ids, names, emails, pictures = (list(column) for column in zip(*rows.values(), strict=True))
        with connection.cursor() as cursor:
            cursor.execute(sql, [link.pk, provider, synced_at, external_ids, names, emails, pictures])
        return
    # Elsewhere (SQLite) one prepared statement run for every row; in one transaction, as
    # autocommit would commit (and sync to disk) row by row.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.executemany(sql, [(link.pk, provider, *row, synced_at) for row in rows.values()])


@cache
def _upsert_sql(vendor: str) -> str:
    """``INSERT … ON CONFLICT (link, external_id) DO UPDATE`` of one page of Friend rows.

    PostgreSQL: the page's columns as four arrays, ``unnest`` into rows: one statement and
    seven parameters whatever the page size (Django's own ``bulk_create`` does the same).
    Others (SQLite): one row of values, for ``executemany``.
    """
    quote = connection.ops.quote_name
    meta = Friend._meta
    table = quote(meta.db_table)
    names = ["link", "provider", "external_id", "name", "email", "picture_url", "synced_at"]
    columns = [quote(_column(meta.get_field(name))) for name in names]
    link, _, external_id, *updated = columns
    changes = ", ".join(f"{column} = EXCLUDED.{column}" for column in updated)
    conflict = f"ON CONFLICT ({link}, {external_id}) DO UPDATE SET {changes}"
    # Only names from the model's _meta are formatted in; every value is a parameter.
    insert = f"INSERT INTO {table} ({', '.join(columns)})"
    if vendor == "postgresql":
        page = ", ".join(columns[2:6])
        arrays = ", ".join(["%s::text[]"] * 4)
        return f"{insert} SELECT %s, %s, {page}, %s FROM unnest({arrays}) AS page ({page}) {conflict}"  # noqa: S608
    values = ", ".join(["%s"] * len(columns))
    return f"{insert} VALUES ({values}) {conflict}"


def _column(field: Any) -> str:
    assert isinstance(field, Field) and field.column, f"{field} is not a concrete column"
    return field.column


def _delete_unstamped(link: UserSocialAuth, stamp: datetime) -> int:
    """After a full pass: whoever this sync did not see is gone at the provider (one query)."""
    return Friend.objects.filter(link=link).exclude(synced_at=stamp).delete()[0]


# --- state ----------------------------------------------------------------------------------


def _refusal(error: ProviderError) -> str:
    """Why the grant is gone, for the admin: our code and the provider's (no token, no body)."""
    detail = f" ({error.detail})" if error.detail else ""
    return f"{error.code}: friends sync refused{detail}"


def _link_of(grant: ProviderGrant) -> UserSocialAuth | None:
    if grant.social_id is not None:
        return grant.social
    return UserSocialAuth.objects.filter(provider=grant.provider, uid=grant.uid).first()


def _recent_result(link: UserSocialAuth, within: timedelta, now: datetime) -> SyncResult | None:
    state = FriendSyncState.objects.filter(link=link).first()
    if state is None:
        return None
    if state.is_running(now):
        return SyncResult.ALREADY_RUNNING
    if state.status == SyncStatus.OK and state.last_success_at and now - state.last_success_at < within:
        return SyncResult.UP_TO_DATE
    return None


def _claim(state: FriendSyncState, now: datetime) -> bool:
    """Mark the state "syncing" unless another sync holds a live lease (one conditional UPDATE)."""
    running = Q(status=SyncStatus.SYNCING, syncing_until__gt=now)
    claimed = (
        FriendSyncState.objects.filter(pk=state.pk)
        .exclude(running)
        .update(
            status=SyncStatus.SYNCING,
            started_at=now,
            syncing_until=now + SYNC_LEASE,
            last_attempt_at=now,
            updated_at=now,
        )
    )
    return bool(claimed)


def _finish(
    state: FriendSyncState,
    result: SyncResult,
    provider: str,
    words: str,
    *,
    retry_after: float | None = None,
    rate_limited: bool = False,
    retryable: bool | None = None,
    grant_wait_until: float | None = None,
) -> SyncOutcome:
    status = SyncStatus(str(result))
    if retryable is None:
        retryable = result == SyncResult.FAILED
    FriendSyncState.objects.filter(pk=state.pk).update(
        status=status,
        started_at=None,
        syncing_until=None,
        last_error=words[:255],
        attempts=F("attempts") + 1,
        updated_at=timezone.now(),
    )
    logger.info("friends sync stopped: provider=%s link=%s result=%s", provider, state.link_id, result)
    return SyncOutcome(
        provider=provider,
        result=result,
        error=words,
        retryable=retryable,
        retry_after=retry_after,
        rate_limited=rate_limited,
        grant_wait_until=grant_wait_until,
    )


def _finish_declined(state: FriendSyncState, facts: ProviderFacts) -> SyncOutcome:
    noun = facts.friends.noun if facts.friends is not None else "friends"
    return _finish(
        state,
        SyncResult.PERMISSION_DECLINED,
        facts.name,
        f"You have not allowed socialsite to see your {facts.label} {noun}.",
    )


# --- the Refresh button: the provider quota is shared, so presses are rationed ---------------


class RefreshDecision(enum.StrEnum):
    QUEUED = "queued"  # this press queues a sync
    ALREADY_QUEUED = "already_queued"  # one is queued or running: this press joins it
    COOLING_DOWN = "cooling_down"  # pressed too recently


@dataclass(frozen=True)
class RefreshRequest:
    decision: RefreshDecision
    retry_in: int = 0  # seconds until Refresh fetches again (COOLING_DOWN)


def refresh_cooldown_left(state: FriendSyncState | None, now: datetime | None = None) -> int:
    """Whole seconds until the person's next Refresh of this link may fetch (0: now)."""
    if state is None or state.refresh_requested_at is None:
        return 0
    ends = state.refresh_requested_at + timedelta(seconds=settings.FRIENDS_REFRESH_COOLDOWN)
    left = (ends - (now or timezone.now())).total_seconds()
    return max(0, -int(-left // 1))


def sync_queued(state: FriendSyncState, now: datetime) -> bool:
    """True while a Refresh press's sync is queued and no sync has started since."""
    requested = state.refresh_requested_at
    return (
        requested is not None
        and now - requested < SYNC_LEASE  # a queued task lost with its broker is not waited for
        and (state.last_attempt_at is None or state.last_attempt_at < requested)
    )


def sync_request(*, link_id: int, now: datetime | None = None) -> RefreshRequest:
    """A Refresh press for one link: may it queue a sync? At most one per cooldown, never two at once.

    Coalescing: a sync that is running, or queued by an earlier press and not started yet,
    serves this press too. The decision and its record happen under the row's lock, so
    simultaneous presses queue one sync between them. The caller queues it on ``QUEUED``.
    """
    now = now or timezone.now()
    with transaction.atomic():
        state, _ = FriendSyncState.objects.select_for_update().get_or_create(link_id=link_id)
        cooldown_left = refresh_cooldown_left(state, now)
        if cooldown_left:
            return RefreshRequest(RefreshDecision.COOLING_DOWN, retry_in=cooldown_left)
        if sync_queued(state, now) or state.is_running(now):
            return RefreshRequest(RefreshDecision.ALREADY_QUEUED)
        FriendSyncState.objects.filter(pk=state.pk).update(refresh_requested_at=now, updated_at=now)
    return RefreshRequest(RefreshDecision.QUEUED)
