"""Reading the sandbox's social graph the way the two APIs page through it.

Graph ``/me/friends`` walks a person's friendships in friend-id order with opaque cursors;
People ``connections`` walks an owner's contacts in id order with page tokens and hands
out sync tokens ("everything up to version v, issued at t"). The views turn these slices
into the providers' JSON; the writes live in ``services``.
"""

from __future__ import annotations

import binascii
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from sandbox.models import SandboxContact, SandboxFriendship, SandboxPerson, SandboxToken, TokenKind
from socialsite.encoding import b64url_decode, b64url_encode

# Graph's friends edge: 25 per page unless ``limit`` says otherwise, at most 5,000.
# https://developers.facebook.com/docs/graph-api/results
FRIENDS_DEFAULT_LIMIT = 25
FRIENDS_MAX_LIMIT = 5000

# People API connections: pageSize 1 to 1000, 100 when left out.
# https://developers.google.com/people/api/rest/v1/people.connections/list
CONNECTIONS_DEFAULT_PAGE_SIZE = 100
CONNECTIONS_MAX_PAGE_SIZE = 1000

# "Sync tokens expire 7 days after the full sync."
SYNC_TOKEN_SECONDS = 7 * 86400


class BadToken(ValueError):
    """A cursor, page token or sync token the sandbox did not issue (or not for this person)."""


class SyncTokenExpired(Exception):
    """The sync token is older than ``SANDBOX_SYNC_TOKEN_SECONDS``."""


def _encode(state: dict[str, Any]) -> str:
    raw = json.dumps(state, separators=(",", ":")).encode()
    return b64url_encode(raw)


def _decode(token: str, *, kind: str) -> dict[str, Any]:
    try:
        state = json.loads(b64url_decode(token))
    except (binascii.Error, ValueError) as error:
        raise BadToken(kind) from error
    if not isinstance(state, dict) or state.get("k") != kind:
        raise BadToken(kind)
    return state


# --- Facebook friends ---------------------------------------------------------------------


def app_users(*, client_id: str, scope: str = "user_friends") -> QuerySet[SandboxToken]:
    """Live grants to the app ``client_id`` (one provider's app) that include ``scope``."""
    now = timezone.now()
    return SandboxToken.objects.filter(
        kind=TokenKind.ACCESS,
        client_id=client_id,
        revoked_at__isnull=True,
        scopes__contains=scope,
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


@dataclass(frozen=True)
class FriendsSlice:
    friends: list[SandboxPerson]
    total_count: int
    before: str | None
    after: str | None
    has_next: bool
    has_previous: bool


def friend_cursor(friend_id: int) -> str:
    return _encode({"k": "friend", "f": friend_id})


def friends_slice(
    *, person: SandboxPerson, client_id: str, limit: int, after: str | None = None, before: str | None = None
) -> FriendsSlice:
    """One page of ``person``'s friends as Graph shows them to ``client_id``.

    Only friends who use the app and granted it ``user_friends`` are listed; the total
    counts every friend.
    https://developers.facebook.com/docs/graph-api/reference/user/friends
    """
    everyone = SandboxFriendship.objects.filter(person=person)
    visible = everyone.filter(Exists(app_users(client_id=client_id).filter(person=OuterRef("friend"))))
    if after:
        rows = visible.filter(friend_id__gt=_decode(after, kind="friend")["f"]).order_by("friend_id")
    elif before:
        rows = visible.filter(friend_id__lt=_decode(before, kind="friend")["f"]).order_by("-friend_id")
    else:
        rows = visible.order_by("friend_id")
    page = list(rows.select_related("friend")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    if before:
        page.reverse()
    friends = [row.friend for row in page]
    return FriendsSlice(
        friends=friends,
        total_count=everyone.count(),
        before=friend_cursor(friends[0].pk) if friends else None,
        after=friend_cursor(friends[-1].pk) if friends else None,
        # Walking backwards, "more" is about earlier pages; there is a later one by construction.
        has_next=more if not before else bool(friends),
        has_previous=bool(after) or (more if before else False),
    )


# --- Google contacts ----------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionsSlice:
    contacts: list[SandboxContact]
    total_items: int
    next_page_token: str | None
    next_sync_token: str | None


def _sync_token_seconds() -> int:
    return int(getattr(settings, "SANDBOX_SYNC_TOKEN_SECONDS", SYNC_TOKEN_SECONDS))


def sync_token_issue(*, owner: SandboxPerson, version: int) -> str:
    """A sync token meaning "``owner``'s contacts up to ``version``", stamped with now."""
    return _encode({"k": "sync", "o": owner.pk, "v": version, "t": timezone.now().timestamp()})


def connections_slice(
    *,
    owner: SandboxPerson,
    page_size: int,
    page_token: str | None = None,
    sync_token: str | None = None,
    request_sync_token: bool = False,
) -> ConnectionsSlice:
    """One page of ``owner``'s contacts, full or changed-since-``sync_token``.

    The first page pins the current version; later pages (``page_token``) carry it, so a
    contact changed while a client pages is left for the next incremental sync instead of
    being missed. Raises ``BadToken`` or ``SyncTokenExpired``.
    https://developers.google.com/people/api/rest/v1/people.connections/list
    """
    if page_token:
        state = _decode(page_token, kind="page")
        if state.get("o") != owner.pk:
            raise BadToken("page")
        after, upto, since, want_sync = state["a"], state["u"], state["s"], state["r"]
    else:
        since = None
        if sync_token:
            synced = _decode(sync_token, kind="sync")
            if synced.get("o") != owner.pk:
                raise BadToken("sync")
            if timezone.now().timestamp() - float(synced["t"]) >= _sync_token_seconds():
                raise SyncTokenExpired
            since = int(synced["v"])
        after = 0
        upto = SandboxContact.objects.filter(owner=owner).aggregate(top=Max("version"))["top"] or 0
        want_sync = request_sync_token or bool(sync_token)

    listed = SandboxContact.objects.filter(owner=owner, version__lte=upto)
    if since is None:
        listed = listed.filter(deleted_at__isnull=True)
    else:
        listed = listed.filter(version__gt=since)
    page = list(listed.filter(id__gt=after).order_by("id")[: page_size + 1])
    more = len(page) > page_size
    page = page[:page_size]
    next_page = None
    if more:
        state = {"k": "page", "o": owner.pk, "a": page[-1].pk, "u": upto, "s": since, "r": want_sync}
        next_page = _encode(state)
    return ConnectionsSlice(
        contacts=page,
        total_items=listed.count(),
        next_page_token=next_page,
        next_sync_token=sync_token_issue(owner=owner, version=upto) if want_sync and not more else None,
    )


# --- Index page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphCounts:
    people: QuerySet[SandboxPerson]  # the named roster, with ``friend_count`` and ``contact_count``
    generated: int


def graph_counts() -> GraphCounts:
    """Friends and live contacts per named person, in one query (plus one for the rest)."""
    friends = (
        SandboxFriendship.objects.filter(person=OuterRef("pk"))
        .order_by()
        .values("person")
        .annotate(n=Count("pk"))
        .values("n")
    )
    contacts = (
        SandboxContact.objects.filter(owner=OuterRef("pk"), deleted_at__isnull=True)
        .order_by()
        .values("owner")
        .annotate(n=Count("pk"))
        .values("n")
    )
    people = SandboxPerson.objects.filter(generated=False).annotate(
        friend_count=Coalesce(Subquery(friends), 0), contact_count=Coalesce(Subquery(contacts), 0)
    )
    return GraphCounts(people=people, generated=SandboxPerson.objects.filter(generated=True).count())
