"""Reads for the friends page: each provider's section, its state, and one page of people.

"On socialsite" is computed here, at read time, with ``IN (subquery)``, so it is right
the moment someone joins or leaves:

- matched by uid (``Match.UID``): the person's external id is the uid of a link with the
  same provider here (the provider hands this app the same ids its logins get);
- matched by email (``Match.EMAIL``): their email is the email of an active person here who
  said yes to being findable by email (accounts stores an email only when the provider
  verified it). Without that yes, a list cannot be used to learn who has an account.

The page costs the same number of queries whatever the number of friends: one for the
links (with grant and sync state joined), then per linked provider one aggregate (stored,
matching the search, on socialsite) and one for the page of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from social_django.models import UserSocialAuth

from accounts.models import KEY_MISSING, GrantStatus, User
from accounts.scopes import scope_in
from accounts.selectors import GrantAccess, grant_access_for, grant_display_status
from friends.models import Friend, FriendSyncState, SyncStatus
from friends.services import friends_providers, refresh_cooldown_left
from providers import registry
from providers.base import Friends, Match

PER_PAGE = 50


class DisplayState:
    """What a section says and offers; one per situation the person can be in."""

    NOT_LINKED = "not_linked"
    NEEDS_RECONNECT = "needs_reconnect"
    DATA_ACCESS_EXPIRED = "data_access_expired"
    PERMISSION_DECLINED = "permission_declined"
    NEVER_SYNCED = "never_synced"
    SYNCING = "syncing"
    UNAVAILABLE = "unavailable"  # the operator must fix something; the person only waits
    FAILED = "failed"
    OK = "ok"


@dataclass(frozen=True)
class FriendRow:
    name: str
    detail: str
    picture_url: str
    on_site: bool

    @property
    def initials(self) -> str:
        words = [word for word in self.name.replace("@", " ").split() if word[:1].isalnum()]
        return "".join(word[0] for word in words[:2]).upper() or "?"


@dataclass(frozen=True)
class ProviderSection:
    provider: str
    label: str
    what: str  # the provider's word: "friends", "contacts", …
    state: str
    last_error: str = ""
    last_success_at: datetime | None = None
    stored: int = 0
    on_site: int = 0
    total_count: int | None = None  # the provider's own total, where it counts everyone
    permission_name: str = ""  # what the permission is called on the provider's consent screen
    empty_text: str = ""  # what to say when the list is empty
    page: Page | None = None
    page_param: str = ""
    refresh_in: int = 0  # seconds until the Refresh button fetches again (the person's cooldown)
    access: GrantAccess | None = None  # when access ends, for a grant only a sign-in renews

    @property
    def linked(self) -> bool:
        return self.state != DisplayState.NOT_LINKED

    @property
    def rows(self) -> list[FriendRow]:
        return list(self.page.object_list) if self.page is not None else []


def friends_sections_for(
    user: User, *, query: str = "", page_numbers: dict[str, Any] | None = None, now: datetime | None = None
) -> list[ProviderSection]:
    """Each listing provider's section for ``user``, in a fixed order, searched by name with ``query``."""
    page_numbers = page_numbers or {}
    providers = registry.with_friends()
    links = {
        link.provider: link
        for link in UserSocialAuth.objects.filter(user=user, provider__in=[p.name for p in providers])
        .select_related("grant", "friend_sync")
        .order_by("pk")
    }
    now = now or timezone.now()
    sections = []
    for known in providers:
        friends = known.friends
        assert friends is not None
        provider, label, what = known.name, known.label, friends.noun
        link = links.get(provider)
        if link is None:
            sections.append(
                ProviderSection(
                    provider=provider,
                    label=label,
                    what=what,
                    state=DisplayState.NOT_LINKED,
                    permission_name=friends.permission_name,
                    empty_text=friends.empty_text,
                )
            )
            continue
        state = getattr(link, "friend_sync", None)
        display, words = _display_state(link, state, now)
        people, here = _people(provider, friends, link)
        counts = people.aggregate(
            stored=Count("pk"),
            on_site=Count("pk", filter=here),
            matching=Count("pk", filter=Q(name__icontains=query) if query else Q()),
        )
        matching = people.filter(name__icontains=query) if query else people
        paginator = _CountedPaginator(
            matching.annotate(on_site=ExpressionWrapper(here, output_field=BooleanField())).order_by(
                "-on_site", "name", "pk"
            ),
            PER_PAGE,
            count=counts["matching"],
        )
        page = paginator.get_page(page_numbers.get(provider))
        page.object_list = [_row(friends, item) for item in page.object_list]
        sections.append(
            ProviderSection(
                provider=provider,
                label=label,
                what=what,
                state=display,
                last_error=words,
                last_success_at=state.last_success_at if state else None,
                stored=counts["stored"],
                on_site=counts["on_site"],
                total_count=state.total_count if state and friends.shows_total else None,
                permission_name=friends.permission_name,
                empty_text=friends.empty_text,
                page=page,
                page_param=f"page_{provider}",
                refresh_in=refresh_cooldown_left(state, now),
                access=grant_access_for(getattr(link, "grant", None), now=now),
            )
        )
    return sections


def _people(provider: str, friends: Friends, link: UserSocialAuth) -> tuple[QuerySet[Any], Q]:
    """The link's stored people, and the expression that says whether one of them is here.

    Uncorrelated ``IN (subquery)``: PostgreSQL hashes it once (a semi-join) and SQLite
    builds a temporary index once, where a correlated EXISTS scans per row on SQLite.
    """
    people = Friend.objects.filter(link=link)
    if friends.match == Match.UID:
        uids_here = UserSocialAuth.objects.filter(provider=provider, user__is_active=True).values("uid")
        return people, Q(external_id__in=uids_here)
    # Stored emails are lowercased; an empty one never matches (people without a verified
    # email have "", and "" is left out of the set).
    emails_here = (
        User.objects.filter(is_active=True, findable_by_email=True)
        .exclude(email="")
        .annotate(email_lower=Lower("email"))
        .values("email_lower")
    )
    return people, Q(email__in=emails_here)


def _row(friends: Friends, item: Friend) -> FriendRow:
    return FriendRow(
        name=item.name or item.email or friends.unnamed,
        detail=item.email if item.name else "",
        picture_url=item.picture_url,
        on_site=item.on_site,  # type: ignore[attr-defined]
    )


def _display_state(link: UserSocialAuth, state: FriendSyncState | None, now: datetime) -> tuple[str, str]:
    """The section's situation and, for a failure, why (plain words, stored by the sync)."""
    grant = getattr(link, "grant", None)
    status = grant_display_status(grant)
    if status == KEY_MISSING:
        # Our fault, not the person's: no Reconnect button for it.
        return DisplayState.FAILED, "A problem on our side keeps us from updating this list for now."
    if status == GrantStatus.DATA_ACCESS_EXPIRED:
        return DisplayState.DATA_ACCESS_EXPIRED, ""
    if grant is None or status != GrantStatus.ACTIVE:
        return DisplayState.NEEDS_RECONNECT, grant.last_error if grant else ""
    known = registry.find(link.provider)
    scope = known.friends.scope if known is not None and known.friends is not None else ""
    if scope and scope_in(scope, grant.denied_scopes):
        return DisplayState.PERMISSION_DECLINED, ""
    if state is None:
        return DisplayState.NEVER_SYNCED, ""
    if state.status == SyncStatus.SYNCING:
        if state.is_running(now):
            return DisplayState.SYNCING, ""
        return DisplayState.FAILED, "The last sync did not finish."
    if state.status == SyncStatus.PERMISSION_DECLINED:
        return DisplayState.PERMISSION_DECLINED, state.last_error
    if state.status == SyncStatus.UNAVAILABLE:
        # last_error is for the operator (it says what to enable where), not for the page.
        return DisplayState.UNAVAILABLE, ""
    if state.status == SyncStatus.FAILED:
        return DisplayState.FAILED, state.last_error
    if state.status == SyncStatus.OK:
        return DisplayState.OK, ""
    # NEVER_SYNCED, or NEEDS_RECONNECT while the grant is active again: the person has
    # reconnected since, and the sync their login queued has not run yet.
    return DisplayState.NEVER_SYNCED, ""


class _CountedPaginator(Paginator):
    """A paginator told its count (already computed with the other figures in one query)."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def links_to_sync(user: User, provider: str | None = None) -> list[int]:
    """Ids of ``user``'s links whose friends the Refresh button should fetch."""
    links = UserSocialAuth.objects.filter(user=user, provider__in=friends_providers())
    if provider:
        links = links.filter(provider=provider)
    return list(links.order_by("pk").values_list("pk", flat=True))
