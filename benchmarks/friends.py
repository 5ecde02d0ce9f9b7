"""Friends sync and the friends page at scale, against the sandbox providers.

Seeds the sandbox (``seed_sandbox``) so one person, Ada, has 5,000 Facebook friends who use
the app and 25,000 Google contacts, signs her in programmatically with tokens the sandbox
issued, and reports for a full Facebook sync, a full Google sync and an incremental Google
sync with 1% of the contacts changed: wall time, time waiting on the provider and our own,
SQL queries and peak memory. Then the friends page: median render time and queries at
5,000 friends, and the queries at 50 friends.

Sizes: BENCH_FRIENDS (default 5000) and BENCH_CONTACTS (default 25000) in the environment.
"""

from __future__ import annotations

import io
import os
import random
import time
from collections.abc import Iterator
from typing import Any

from benchmarks.harness import (
    Environment,
    Measurement,
    Stopwatch,
    measure,
    median_seconds,
    print_block,
    table,
    timed_iter,
)

FRIENDS = int(os.environ.get("BENCH_FRIENDS", "5000"))
CONTACTS = int(os.environ.get("BENCH_CONTACTS", "25000"))
CHANGED_SHARE = 0.01
PAGE_RENDERS = 20
CONTACTS_SCOPE = "https://www.googleapis.com/auth/contacts.readonly"


def run(env: Environment) -> None:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command(
        "seed_sandbox",
        people=FRIENDS,
        friends_per_person=FRIENDS,
        contacts_per_person=CONTACTS,
        stdout=io.StringIO(),
    )
    seeded = time.perf_counter() - started
    user, fb_grant, g_grant = _sign_in_ada()
    try:
        _run_signed_in(env, seeded, user, fb_grant, g_grant)
    finally:
        # Leave the database as found (the sandbox seed stays): later benchmarks make their own people.
        from accounts.models import User

        User.objects.filter(username__in=["ada", "few-friends"]).delete()
        User.objects.filter(username__startswith="bench-join-").delete()


def _run_signed_in(env: Environment, seeded: float, user: Any, fb_grant: Any, g_grant: Any) -> None:
    from friends.models import FriendSyncState

    def fb_sync(watch: Stopwatch) -> Any:
        return _sync(fb_grant, watch)

    def g_full_prepare() -> None:
        FriendSyncState.objects.filter(link=g_grant.social).update(sync_token="")

    def g_sync(watch: Stopwatch) -> Any:
        return _sync(g_grant, watch)

    fb = measure(fb_sync)
    g_full = measure(g_sync, prepare=g_full_prepare)
    g_incremental = measure(g_sync, prepare=_change_contacts_of_ada)

    rows = [
        _row(f"full Facebook sync ({FRIENDS:,} friends)", fb),
        _row(f"full Google sync ({CONTACTS:,} contacts)", g_full),
        _row(f"incremental Google sync ({CHANGED_SHARE:.0%} changed)", g_incremental),
    ]
    page_lines = _page_figures(user)
    print_block(
        f"friends: sync and page ({env.database}; sandbox in this process)",
        [
            f"seeded {FRIENDS:,} people and friends, {CONTACTS:,} contacts per named person "
            f"in {seeded:.1f} s",
            "",
            *table(["", "wall", "provider", "ours", "pages", "rows", "queries", "peak MB"], rows),
            "",
            *page_lines,
            "",
            "targets: ours under 2 s for 25,000 contacts; queries proportional to pages;",
            "         peak under 150 MB; the page's queries the same at 50 and 5,000 friends",
        ],
    )


def _sync(grant: Any, watch: Stopwatch) -> Any:
    from friends.services import SyncResult, friends_sync

    client = _timed_client(grant.provider, watch)
    outcome = friends_sync(grant=grant, client=client)
    if outcome.result != SyncResult.OK:
        raise SystemExit(f"{grant.provider} sync did not succeed: {outcome}")
    return outcome


def _timed_client(provider: str, watch: Stopwatch) -> Any:
    """The real client, with the time spent in each page's call (HTTP and the provider) counted."""
    from providers.facebook.friends import FriendsPage, GraphFriendsClient
    from providers.google.contacts import ContactsPage, PeopleClient

    class TimedGraphClient(GraphFriendsClient):
        def iter_pages(self, access_token: str, **kwargs: Any) -> Iterator[FriendsPage]:
            return timed_iter(super().iter_pages(access_token, **kwargs), watch)

    class TimedPeopleClient(PeopleClient):
        def iter_pages(self, access_token: str, **kwargs: Any) -> Iterator[ContactsPage]:
            return timed_iter(super().iter_pages(access_token, **kwargs), watch)

    return TimedGraphClient() if provider == "facebook" else TimedPeopleClient()


def _row(label: str, m: Measurement) -> list[str]:
    outcome = m.result
    return [
        label,
        f"{m.wall:.2f} s",
        f"{m.provider:.2f} s",
        f"{m.ours:.2f} s",
        f"{outcome.pages}",
        f"{outcome.fetched:,}",
        f"{m.queries}",
        f"{m.peak_bytes / 2**20:.1f}",
    ]


def _sign_in_ada() -> tuple[Any, Any, Any]:
    """Ada, signed in with both providers as the login pipeline would leave her."""
    from django.conf import settings
    from django.db import transaction
    from social_django.models import UserSocialAuth

    from accounts import services
    from providers.facebook.sandbox import services as fb_sandbox
    from sandbox import services as sandbox
    from sandbox.models import Provider, SandboxPerson, TokenKind

    ada = SandboxPerson.objects.get(email="ada@sandbox.example")
    fb_scopes = ["email", "user_friends"]
    g_scopes = ["openid", "email", "profile", CONTACTS_SCOPE]
    fb_token = sandbox.token_issue(
        provider=Provider.FACEBOOK, kind=TokenKind.ACCESS, person=ada, client_id=settings.FACEBOOK_APP_ID,
        scopes=fb_scopes, lifetime=fb_sandbox.FACEBOOK_LONG_LIVED_SECONDS,
    )  # fmt: skip
    g_token = sandbox.token_issue(
        provider=Provider.GOOGLE, kind=TokenKind.ACCESS, person=ada, client_id=settings.GOOGLE_CLIENT_ID,
        scopes=g_scopes, lifetime=3599,
    )  # fmt: skip
    user, fb_link, _ = services.identity_create(
        provider="facebook",
        uid=ada.facebook_id,
        id_key="id",
        user_fields={
            "username": "ada",
            "email": ada.email,
            "first_name": ada.given_name,
            "last_name": ada.family_name,
        },
    )
    g_link = UserSocialAuth.objects.create(user=user, provider="google", uid=ada.google_sub, id_key="sub")
    with transaction.atomic():  # as the login pipeline runs it
        fb_grant = services.grant_store(
            link=fb_link, access_token=fb_token.value, refresh_token=None,
            expires_in=fb_sandbox.FACEBOOK_LONG_LIVED_SECONDS, scopes=fb_scopes, denied_scopes=[],
        )  # fmt: skip
        g_grant = services.grant_store(
            link=g_link, access_token=g_token.value, refresh_token=None,
            expires_in=3599, scopes=g_scopes, denied_scopes=[],
        )  # fmt: skip
    # Some of her friends and contacts are on socialsite too, so the badges have work to do.
    _join_socialsite(count=FRIENDS // 10)
    return user, fb_grant, g_grant


def _join_socialsite(*, count: int) -> None:
    from social_django.models import UserSocialAuth

    from accounts.models import User
    from sandbox.models import SandboxPerson

    people = list(SandboxPerson.objects.filter(generated=True).order_by("pk")[:count])
    users = User.objects.bulk_create(
        # They said yes to being found by email, so contacts match them as well as friends.
        [User(username=f"bench-join-{p.pk}", email=p.email, findable_by_email=True) for p in people],
        batch_size=500,
    )
    UserSocialAuth.objects.bulk_create(
        [
            UserSocialAuth(user=u, provider="facebook", uid=p.facebook_id)
            for u, p in zip(users, people, strict=True)
        ],
        batch_size=500,
    )


def _change_contacts_of_ada() -> None:
    """1% of Ada's contacts change at Google: four in five renamed, one in five deleted."""
    from sandbox import services as sandbox
    from sandbox.models import SandboxContact

    live = list(SandboxContact.objects.filter(owner__email="ada@sandbox.example", deleted_at__isnull=True))
    chosen = random.Random(len(live)).sample(live, max(1, int(len(live) * CHANGED_SHARE)))
    for index, contact in enumerate(chosen):
        if index % 5 == 4:
            sandbox.contact_delete(contact=contact)
        else:
            sandbox.contact_update(contact=contact, given_name=contact.given_name + " Jr")


def _page_figures(user: Any) -> list[str]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from friends.models import Friend

    client = Client()
    client.force_login(user)

    def render() -> None:
        response = client.get("/friends/")
        assert response.status_code == 200, response.status_code

    render()  # warm: templates compiled, caches filled
    median = median_seconds(render, times=PAGE_RENDERS)
    with CaptureQueriesContext(connection) as big:
        render()
    stored = Friend.objects.filter(link__user=user, provider="facebook").count()

    small_user = _person_with_friends(50)
    small = Client()
    small.force_login(small_user)
    with CaptureQueriesContext(connection) as few:
        assert small.get("/friends/").status_code == 200
    return [
        f"friends page at {stored:,} friends + {CONTACTS:,} contacts: median {median * 1000:.0f} ms "
        f"over {PAGE_RENDERS} renders, {len(big)} queries",
        f"friends page at 50 friends + 50 contacts: {len(few)} queries",
    ]


def _person_with_friends(count: int) -> Any:
    """Someone linked to both providers whose sync stored ``count`` friends and ``count`` contacts."""
    from django.utils import timezone
    from social_django.models import UserSocialAuth

    from accounts.models import ProviderGrant, User
    from friends.models import Friend, FriendSyncState

    user = User.objects.create_user(username="few-friends", email="few@example.com")
    now = timezone.now()
    for provider, uid in (("facebook", "3000000000000"), ("google", "300000000000000000000")):
        link = UserSocialAuth.objects.create(user=user, provider=provider, uid=uid)
        grant = ProviderGrant(provider=provider, uid=uid, social=link)
        grant.set_access_token("bench-not-a-real-token")
        grant.save()
        FriendSyncState.objects.create(link=link, status="ok", last_success_at=now, total_count=count)
        if provider == "facebook":
            Friend.objects.bulk_create(
                [
                    Friend(link=link, provider=provider, external_id=f"3{n:014d}", name=f"Friend {n}",
                           synced_at=now)
                    for n in range(count)
                ]
            )  # fmt: skip
        else:
            Friend.objects.bulk_create(
                [
                    Friend(link=link, provider=provider, external_id=f"people/c{n}", name=f"Contact {n}",
                           email=f"contact{n}@example.com", synced_at=now)
                    for n in range(count)
                ]
            )  # fmt: skip
    return user
