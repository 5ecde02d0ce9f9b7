"""What the emulated GitHub does: identities, tokens (both kinds), the following graph, rate limits.

Codes and tokens are the sandbox core's ``SandboxAuthCode`` / ``SandboxToken`` rows with
``provider="github"``; their values carry ``sbx-`` prefixes shaped like GitHub's own
(``gho_`` OAuth-app token, ``ghu_`` App user token, ``ghr_`` refresh token), so a leak test
finds them. https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/
"""

from __future__ import annotations

import hashlib
import random
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from providers.github.sandbox.models import SandboxFollow, SandboxRateWindow
from sandbox import services as core
from sandbox.models import SandboxAuthCode, SandboxPerson, SandboxToken, TokenKind

PROVIDER = "github"
CODE_PREFIX = "sbx-gh-code-"
OAUTH_TOKEN_PREFIX = "sbx-gho_"
APP_TOKEN_PREFIX = "sbx-ghu_"
REFRESH_TOKEN_PREFIX = "sbx-ghr_"

# GitHub-App user tokens: 8 hours; their refresh tokens: 15897600 s (about 6 months).
# https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens
APP_TOKEN_SECONDS = 28800
REFRESH_TOKEN_SECONDS = 15897600
# 5,000 requests an hour per user (Rate limits for the REST API).
RATE_LIMIT = 5000
RATE_WINDOW = timedelta(hours=1)


def github_id(person: SandboxPerson) -> int:
    """The person's numeric GitHub id, stable across reseeds (from their fixed Facebook id)."""
    return int(person.facebook_id[2:])


def github_login(person: SandboxPerson) -> str:
    return person.email.split("@", 1)[0]


def person_by_github_id(value: int) -> SandboxPerson | None:
    # Roster ids are 10…, generated ones 20… (see sandbox.seeding): try both spellings.
    for prefix in ("10", "20"):
        person = SandboxPerson.objects.filter(facebook_id=f"{prefix}{value:015d}").first()
        if person is not None:
            return person
    return None


# --- codes and tokens -------------------------------------------------------------------------


def code_issue(
    *, person: SandboxPerson, client_id: str, redirect_uri: str, scopes: list[str], code_challenge: str
) -> SandboxAuthCode:
    now = timezone.now()
    return SandboxAuthCode.objects.create(
        provider=PROVIDER,
        value=CODE_PREFIX + secrets.token_urlsafe(24),
        person=person,
        client_id=client_id,
        redirect_uri=redirect_uri,
        scopes=" ".join(scopes),
        code_challenge=code_challenge,
        code_challenge_method="S256" if code_challenge else "",
        created_at=now,
        # GitHub's codes expire after 10 minutes (Authorizing OAuth apps).
        expires_at=now + timedelta(seconds=int(getattr(settings, "SANDBOX_CODE_SECONDS", 600))),
    )


@dataclass(frozen=True)
class Tokens:
    access: SandboxToken
    refresh: SandboxToken | None


def _token(
    *, kind: str, prefix: str, person: SandboxPerson, client_id: str, scopes: list[str], lifetime: int | None,
    code: SandboxAuthCode | None = None,
) -> SandboxToken:  # fmt: skip
    now = timezone.now()
    return SandboxToken.objects.create(
        provider=PROVIDER,
        kind=kind,
        value=prefix + secrets.token_urlsafe(30),
        person=person,
        client_id=client_id,
        scopes=" ".join(scopes),
        expires_at=None if lifetime is None else now + timedelta(seconds=lifetime),
        code=code,
        created_at=now,
    )


def tokens_issue(
    *,
    person: SandboxPerson,
    client_id: str,
    scopes: list[str],
    app_tokens: bool,
    code: SandboxAuthCode | None,
) -> Tokens:
    """An OAuth-app token (never expires), or an App user token with its refresh token."""
    if not app_tokens:
        access = _token(
            kind=TokenKind.ACCESS, prefix=OAUTH_TOKEN_PREFIX, person=person, client_id=client_id,
            scopes=scopes, lifetime=None, code=code,
        )  # fmt: skip
        return Tokens(access=access, refresh=None)
    access = _token(
        kind=TokenKind.ACCESS, prefix=APP_TOKEN_PREFIX, person=person, client_id=client_id,
        scopes=scopes, lifetime=int(getattr(settings, "SANDBOX_GITHUB_APP_TOKEN_SECONDS", APP_TOKEN_SECONDS)),
        code=code,
    )  # fmt: skip
    refresh = _token(
        kind=TokenKind.REFRESH, prefix=REFRESH_TOKEN_PREFIX, person=person, client_id=client_id,
        scopes=scopes, lifetime=REFRESH_TOKEN_SECONDS, code=code,
    )  # fmt: skip
    return Tokens(access=access, refresh=refresh)


@transaction.atomic
def tokens_rotate(*, refresh: SandboxToken) -> Tokens:
    """A new access and refresh token; the used refresh token and its access tokens die.

    "Once you use a refresh token, that refresh token and the old user access token will no
    longer work." (Refreshing user access tokens)
    """
    now = timezone.now()
    # The sandbox keeps one chain per person and app: the pair that came with this refresh
    # token is every live token of the authorization.
    SandboxToken.objects.filter(
        provider=PROVIDER, person=refresh.person, client_id=refresh.client_id, revoked_at__isnull=True
    ).update(revoked_at=now)
    return tokens_issue(
        person=refresh.person,
        client_id=refresh.client_id,
        scopes=refresh.scope_list,
        app_tokens=True,
        code=None,
    )


def grant_revoke(*, person: SandboxPerson, client_id: str) -> int:
    """``DELETE /applications/{client_id}/grant``: every token of the authorization dies."""
    return core.grant_revoke(provider=PROVIDER, person=person, client_id=client_id)


# --- rate limits ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RateState:
    limit: int
    used: int
    resets_at: int  # epoch seconds

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


def _limit() -> int:
    return int(getattr(settings, "SANDBOX_GITHUB_RATE_LIMIT", RATE_LIMIT))


def rate_window(*, person: SandboxPerson) -> SandboxRateWindow:
    now = timezone.now()
    window, _ = SandboxRateWindow.objects.get_or_create(
        person=person, defaults={"resets_at": now + RATE_WINDOW}
    )
    if window.resets_at <= now:
        SandboxRateWindow.objects.filter(pk=window.pk).update(resets_at=now + RATE_WINDOW, used=0)
        window.refresh_from_db()
    return window


def rate_state(*, person: SandboxPerson) -> RateState:
    window = rate_window(person=person)
    return RateState(limit=_limit(), used=window.used, resets_at=int(window.resets_at.timestamp()))


def rate_count(*, person: SandboxPerson) -> RateState:
    """Count one request against the person's window (a 304 is never counted)."""
    window = rate_window(person=person)
    SandboxRateWindow.objects.filter(pk=window.pk).update(used=F("used") + 1)
    return rate_state(person=person)


def rate_exhaust(*, person: SandboxPerson) -> RateState:
    """Use up the person's window, as an hour of heavy use would."""
    window = rate_window(person=person)
    SandboxRateWindow.objects.filter(pk=window.pk).update(used=_limit())
    return rate_state(person=person)


# --- the following graph ------------------------------------------------------------------


def follow_add(*, person: SandboxPerson, followed: SandboxPerson) -> bool:
    """``person`` follows ``followed``; False when they already did."""
    _, created = SandboxFollow.objects.get_or_create(person=person, followed=followed)
    return created


def follow_remove(*, person: SandboxPerson, followed: SandboxPerson) -> bool:
    return SandboxFollow.objects.filter(person=person, followed=followed).delete()[0] > 0


def following_page(
    *, person: SandboxPerson, page: int, per_page: int
) -> tuple[list[SandboxPerson], bool, int]:
    """One page of whom ``person`` follows (oldest follow first), whether more follow, and the page count."""
    follows = SandboxFollow.objects.filter(person=person).order_by("id")
    total = follows.count()
    start = (page - 1) * per_page
    people = [f.followed for f in follows.select_related("followed")[start : start + per_page]]
    last = max(1, -(-total // per_page))
    return people, page < last, last


def page_etag(people: list[SandboxPerson], page: int, per_page: int) -> str:
    """A weak ETag that changes exactly when the page's content does, as GitHub's do."""
    digest = hashlib.sha256(f"{page}:{per_page}:{[p.pk for p in people]}".encode()).hexdigest()
    return f'W/"{digest[:40]}"'


def roster_follows_fill() -> int:
    """The roster's small following graph: each named person follows the next two."""
    people = list(core.roster())
    added = 0
    for index, person in enumerate(people):
        for followed in people[index + 1 : index + 3]:
            added += follow_add(person=person, followed=followed)
    return added


@transaction.atomic
def follows_generate(*, per_person: int) -> int:
    """Each named person follows ``per_person`` generated people (the seeding command's knob)."""
    pool = list(SandboxPerson.objects.filter(generated=True).values_list("pk", flat=True))
    added = 0
    now = timezone.now()
    for person in core.roster():
        have = set(SandboxFollow.objects.filter(person=person).values_list("followed_id", flat=True))
        candidates = [pk for pk in pool if pk not in have]
        want = min(max(per_person - len(have & set(pool)), 0), len(candidates))
        chosen = random.Random(f"github-{person.pk}").sample(candidates, want)
        SandboxFollow.objects.bulk_create(
            [SandboxFollow(person=person, followed_id=pk, created_at=now) for pk in chosen],
            ignore_conflicts=True,
        )
        added += want
    return added
