"""Writes: fetch a linked account's friends or contacts from its provider and store them.

``friends_sync(grant=...)`` is the one entry point (tasks, the management command and the
benchmarks call it). It never raises a provider error: it records what happened on the
account's ``FriendSyncState`` and returns a ``SyncOutcome`` saying whether trying again
later could help.

Cost: a full sync writes each page with one bulk upsert and, at the end, deletes in one
query every row the sync did not stamp. The number of queries grows with the number of
pages, never with the number of friends. Provider calls run outside any transaction.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Q
from django.utils import timezone
from social_django.models import UserSocialAuth

from accounts.clients.errors import (
    ProviderAuthError,
    ProviderDataAccessExpired,
    ProviderError,
    ProviderPermissionError,
    ProviderRateLimited,
    ProviderUnavailable,
)
from accounts.exceptions import NoUsableToken
from accounts.models import GrantStatus, ProviderGrant
from accounts.scopes import scope_in
from accounts.tokens import access_token_for, grant_mark_needs_reconnect
from friends.clients.graph import FriendsPage, GraphFriend, GraphFriendsClient
from friends.clients.people import Contact, ContactsPage, ExpiredSyncToken, PeopleClient
from friends.models import SYNC_STALE_AFTER, FacebookFriend, FriendSyncState, GoogleContact, SyncStatus

logger = logging.getLogger(__name__)

# The permission each provider needs to list friends or contacts.
FRIENDS_SCOPES = {
    "facebook": "user_friends",
    "google": "https://www.googleapis.com/auth/contacts.readonly",
}
PROVIDER_LABELS = {"facebook": "Facebook", "google": "Google"}
WHAT = {"facebook": "friends", "google": "contacts"}


class SyncResult(enum.StrEnum):
    OK = "ok"
    UP_TO_DATE = "up_to_date"
    ALREADY_RUNNING = "already_running"
    NEEDS_RECONNECT = "needs_reconnect"
    PERMISSION_DECLINED = "permission_declined"
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
    retry_after: float | None = None


def friends_sync(
    *,
    grant: ProviderGrant,
    client: GraphFriendsClient | PeopleClient | None = None,
    page_size: int | None = None,
    unless_synced_within: timedelta | None = None,
) -> SyncOutcome:
    """Bring the stored friends (Facebook) or contacts (Google) of ``grant``'s link up to date.

    Google syncs incrementally from the stored sync token when there is one, and falls
    back to a full sync when Google says it expired. ``unless_synced_within``: skip, with
    a read only, when a sync is running or succeeded that recently (a burst of logins
    needs one sync, not one each). ``client`` and ``page_size`` are for tests and
    benchmarks; by default the provider's own client and paging apply.
    """
    provider = grant.provider
    link = _link_of(grant)
    if link is None or provider not in FRIENDS_SCOPES:
        return SyncOutcome(provider=provider, result=SyncResult.NOT_LINKED)
    if unless_synced_within is not None:
        recent = _recent_result(link, unless_synced_within)
        if recent is not None:
            return SyncOutcome(provider=provider, result=recent)
    state, _ = FriendSyncState.objects.get_or_create(link=link)
    stamp = timezone.now()
    if not _claim(state, stamp):
        return SyncOutcome(provider=provider, result=SyncResult.ALREADY_RUNNING)

    label = PROVIDER_LABELS[provider]
    if scope_in(FRIENDS_SCOPES[provider], grant.denied_scopes):
        return _finish_declined(state, provider)
    try:
        token = access_token_for(grant)
        if provider == "facebook":
            graph = client or GraphFriendsClient()
            assert isinstance(graph, GraphFriendsClient), "a Facebook grant syncs with the Graph client"
            outcome = _sync_facebook(link, token, stamp, graph, page_size)
        else:
            people = client or PeopleClient()
            assert isinstance(people, PeopleClient), "a Google grant syncs with the People client"
            outcome = _sync_google(link, state, token, stamp, people, page_size)
    except NoUsableToken:
        return _finish(
            state,
            SyncResult.NEEDS_RECONNECT,
            provider,
            f"socialsite can no longer act for you on {label}. Reconnect to continue.",
        )
    except ProviderDataAccessExpired as error:
        # Facebook's 90-day data access ran out: its own state, fixed by confirming access again.
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
        # The provider no longer honours the token: say so on the link too, and stop here.
        grant_mark_needs_reconnect(grant=grant, reason=_refusal(error))
        return _finish(
            state,
            SyncResult.NEEDS_RECONNECT,
            provider,
            f"{label} no longer accepts socialsite's access. Reconnect to continue.",
        )
    except ProviderPermissionError:
        return _finish_declined(state, provider)
    except ProviderRateLimited as error:
        return _finish(
            state,
            SyncResult.FAILED,
            provider,
            f"{label} asked us to slow down. We will try again shortly.",
            retry_after=error.retry_after,
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

    FriendSyncState.objects.filter(pk=state.pk).update(
        status=SyncStatus.OK,
        started_at=None,
        last_success_at=timezone.now(),
        last_error="",
        attempts=0,
        updated_at=timezone.now(),
        **({"sync_token": outcome.sync_token} if provider == "google" else {"total_count": outcome.total}),
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


# --- the two providers --------------------------------------------------------------------


@dataclass
class _Progress:
    mode: str
    pages: int = 0
    fetched: int = 0
    deleted: int = 0
    total: int | None = None
    sync_token: str = ""


def _sync_facebook(
    link: UserSocialAuth, token: str, stamp: datetime, client: GraphFriendsClient, page_size: int | None
) -> _Progress:
    progress = _Progress(mode="full")
    pages: Iterable[FriendsPage] = (
        client.iter_pages(token, page_size=page_size) if page_size else client.iter_pages(token)
    )
    for page in pages:
        progress.pages += 1
        progress.fetched += len(page.friends)
        progress.total = page.total_count
        _upsert_friends(link, page.friends, stamp)
    progress.deleted = _delete_unstamped(FacebookFriend, link, stamp)
    return progress


def _sync_google(
    link: UserSocialAuth,
    state: FriendSyncState,
    token: str,
    stamp: datetime,
    client: PeopleClient,
    page_size: int | None,
) -> _Progress:
    if state.sync_token:
        try:
            return _google_pass(link, token, stamp, client, page_size, sync_token=state.sync_token)
        except ExpiredSyncToken:
            # Google keeps sync tokens for 7 days; after that only a full sync will do.
            # https://developers.google.com/people/api/rest/v1/people.connections/list
            logger.info("google sync token expired: link=%s, running a full sync", link.pk)
    return _google_pass(link, token, stamp, client, page_size, sync_token=None)


def _google_pass(
    link: UserSocialAuth,
    token: str,
    stamp: datetime,
    client: PeopleClient,
    page_size: int | None,
    *,
    sync_token: str | None,
) -> _Progress:
    progress = _Progress(mode="incremental" if sync_token else "full")
    kwargs = {"page_size": page_size} if page_size else {}
    pages: Iterable[ContactsPage] = client.iter_pages(token, sync_token=sync_token, **kwargs)
    for page in pages:
        progress.pages += 1
        progress.fetched += len(page.contacts)
        if page.total_items is not None:
            progress.total = page.total_items
        if page.next_sync_token:
            progress.sync_token = page.next_sync_token
        changed = [contact for contact in page.contacts if not contact.deleted]
        gone = [contact.resource_name for contact in page.contacts if contact.deleted]
        _upsert_contacts(link, changed, stamp)
        if gone:
            progress.deleted += GoogleContact.objects.filter(link=link, resource_name__in=gone).delete()[0]
    if sync_token is None:
        progress.deleted += _delete_unstamped(GoogleContact, link, stamp)
    return progress


def _upsert_friends(link: UserSocialAuth, friends: list[GraphFriend], stamp: datetime) -> None:
    # One row per uid: PostgreSQL refuses an upsert that touches the same row twice.
    rows = {
        friend.uid: FacebookFriend(
            link=link,
            uid=friend.uid,
            name=friend.name[:255],
            picture_url=(friend.picture_url or "")[:1024],
            synced_at=stamp,
        )
        for friend in friends
    }
    if rows:
        FacebookFriend.objects.bulk_create(
            list(rows.values()),
            update_conflicts=True,
            unique_fields=["link", "uid"],
            update_fields=["name", "picture_url", "synced_at"],
        )


def _upsert_contacts(link: UserSocialAuth, contacts: list[Contact], stamp: datetime) -> None:
    rows = {
        contact.resource_name: GoogleContact(
            link=link,
            resource_name=contact.resource_name,
            etag=contact.etag[:255],
            name=contact.name[:255],
            # The first address is the primary one; matching is case-insensitive.
            email=(contact.emails[0] if contact.emails else "").strip().lower()[:254],
            photo_url=(contact.photo_url or "")[:1024],
            synced_at=stamp,
        )
        for contact in contacts
    }
    if rows:
        GoogleContact.objects.bulk_create(
            list(rows.values()),
            update_conflicts=True,
            unique_fields=["link", "resource_name"],
            update_fields=["etag", "name", "email", "photo_url", "synced_at"],
        )


def _delete_unstamped(model: type[FacebookFriend] | type[GoogleContact], link: UserSocialAuth, stamp) -> int:  # type: ignore[no-untyped-def]
    """After a full pass: whoever this sync did not see is gone at the provider (one query)."""
    return model.objects.filter(link=link).exclude(synced_at=stamp).delete()[0]


# --- state ----------------------------------------------------------------------------------


def _refusal(error: ProviderError) -> str:
    """Why the grant is gone, for the admin: our code and the provider's (no token, no body)."""
    detail = f" ({error.detail})" if error.detail else ""
    return f"{error.code}: friends sync refused{detail}"


def _link_of(grant: ProviderGrant) -> UserSocialAuth | None:
    if grant.social_id is not None:
        return grant.social
    return UserSocialAuth.objects.filter(provider=grant.provider, uid=grant.uid).first()


def _recent_result(link: UserSocialAuth, within: timedelta) -> SyncResult | None:
    state = FriendSyncState.objects.filter(link=link).first()
    if state is None:
        return None
    now = timezone.now()
    if state.is_running(now):
        return SyncResult.ALREADY_RUNNING
    if state.status == SyncStatus.OK and state.last_success_at and now - state.last_success_at < within:
        return SyncResult.UP_TO_DATE
    return None


def _claim(state: FriendSyncState, now: datetime) -> bool:
    """Mark the state "syncing" unless another live sync holds it (one conditional UPDATE)."""
    running = Q(status=SyncStatus.SYNCING, started_at__gt=now - SYNC_STALE_AFTER)
    claimed = (
        FriendSyncState.objects.filter(pk=state.pk)
        .exclude(running)
        .update(status=SyncStatus.SYNCING, started_at=now, last_attempt_at=now, updated_at=now)
    )
    return bool(claimed)


def _finish(
    state: FriendSyncState,
    result: SyncResult,
    provider: str,
    words: str,
    *,
    retry_after: float | None = None,
) -> SyncOutcome:
    status = SyncStatus(str(result)) if result != SyncResult.FAILED else SyncStatus.FAILED
    retryable = result == SyncResult.FAILED
    FriendSyncState.objects.filter(pk=state.pk).update(
        status=status,
        started_at=None,
        last_error=words[:255],
        attempts=F("attempts") + 1,
        updated_at=timezone.now(),
    )
    logger.info("friends sync stopped: provider=%s link=%s result=%s", provider, state.link_id, result)
    return SyncOutcome(
        provider=provider, result=result, error=words, retryable=retryable, retry_after=retry_after
    )


def _finish_declined(state: FriendSyncState, provider: str) -> SyncOutcome:
    return _finish(
        state,
        SyncResult.PERMISSION_DECLINED,
        provider,
        f"You have not allowed socialsite to see your {PROVIDER_LABELS[provider]} {WHAT[provider]}.",
    )
