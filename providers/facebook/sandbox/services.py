"""What Facebook's emulator does beyond the core: long-lived tokens and data access."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from sandbox.models import SandboxAuthCode, SandboxPerson, SandboxToken, TokenKind
from sandbox.services import _setting, token_issue

# Facebook's long-lived user tokens last about 60 days; this is the figure Graph answers.
# https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived/
FACEBOOK_LONG_LIVED_SECONDS = 5183944

# Data access lapses 90 days after the person last used the app, apart from the token; a login
# counts as use, and once lapsed only a login with auth_type=reauthorize restores it.
# https://developers.facebook.com/docs/facebook-login/auth-vs-data/#data-access-expiration
FACEBOOK_DATA_ACCESS_SECONDS = 90 * 86400


def facebook_data_access_expires_at(*, person: SandboxPerson, client_id: str) -> datetime | None:
    """When this person's data access for this app ends (their newest token's), or None if never granted."""
    newest = (
        SandboxToken.objects.filter(provider="facebook", person=person, client_id=client_id)
        .exclude(data_access_expires_at=None)
        .order_by("-created_at", "-id")
        .first()
    )
    return newest.data_access_expires_at if newest else None


def facebook_token_for_code(*, code: SandboxAuthCode) -> SandboxToken:
    """The short-lived user access token a Facebook code is exchanged for.

    Signing in is using the app: data access runs 90 days from now, unless it had already
    lapsed, in which case only a login with ``auth_type=reauthorize`` (``prompt_consent``)
    restores it; a plain login leaves it lapsed.
    """
    now = timezone.now()
    previous = facebook_data_access_expires_at(person=code.person, client_id=code.client_id)
    if code.prompt_consent or previous is None or previous > now:
        data_access = now + timedelta(seconds=FACEBOOK_DATA_ACCESS_SECONDS)
    else:
        data_access = previous
    return token_issue(
        provider="facebook",
        kind=TokenKind.ACCESS,
        person=code.person,
        client_id=code.client_id,
        scopes=code.scope_list,
        lifetime=_setting("SANDBOX_FACEBOOK_TOKEN_SECONDS", 5400),
        code=code,
        data_access_expires_at=data_access,
    )


def facebook_token_exchange(*, token: SandboxToken) -> SandboxToken:
    """A long-lived (about 60 days) token for a valid short-lived one; the old one stays valid.

    A token that is already long-lived is not extended: the answer is that same token with
    the time it has left, never a fresh 60 days ("Long-Lived Access Tokens": exchange a
    short-lived token; field: passport-facebook#98, facebook-node-sdk#68).
    https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived/
    """
    if token.long_lived:
        return token
    return token_issue(
        provider="facebook",
        kind=TokenKind.ACCESS,
        person=token.person,
        client_id=token.client_id,
        scopes=token.scope_list,
        lifetime=FACEBOOK_LONG_LIVED_SECONDS,
        long_lived=True,
        data_access_expires_at=token.data_access_expires_at,
    )


def facebook_data_access_expire(*, person: SandboxPerson, client_id: str) -> int:
    """Let this person's data access for the app lapse now, as 90 days without using it would.

    Their tokens stay valid (they still sign the person in); Graph's data calls answer
    error 190/493 until a login with ``auth_type=reauthorize``. Returns how many tokens.
    """
    return SandboxToken.objects.filter(
        provider="facebook", person=person, client_id=client_id, revoked_at__isnull=True
    ).update(data_access_expires_at=timezone.now())
