"""Large social graphs for the sandbox, built with bulk inserts (``seed_sandbox --people …``).

Five thousand friends and 25,000 contacts for each of the eight named people is a few
hundred thousand rows. Rows are written as plain tuples, never a row per query: with
PostgreSQL's ``COPY`` (no model instances, no SQL parameters), elsewhere with
``bulk_create`` in batches, so the biggest seed takes seconds. Every step tops up to the
asked-for size, so running the command twice adds nothing the second time.
"""

from __future__ import annotations

import base64
import random
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Field, Model
from django.utils import timezone

from sandbox import services, social
from sandbox.models import Provider, SandboxContact, SandboxFriendship, SandboxPerson, SandboxToken, TokenKind

BATCH = 5000
# Share of generated contacts whose email is a sandbox person's, so "on socialsite"
# matching has hits.
KNOWN_EMAIL_SHARE = 0.05
# The scopes a generated person granted the app: enough to be listed as a friend.
GENERATED_GRANT_SCOPES = "public_profile email user_friends"

_GIVEN = "Alex Sam Jordan Taylor Morgan Casey Riley Jamie Robin Avery Quinn Noor Mika Luca Ines Yuki".split()
_FAMILY = "Nguyen Smith Garcia Okafor Kowalski Rossi Tanaka Dubois Silva Jensen Haddad Murphy Chen".split()


def _column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, Field) and field.column, f"{name} is not a concrete column"
    return field.column


def _insert(model: type[Model], columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> int:
    """Insert ``rows`` (values for the ``columns`` attnames) as fast as the database allows.

    Callers make sure no row conflicts: ``COPY`` has no ``ON CONFLICT``.
    """
    count = 0
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(_column(model, name)) for name in columns)
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    batch: list[Model] = []
    for row in rows:
        batch.append(model(**dict(zip(columns, row, strict=True))))
        if len(batch) == BATCH:
            count += len(model._default_manager.bulk_create(batch))
            batch = []
    if batch:
        count += len(model._default_manager.bulk_create(batch))
    return count


def generated_email(number: int) -> str:
    return f"person{number:05d}@sandbox.example"


@transaction.atomic
def people_generate(*, count: int) -> int:
    """Make sure generated people 1..``count`` exist and use the app on Facebook (a live
    grant with ``user_friends``), so they show in their friends' ``/me/friends``.
    Returns how many people were added."""
    now = timezone.now()
    existing = set(SandboxPerson.objects.filter(generated=True).values_list("email", flat=True))
    people = (
        # Prefixes 20… and 2… keep clear of the named roster's 10… and 1… ids.
        (
            f"Sandbox Person {n:05d}",
            "Sandbox",
            f"Person {n:05d}",
            email,
            True,
            f"20{n:015d}",
            f"2{n:020d}",
            True,
            now,
        )
        for n in range(1, count + 1)
        if (email := generated_email(n)) not in existing
    )
    added = _insert(
        SandboxPerson,
        ("name", "given_name", "family_name", "email", "email_verified", "facebook_id", "google_sub",
         "generated", "created_at"),
        people,
    )  # fmt: skip

    client_id = settings.FACEBOOK_APP_ID
    with_grant = social.app_users(client_id=client_id).values("person_id")
    need_grant = (
        SandboxPerson.objects.filter(generated=True).exclude(pk__in=with_grant).values_list("pk", flat=True)
    )
    prefix = services.token_prefix("facebook", TokenKind.ACCESS)
    tokens = (
        # Seeded grants do not lapse (expires_at NULL): a seeded sandbox stays usable for months.
        (Provider.FACEBOOK.value, TokenKind.ACCESS.value, prefix + secrets.token_urlsafe(32), pk, client_id,
         GENERATED_GRANT_SCOPES, None, None, now)
        for pk in list(need_grant)
    )  # fmt: skip
    _insert(
        SandboxToken,
        (
            "provider",
            "kind",
            "value",
            "person_id",
            "client_id",
            "scopes",
            "expires_at",
            "revoked_at",
            "created_at",
        ),
        tokens,
    )
    return added


@transaction.atomic
def friends_generate(*, per_person: int) -> int:
    """Give each named roster person ``per_person`` friends drawn from the generated people
    (fewer if there are not that many); returns how many friendships were added."""
    now = timezone.now()
    pool = list(SandboxPerson.objects.filter(generated=True).values_list("pk", flat=True))
    added = 0
    for person in services.roster():
        # Either direction counts, so COPY never meets an existing row.
        have = set(
            SandboxFriendship.objects.filter(person=person, friend__generated=True).values_list(
                "friend_id", flat=True
            )
        ) | set(
            SandboxFriendship.objects.filter(friend=person, person__generated=True).values_list(
                "person_id", flat=True
            )
        )
        candidates = [pk for pk in pool if pk not in have]
        want = min(max(per_person - len(have), 0), len(candidates))
        chosen = random.Random(person.pk).sample(candidates, want)
        # Both directions, so either side's friends are one indexed lookup.
        rows = (row for pk in chosen for row in ((person.pk, pk, now), (pk, person.pk, now)))
        _insert(SandboxFriendship, ("person_id", "friend_id", "created_at"), rows)
        added += want
    return added


def contacts_generate(*, per_person: int) -> int:
    """Give each named roster person ``per_person`` live Google contacts; about 5% carry a
    sandbox person's email, the rest example.com ones. Returns how many were added."""
    emails = list(SandboxPerson.objects.values_list("email", flat=True))
    added = 0
    for person in services.roster():
        want = per_person - SandboxContact.objects.filter(owner=person, deleted_at__isnull=True).count()
        if want <= 0:
            continue
        known = [email for email in emails if email != person.email]
        with transaction.atomic():
            first = services.contact_version_next(owner=person)
            # Seeded by where this batch starts, so a top-up never repeats earlier names.
            rng = random.Random(f"contacts-{person.pk}-{first}")
            now = timezone.now()
            rows = (_contact(person.pk, first + i, rng, known, now) for i in range(want))
            added += _insert(SandboxContact, CONTACT_COLUMNS, rows)
    return added


CONTACT_COLUMNS = ("owner_id", "resource_name", "etag", "given_name", "family_name", "display_name", "email",
                   "photo_url", "version", "deleted_at", "updated_at")  # fmt: skip


def _contact(
    owner_id: int, version: int, rng: random.Random, known: list[str], now: datetime
) -> tuple[Any, ...]:
    given, family = rng.choice(_GIVEN), rng.choice(_FAMILY)
    if known and rng.random() < KNOWN_EMAIL_SHARE:
        email = rng.choice(known)
    else:
        email = f"{given.lower()}.{family.lower()}.{version}@example.com"
    # Same shapes as services.contact_resource_name / contact_etag, from a seeded generator
    # because secrets is slow at this volume (and these are not secrets).
    resource_name = f"people/c{rng.randrange(10**18, 10**19)}"
    etag = "%" + base64.urlsafe_b64encode(rng.randbytes(12)).decode()
    return (owner_id, resource_name, etag, given, family, f"{given} {family}", email, "", version, None, now)
