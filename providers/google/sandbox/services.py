"""What Google's emulator does beyond the core: its tokens, id_tokens and claims."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from sandbox import crypto
from sandbox.models import SandboxAuthCode, SandboxPerson, SandboxToken, TokenKind
from sandbox.services import _setting, signing_key, token_issue

# Google id_tokens live one hour.
ID_TOKEN_SECONDS = 3600

# Either scope lets a token read connections.
# https://developers.google.com/people/api/rest/v1/people.connections/list#authorization-scopes
CONTACTS_SCOPES = frozenset(
    {"https://www.googleapis.com/auth/contacts.readonly", "https://www.googleapis.com/auth/contacts"}
)


@dataclass(frozen=True)
class GoogleTokens:
    access: SandboxToken
    refresh: SandboxToken | None


def google_tokens_for_code(*, code: SandboxAuthCode) -> GoogleTokens:
    """Access token, and a refresh token only on first offline consent or with prompt=consent.

    https://developers.google.com/identity/protocols/oauth2/web-server#offline
    """
    want_refresh = code.offline and (
        code.prompt_consent or not _has_live_refresh_token(person=code.person, client_id=code.client_id)
    )
    access = token_issue(
        provider="google",
        kind=TokenKind.ACCESS,
        person=code.person,
        client_id=code.client_id,
        scopes=code.scope_list,
        lifetime=_setting("SANDBOX_GOOGLE_TOKEN_SECONDS", 3599),
        code=code,
    )
    refresh = None
    if want_refresh:
        refresh = token_issue(
            provider="google",
            kind=TokenKind.REFRESH,
            person=code.person,
            client_id=code.client_id,
            scopes=code.scope_list,
            lifetime=None,
            code=code,
        )
    return GoogleTokens(access=access, refresh=refresh)


def google_tokens_for_refresh(*, refresh: SandboxToken) -> GoogleTokens:
    """A new access token; with ``SANDBOX_GOOGLE_ROTATE_REFRESH_TOKENS`` also a new refresh token."""
    access = token_issue(
        provider="google",
        kind=TokenKind.ACCESS,
        person=refresh.person,
        client_id=refresh.client_id,
        scopes=refresh.scope_list,
        lifetime=_setting("SANDBOX_GOOGLE_TOKEN_SECONDS", 3599),
    )
    if not getattr(settings, "SANDBOX_GOOGLE_ROTATE_REFRESH_TOKENS", False):
        return GoogleTokens(access=access, refresh=None)
    SandboxToken.objects.filter(pk=refresh.pk).update(revoked_at=timezone.now())
    rotated = token_issue(
        provider="google",
        kind=TokenKind.REFRESH,
        person=refresh.person,
        client_id=refresh.client_id,
        scopes=refresh.scope_list,
        lifetime=None,
    )
    return GoogleTokens(access=access, refresh=rotated)


def _has_live_refresh_token(*, person: SandboxPerson, client_id: str) -> bool:
    return SandboxToken.objects.filter(
        provider="google",
        kind=TokenKind.REFRESH,
        person=person,
        client_id=client_id,
        revoked_at__isnull=True,
    ).exists()


def google_claims(
    *,
    person: SandboxPerson,
    scopes: list[str],
    picture: str,
) -> dict[str, Any]:
    """The identity claims Google shares: ``email`` with the email scope, names with profile."""
    claims: dict[str, Any] = {"sub": person.google_sub}
    if "email" in scopes or "https://www.googleapis.com/auth/userinfo.email" in scopes:
        claims.update(email=person.email, email_verified=person.email_verified)
    if "profile" in scopes or "https://www.googleapis.com/auth/userinfo.profile" in scopes:
        claims.update(
            name=person.name,
            given_name=person.given_name,
            family_name=person.family_name,
            picture=picture,
        )
    return claims


def other_google_sub(person: SandboxPerson) -> str:
    """A ``sub`` that is not ``person``'s: another roster person's, as a substituted token would carry."""
    other = SandboxPerson.objects.exclude(pk=person.pk).order_by("pk").first()
    return other.google_sub if other is not None else f"9{person.google_sub[1:]}"


def id_token_encode(
    *,
    person: SandboxPerson,
    client_id: str,
    scopes: list[str],
    nonce: str = "",
    access_token: str,
    issuer: str,
    picture: str,
    fault: str | None = None,
) -> str:
    """Sign an id_token for a redeemed code or a refresh; ``fault`` (an id_token mode) bends it.

    A refresh passes no ``nonce``: OIDC Core §12.2 says the refreshed token should carry none.
    https://openid.net/specs/openid-connect-core-1_0.html#IDToken
    https://openid.net/specs/openid-connect-core-1_0.html#RefreshTokenResponse
    """
    now = int(timezone.now().timestamp())
    claims: dict[str, Any] = {
        "iss": issuer,
        "azp": client_id,
        "aud": client_id,
        **google_claims(person=person, scopes=scopes, picture=picture),
        "at_hash": crypto.at_hash(access_token),
        "iat": now,
        "exp": now + ID_TOKEN_SECONDS,
    }
    if nonce:
        claims["nonce"] = nonce
    if fault == "id_token_other_sub":
        claims["sub"] = other_google_sub(person)
    elif fault == "id_token_wrong_aud":
        claims["aud"] = claims["azp"] = "someone-else.apps.example"
    elif fault == "id_token_wrong_iss":
        claims["iss"] = "https://accounts.sandbox-impostor.example"
    elif fault == "id_token_expired":
        claims["iat"] = now - 2 * ID_TOKEN_SECONDS
        claims["exp"] = now - ID_TOKEN_SECONDS
    elif fault == "id_token_wrong_nonce":
        claims["nonce"] = secrets.token_urlsafe(24)
    key = signing_key()
    if fault == "id_token_bad_signature":
        return crypto.sign_with_throwaway_key(claims, kid=key.kid)
    if fault == "id_token_alg_none":
        return crypto.unsigned(claims, kid=key.kid)
    return crypto.sign_rs256(claims, private_pem=key.private_pem, kid=key.kid)
