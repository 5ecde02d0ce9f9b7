"""Writes to identities and grants: keyword-only services named ``<entity>_<action>``."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from social_django.models import UserSocialAuth

from accounts.models import GrantStatus, ProviderGrant, User


def identity_create(*, provider: str, uid: str, user_fields: dict[str, Any]) -> tuple[User, UserSocialAuth, bool]:
    """Create a user together with its ``(provider, uid)`` link, or find the one that won a race.

    Two simultaneous first logins for the same identity both get here; the unique
    constraint on ``(provider, uid)`` lets exactly one insert win. The loser's user row is
    rolled back with its savepoint and it returns the winner's user: one person, one user.
    Returns ``(user, link, created)``.
    """
    fields = dict(user_fields)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                user = User.objects.create_user(**fields)
                link = UserSocialAuth.objects.create(user=user, provider=provider, uid=uid)
            return user, link, True
        except IntegrityError:
            existing = UserSocialAuth.objects.select_related("user").filter(provider=provider, uid=uid).first()
            if existing is not None:
                return existing.user, existing, False
            # Not our identity that collided: another person took this username meanwhile.
            fields["username"] = f"{fields.get('username') or 'user'}-{secrets.token_hex(3)}"
    raise IntegrityError(f"could not create a user for {provider}:{uid}")


@sensitive_variables("access_token", "refresh_token")
def grant_store(
    *,
    link: UserSocialAuth,
    access_token: str,
    refresh_token: str | None,
    expires_in: int | float | None,
    scopes: list[str],
    denied_scopes: list[str],
) -> ProviderGrant:
    """Store a fresh grant for ``link``, replacing the previous tokens.

    A login that brings no refresh token keeps the stored one (Google sends it only on
    first consent); one that brings a new refresh token replaces it.
    """
    grant = (
        ProviderGrant.objects.select_for_update()
        .filter(provider=link.provider, uid=link.uid)
        .first()
    ) or ProviderGrant(provider=link.provider, uid=link.uid)
    grant.social = link
    if grant.status != GrantStatus.ACTIVE:
        # A new sign-in is a new grant: whatever was stored before cannot be trusted.
        grant.refresh_token_ciphertext = ""
    grant.set_access_token(access_token)
    if refresh_token:
        grant.set_refresh_token(refresh_token)
    grant.expires_at = timezone.now() + timedelta(seconds=float(expires_in)) if expires_in else None
    grant.scopes = scopes
    grant.denied_scopes = denied_scopes
    grant.status = GrantStatus.ACTIVE
    grant.last_error = ""
    grant.save()
    return grant
