"""What the emulated providers do: the roster, codes, tokens, grants and id_tokens.

Views stay thin: they parse the wire format, call these functions and render the answer.
Writes are keyword-only functions named ``<entity>_<action>``.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from sandbox import crypto
from sandbox.faults import emulators
from sandbox.models import (
    SandboxAuthCode,
    SandboxContact,
    SandboxFriendship,
    SandboxPerson,
    SandboxSigningKey,
    SandboxToken,
    TokenKind,
)


def token_prefix(provider: str, kind: str) -> str:
    """The recognisable prefix of a code or token ``provider``'s emulator issues
    (``Emulator.token_prefixes``): a test can grep a database dump or a log for "sbx-"."""
    return emulators()[provider].token_prefixes[kind]


class GrantError(Exception):
    """A code or token the provider refuses; ``reason`` says why, for the wire answer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _issue_value(provider: str, kind: str) -> str:
    return token_prefix(provider, kind) + secrets.token_urlsafe(32)


# --- Roster ---------------------------------------------------------------------------

# (given name, family name, email verified). Ids are fixed so a person keeps their
# identity across reseeds: the app recognises a login by (provider, uid).
_ROSTER: tuple[tuple[str, str, bool], ...] = (
    ("Ada", "Lovelace", True),
    ("Grace", "Hopper", True),
    ("Alan", "Turing", True),
    ("Katherine", "Johnson", True),
    ("Edsger", "Dijkstra", False),  # Google says email_verified=false: the app must not trust it
    ("Margaret", "Hamilton", True),
    ("Tim", "Berners-Lee", True),
    ("Barbara", "Liskov", True),
)


def _roster_people() -> list[SandboxPerson]:
    return [
        SandboxPerson(
            name=f"{given} {family}",
            given_name=given,
            family_name=family,
            email=f"{given.lower()}@sandbox.example",
            email_verified=verified,
            # App-scoped Facebook ids and Google subs are long digit strings.
            facebook_id=f"10{2000000000000 + index * 1117:015d}",
            google_sub=f"1{10000000000000000000 + index * 7919:020d}",
        )
        for index, (given, family, verified) in enumerate(_ROSTER, start=1)
    ]


def ensure_roster() -> int:
    """Seed the fixed roster of eight people if there is nobody yet; returns how many were added.

    A fresh roster also gets its small social graph (``roster_graph_fill``).
    """
    if SandboxPerson.objects.exists():
        return 0
    return roster_fill()


def roster_fill() -> int:
    """Add whichever roster people are missing (by email) and top up their small social
    graph; returns how many people were added."""
    present = set(SandboxPerson.objects.values_list("email", flat=True))
    missing = [person for person in _roster_people() if person.email not in present]
    try:
        with transaction.atomic():
            # Another process seeding at the same moment: its rows win, ours are skipped.
            created = SandboxPerson.objects.bulk_create(missing, ignore_conflicts=True)
    except IntegrityError:
        return 0
    roster_graph_fill()
    for emulator in emulators().values():
        emulator.roster_graph_fill()  # each provider's own graph, where it has one
    return len(created)


def roster() -> QuerySet[SandboxPerson]:
    """The named people a consent page offers; generated people stay out of the way."""
    return SandboxPerson.objects.filter(generated=False)


# --- Authorization codes ----------------------------------------------------------------


def code_issue(
    *,
    provider: str,
    person: SandboxPerson,
    client_id: str,
    redirect_uri: str,
    scopes: list[str],
    nonce: str = "",
    code_challenge: str = "",
    code_challenge_method: str = "",
    offline: bool = False,
    prompt_consent: bool = False,
) -> SandboxAuthCode:
    """Hand out a single-use authorization code after consent."""
    now = timezone.now()
    return SandboxAuthCode.objects.create(
        provider=provider,
        value=_issue_value(provider, "code"),
        person=person,
        client_id=client_id,
        redirect_uri=redirect_uri,
        scopes=" ".join(scopes),
        nonce=nonce,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
        offline=offline,
        prompt_consent=prompt_consent,
        created_at=now,
        expires_at=now + timedelta(seconds=_setting("SANDBOX_CODE_SECONDS", 600)),
    )


def _pkce_ok(code: SandboxAuthCode, code_verifier: str | None, *, required: bool = False) -> None:
    # RFC 7636 §4.6: a code issued with a challenge needs the matching verifier; a server
    # that requires PKCE refuses a code issued without one (the switch was turned on since).
    if not code.code_challenge:
        if required:
            raise GrantError("pkce_missing")
        return
    if not code_verifier:
        raise GrantError("pkce_missing")
    if code.code_challenge_method == "S256":
        computed = crypto.pkce_s256(code_verifier)
    else:
        computed = code_verifier
    if not hmac.compare_digest(computed.encode(), code.code_challenge.encode()):
        raise GrantError("pkce_mismatch")


def code_redeem(
    *,
    provider: str,
    value: str,
    client_id: str,
    redirect_uri: str,
    code_verifier: str | None = None,
    pkce_required: bool = False,
) -> SandboxAuthCode:
    """Spend a code. Raises ``GrantError`` with reason ``unknown``, ``used``, ``expired``,
    ``redirect_mismatch``, ``pkce_missing`` or ``pkce_mismatch``.

    A replayed code also revokes the tokens first issued for it (RFC 6749 §4.1.2).
    """
    code = SandboxAuthCode.objects.filter(provider=provider, value=value).select_related("person").first()
    if code is None or code.client_id != client_id:
        raise GrantError("unknown")
    now = timezone.now()
    if code.used_at is not None:
        token_revoke_issued_for(code=code)
        raise GrantError("used")
    if code.expires_at <= now:
        raise GrantError("expired")
    if code.redirect_uri != redirect_uri:
        raise GrantError("redirect_mismatch")
    _pkce_ok(code, code_verifier, required=pkce_required)
    # Compare-and-swap so two concurrent redemptions cannot both win.
    if not SandboxAuthCode.objects.filter(pk=code.pk, used_at__isnull=True).update(used_at=now):
        token_revoke_issued_for(code=code)
        raise GrantError("used")
    code.used_at = now
    return code


# --- Tokens ---------------------------------------------------------------------------


def token_issue(
    *,
    provider: str,
    kind: str,
    person: SandboxPerson,
    client_id: str,
    scopes: list[str],
    lifetime: int | None,
    code: SandboxAuthCode | None = None,
    long_lived: bool = False,
    data_access_expires_at: datetime | None = None,
) -> SandboxToken:
    """Issue an access or refresh token; ``lifetime`` ``None`` never expires."""
    now = timezone.now()
    return SandboxToken.objects.create(
        long_lived=long_lived,
        data_access_expires_at=data_access_expires_at,
        provider=provider,
        kind=kind,
        value=_issue_value(provider, kind),
        person=person,
        client_id=client_id,
        scopes=" ".join(scopes),
        expires_at=None if lifetime is None else now + timedelta(seconds=lifetime),
        code=code,
        created_at=now,
    )


def token_resolve(*, provider: str, value: str, kind: str | None = TokenKind.ACCESS) -> SandboxToken:
    """The live token behind ``value`` (of ``kind``, or either kind with ``None``).

    Raises ``GrantError`` ``unknown``, ``revoked`` or ``expired``.
    """
    if not value:
        raise GrantError("unknown")
    tokens = SandboxToken.objects.filter(provider=provider, value=value)
    if kind is not None:
        tokens = tokens.filter(kind=kind)
    token = tokens.select_related("person").first()
    if token is None:
        raise GrantError("unknown")
    if token.revoked_at is not None:
        raise GrantError("revoked")
    if token.expires_at is not None and token.expires_at <= timezone.now():
        raise GrantError("expired")
    return token


def token_expire(*, token: SandboxToken) -> None:
    """End one token's life now, leaving the rest of its grant (its refresh token) alive."""
    SandboxToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())


def token_revoke_issued_for(*, code: SandboxAuthCode) -> int:
    """Revoke every token first issued for ``code`` (a replayed code means it leaked)."""
    return SandboxToken.objects.filter(code=code, revoked_at__isnull=True).update(revoked_at=timezone.now())


def grant_revoke(*, provider: str, person: SandboxPerson, client_id: str) -> int:
    """Revoke the whole grant: every token of this person for this client."""
    return SandboxToken.objects.filter(
        provider=provider, person=person, client_id=client_id, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())


def grant_scopes(*, provider: str, person: SandboxPerson, client_id: str) -> set[str]:
    """Scopes this person already granted this client, from tokens still alive."""
    now = timezone.now()
    scopes: set[str] = set()
    live = SandboxToken.objects.filter(provider=provider, person=person, client_id=client_id, revoked_at=None)
    for token in live.exclude(expires_at__lte=now):
        scopes.update(token.scope_list)
    return scopes


_SIGNING_KEY_LOCK = threading.Lock()


def signing_key() -> SandboxSigningKey:
    """The newest signing key, made on first use and kept (restarts, several processes)."""
    key = SandboxSigningKey.objects.first()
    if key is not None:
        return key
    # One key, made once: without the lock, a burst of first sign-ins would each spend
    # ~100 ms of CPU making a key of their own (and publish them all).
    with _SIGNING_KEY_LOCK:
        key = SandboxSigningKey.objects.first()
        if key is not None:
            return key
        return _signing_key_create()


def _signing_key_create() -> SandboxSigningKey:
    pem = crypto.generate_private_pem()
    kid = crypto.jwk_thumbprint(crypto.public_jwk(pem))
    key, _ = SandboxSigningKey.objects.get_or_create(kid=kid, defaults={"private_pem": pem})
    return key


def signing_key_rotate() -> SandboxSigningKey:
    """A new key signs from now on; the older ones stay published, as Google rotates its keys.

    https://developers.google.com/identity/openid-connect/openid-connect#validatinganidtoken
    """
    return _signing_key_create()


def jwks() -> dict[str, list[dict[str, str]]]:
    """Every published key, newest first: tokens signed by an older key still verify."""
    signing_key()
    keys = []
    for key in SandboxSigningKey.objects.all():
        keys.append({**crypto.public_jwk(key.private_pem), "alg": "RS256", "use": "sig", "kid": key.kid})
    return {"keys": keys}


# --- Social graph: Facebook friendships and Google contacts ------------------------------

# Contacts every named roster person has in a fresh sandbox, beside a few roster people.
_EXAMPLE_CONTACTS: tuple[tuple[str, str, str | None], ...] = (
    ("Charles", "Babbage", "charles.babbage@example.com"),
    ("Hedy", "Lamarr", "hedy.lamarr@example.com"),
    ("Claude", "Shannon", None),  # contacts need not have an email
)


class _Unchanged:
    """Marks a keyword argument left out of ``contact_update``."""


UNCHANGED = _Unchanged()


def contact_resource_name() -> str:
    """A People API contact resource name: ``people/c`` and 19 digits, as Google issues them."""
    return f"people/c{10**18 + secrets.randbelow(9 * 10**18)}"


def contact_etag() -> str:
    """A fresh etag; Google's are opaque ``%``-prefixed strings that change with the contact."""
    return "%" + secrets.token_urlsafe(18)


def contact_version_next(*, owner: SandboxPerson) -> int:
    """The first unused version of ``owner``'s address book (every later one is unused too).

    Call inside a transaction: the owner's row lock serialises writers until it commits, so
    versions only ever grow and a sync token ("everything up to version v") misses nothing.
    """
    SandboxPerson.objects.select_for_update().filter(pk=owner.pk).first()
    current = SandboxContact.objects.filter(owner=owner).aggregate(top=Max("version"))["top"] or 0
    return current + 1


def contact_add(
    *,
    owner: SandboxPerson,
    given_name: str,
    family_name: str = "",
    email: str | None = None,
    photo_url: str = "",
) -> SandboxContact:
    """Add a contact to ``owner``'s Google address book."""
    with transaction.atomic():
        version = contact_version_next(owner=owner)
        return SandboxContact.objects.create(
            owner=owner,
            resource_name=contact_resource_name(),
            etag=contact_etag(),
            given_name=given_name,
            family_name=family_name,
            display_name=" ".join(part for part in (given_name, family_name) if part),
            email=email,
            photo_url=photo_url,
            version=version,
        )


def contact_update(
    *,
    contact: SandboxContact,
    given_name: str | _Unchanged = UNCHANGED,
    family_name: str | _Unchanged = UNCHANGED,
    email: str | _Unchanged | None = UNCHANGED,
    photo_url: str | _Unchanged = UNCHANGED,
) -> SandboxContact:
    """Change a contact: new etag and version, so the next incremental sync reports it."""
    with transaction.atomic():
        if not isinstance(given_name, _Unchanged):
            contact.given_name = given_name
        if not isinstance(family_name, _Unchanged):
            contact.family_name = family_name
        if not isinstance(email, _Unchanged):
            contact.email = email
        if not isinstance(photo_url, _Unchanged):
            contact.photo_url = photo_url
        contact.display_name = " ".join(part for part in (contact.given_name, contact.family_name) if part)
        contact.version = contact_version_next(owner=contact.owner)
        contact.etag = contact_etag()
        contact.updated_at = timezone.now()
        contact.save()
    return contact


def contact_delete(*, contact: SandboxContact) -> SandboxContact:
    """Delete a contact; the row stays as a tombstone so incremental syncs can report it."""
    with transaction.atomic():
        contact.version = contact_version_next(owner=contact.owner)
        contact.etag = contact_etag()
        contact.deleted_at = contact.updated_at = timezone.now()
        contact.save(update_fields=["version", "etag", "deleted_at", "updated_at"])
    return contact


def friendship_add(*, person: SandboxPerson, friend: SandboxPerson) -> bool:
    """Make two people Facebook friends (both directions); False if they already were."""
    if person.pk == friend.pk:
        raise ValueError("a person cannot befriend themselves")
    existed = SandboxFriendship.objects.filter(person=person, friend=friend).exists()
    SandboxFriendship.objects.bulk_create(
        [SandboxFriendship(person=person, friend=friend), SandboxFriendship(person=friend, friend=person)],
        ignore_conflicts=True,
    )
    return not existed


def friendship_remove(*, person: SandboxPerson, friend: SandboxPerson) -> bool:
    """Unfriend (both directions); False if they were not friends."""
    both_ways = Q(person=person, friend=friend) | Q(person=friend, friend=person)
    deleted, _ = SandboxFriendship.objects.filter(both_ways).delete()
    return bool(deleted)


def roster_graph_fill() -> None:
    """Give the named roster a small graph a newcomer sees on the friends page: everyone is
    Facebook friends with everyone, and each has six Google contacts, three of them roster
    people. Idempotent: existing friendships are kept, address books are filled only once."""
    named = list(SandboxPerson.objects.filter(generated=False).order_by("id"))
    pairs = [
        SandboxFriendship(person=person, friend=friend)
        for person in named
        for friend in named
        if person.pk != friend.pk
    ]
    SandboxFriendship.objects.bulk_create(pairs, ignore_conflicts=True)
    has_contacts = set(SandboxContact.objects.filter(owner__in=named).values_list("owner_id", flat=True))
    contacts: list[SandboxContact] = []
    for index, owner in enumerate(named):
        if owner.pk in has_contacts:
            continue
        others = [named[(index + step) % len(named)] for step in (1, 2, 3) if len(named) > step]
        entries = [(p.given_name, p.family_name, p.email) for p in others] + list(_EXAMPLE_CONTACTS)
        contacts += [
            SandboxContact(
                owner=owner,
                resource_name=contact_resource_name(),
                etag=contact_etag(),
                given_name=given,
                family_name=family,
                display_name=f"{given} {family}",
                email=email,
                version=version,
            )
            for version, (given, family, email) in enumerate(entries, start=1)
        ]
    SandboxContact.objects.bulk_create(contacts, ignore_conflicts=True)
