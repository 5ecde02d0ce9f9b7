"""Writes Facebook's own callbacks make: deauthorize (the person removed the app) and data deletion."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from social_django.models import UserSocialAuth

from accounts.models import DataDeletionRequest, GrantStatus, ProviderGrant
from accounts.services import _delete_sessions_of

logger = logging.getLogger(__name__)


def facebook_deauthorize(*, uid: str, issued_at: datetime | None = None) -> bool:
    """The person removed the app on Facebook: forget the tokens, mark the link revoked.

    ``issued_at`` is when Facebook signed the callback. A grant stored after it (the person
    came back and signed in again) is newer than the removal and is left alone, so a
    replayed callback cannot cut off a fresh grant. One second of slack: ``issued_at``
    has whole seconds only.
    """
    grants = ProviderGrant.objects.filter(provider="facebook", uid=uid)
    if issued_at is not None:
        grants = grants.filter(updated_at__lt=issued_at + timedelta(seconds=1))
    updated = grants.update(
        access_token_ciphertext="",
        refresh_token_ciphertext="",
        expires_at=None,
        status=GrantStatus.REVOKED,
        last_error="deauthorized on Facebook",
        updated_at=timezone.now(),
    )
    logger.info("facebook deauthorize: grants_revoked=%s", updated)
    return bool(updated)


def facebook_data_delete(*, uid: str, request_hash: str) -> DataDeletionRequest:
    """Delete that person's Facebook data; a replay returns the earlier record and changes nothing.

    The link goes with its tokens and everything keyed on it (friend data). A person left
    with no way to sign in is deleted too: name and email came from Facebook.
    """
    with transaction.atomic():
        existing = DataDeletionRequest.objects.select_for_update().filter(request_hash=request_hash).first()
        if existing is not None:
            return existing
        links = list(UserSocialAuth.objects.filter(provider="facebook", uid=uid).select_related("user"))
        ProviderGrant.objects.filter(provider="facebook", uid=uid).delete()
        for link in links:
            user = link.user
            link.delete()
            if not UserSocialAuth.objects.filter(user=user).exists() and not user.has_usable_password():
                _delete_sessions_of(user.pk)
                user.delete()
        return DataDeletionRequest.objects.create(
            provider="facebook",
            confirmation_code=secrets.token_hex(8),
            request_hash=request_hash,
            deleted_links=len(links),
            completed_at=timezone.now(),
        )
