"""Factories for friend data and sync states, and fake provider clients (subclasses at the seam)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta

import factory
from django.utils import timezone

from friends.models import Friend, FriendSyncState, SyncStatus
from providers.facebook.friends import FriendsPage, GraphFriend, GraphFriendsClient
from providers.google.contacts import Contact, ContactsPage, ExpiredSyncToken, PeopleClient
from providers.http.errors import ProviderError
from tests.factories import LinkFactory


class FacebookFriendFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Friend

    link = factory.SubFactory(LinkFactory, provider="facebook")
    provider = "facebook"
    external_id = factory.Sequence(lambda n: f"9{n:014d}")
    name = factory.Sequence(lambda n: f"Friend {n:05d}")
    picture_url = factory.Sequence(lambda n: f"https://pictures.example/{n}.jpg")
    synced_at = factory.LazyFunction(timezone.now)


class GoogleContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Friend

    link = factory.SubFactory(LinkFactory, provider="google")
    provider = "google"
    external_id = factory.Sequence(lambda n: f"people/c{n:019d}")
    name = factory.Sequence(lambda n: f"Contact {n:05d}")
    email = factory.Sequence(lambda n: f"contact{n}@example.com")
    picture_url = ""
    synced_at = factory.LazyFunction(timezone.now)


class SyncStateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FriendSyncState

    link = factory.SubFactory(LinkFactory)
    status = SyncStatus.OK
    last_success_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=5))
    last_attempt_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=5))


# --- fake clients: the real classes with ``iter_pages`` answering from a script ------------


def friend(n: int, name: str | None = None) -> GraphFriend:
    return GraphFriend(uid=f"9{n:014d}", name=name or f"Friend {n:05d}", picture_url=f"https://p.example/{n}")


def contact(n: int, *, name: str | None = None, email: str | None = None, deleted: bool = False) -> Contact:
    """Contact ``n``; ``email=""`` has none; a deleted one carries only its name and etag, as at Google."""
    if deleted:
        return Contact(
            resource_name=f"people/c{n:019d}", etag=f"%d{n}", name="", emails=(), photo_url="", deleted=True
        )
    return Contact(
        resource_name=f"people/c{n:019d}",
        etag=f"%e{n}",
        name=f"Contact {n:05d}" if name is None else name,
        emails=() if email == "" else (email or f"contact{n}@example.com",),
        photo_url="",
        deleted=False,
    )


class ScriptedGraphClient(GraphFriendsClient):
    """Answers ``iter_pages`` with the given pages; an exception in the list is raised there."""

    def __init__(self, pages: Sequence[FriendsPage | BaseException]):
        super().__init__()
        self.pages = pages
        self.tokens: list[str] = []

    def iter_pages(self, access_token: str, *, page_size: int = 500) -> Iterator[FriendsPage]:
        self.tokens.append(access_token)
        for page in self.pages:
            if isinstance(page, BaseException):
                raise page
            yield page


class ScriptedPeopleClient(PeopleClient):
    """Answers a full listing with ``full`` and an incremental one with ``changes``.

    ``expired``: any sync token is refused as expired. Records the sync token of each call.
    """

    def __init__(
        self,
        full: Sequence[ContactsPage | ProviderError] = (),
        changes: Sequence[ContactsPage | ProviderError] = (),
        *,
        expired: bool = False,
    ):
        super().__init__()
        self.full, self.changes, self.expired = full, changes, expired
        self.calls: list[str | None] = []

    def iter_pages(
        self, access_token: str, *, sync_token: str | None = None, page_size: int = 1000
    ) -> Iterator[ContactsPage]:
        self.calls.append(sync_token)
        if sync_token and self.expired:
            raise ExpiredSyncToken("sync token expired", provider="google", status=400)
        for page in self.changes if sync_token else self.full:
            if isinstance(page, BaseException):
                raise page
            yield page


def friends_pages(
    count: int, per_page: int, *, total: int | None = None, start: int = 0
) -> list[FriendsPage]:
    """``count`` friends in pages of ``per_page``; Graph's total_count ``total`` (default: count)."""
    people = [friend(n) for n in range(start, start + count)]
    return [
        FriendsPage(friends=people[i : i + per_page], total_count=total if total is not None else count)
        for i in range(0, max(count, 1), per_page)
    ]


def contacts_pages(
    contacts: list[Contact], per_page: int, *, sync_token: str = "sync-1"
) -> list[ContactsPage]:
    """Pages of ``contacts``; the sync token comes on the last page, as Google sends it."""
    chunks = [contacts[i : i + per_page] for i in range(0, max(len(contacts), 1), per_page)]
    return [
        ContactsPage(
            contacts=chunk,
            next_sync_token=sync_token if index == len(chunks) - 1 else None,
            total_items=len(contacts),
        )
        for index, chunk in enumerate(chunks)
    ]
