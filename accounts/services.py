"""Writes to identities and grants: keyword-only services named ``<entity>_<action>``."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from social_django.models import UserSocialAuth

from accounts import vault
from accounts.exceptions import NoUsableToken
from accounts.expiry import expires_at_from
from accounts.models import GrantStatus, ProviderGrant, User
from providers import registry
from providers.http.errors import ProviderError

logger = logging.getLogger(__name__)


def identity_create(
    *, provider: str, uid: str, id_key: str, user_fields: dict[str, Any]
) -> tuple[User, UserSocialAuth, bool]:
    """Create a user together with its ``(provider, uid)`` link, or find the one that won a race.

    Two simultaneous first logins for the same identity both get here; the unique
    constraint on ``(provider, uid)`` lets exactly one insert win. The loser's user row is
    rolled back with its savepoint and it returns the winner's user: one person, one user.
    ``id_key`` is the claim social-core read the uid from (``sub`` for OpenID Connect),
    stored with the link as social-core expects. Returns ``(user, link, created)``.
    """
    fields = dict(user_fields)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                user = User.objects.create_user(**fields)
                link = UserSocialAuth.objects.create(user=user, provider=provider, uid=uid, id_key=id_key)
            return user, link, True
        except IntegrityError:
            existing = (
                UserSocialAuth.objects.select_related("user").filter(provider=provider, uid=uid).first()
            )
            if existing is not None:
                return existing.user, existing, False
            # Not our identity that collided: another person took this username meanwhile.
            fields["username"] = f"{fields.get('username') or 'user'}-{secrets.token_hex(3)}"
    raise IntegrityError(f"could not create a user for {provider}:{uid}")


def user_adopt_verified_email(*, user: User, email: str) -> bool:
    """Give ``user`` a provider-verified ``email`` when they have none yet; True if it was set.

    An address once set is kept (social-core protects ``email`` from later logins); this
    only fills the gap left by a sign-in that brought no verified email (Facebook's never
    count), so that linking Google later makes the person findable by their verified one.
    """
    if not email:
        return False
    return bool(User.objects.filter(pk=user.pk, email="").update(email=email))


@sensitive_variables("access_token", "refresh_token")
def grant_store(
    *,
    link: UserSocialAuth,
    access_token: str,
    refresh_token: str | None,
    expires_in: object,
    scopes: list[str],
    denied_scopes: list[str],
) -> ProviderGrant:
    """Store a fresh grant for ``link``, replacing the previous tokens.

    A login that brings no refresh token keeps the stored one (Google sends it only on
    first consent); one that brings a new refresh token replaces it.
    """
    grant = (
        ProviderGrant.objects.select_for_update().filter(provider=link.provider, uid=link.uid).first()
    ) or ProviderGrant(provider=link.provider, uid=link.uid)
    grant.social = link
    if grant.status != GrantStatus.ACTIVE:
        # A new sign-in is a new grant: whatever was stored before cannot be trusted.
        grant.refresh_token_ciphertext = ""
    grant.set_access_token(access_token)
    if refresh_token:
        grant.set_refresh_token(refresh_token)
    grant.expires_at = expires_at_from(expires_in)
    grant.scopes = scopes
    grant.denied_scopes = denied_scopes
    grant.status = GrantStatus.ACTIVE
    grant.last_error = ""
    # A kept refresh token no configured key opens stays flagged (and kept) until its key returns.
    if vault.can_open():
        unreadable = bool(grant.unopenable_fields())
    else:
        # Sealed mode's web never opens: the flag stays only on a kept (not replaced) refresh
        # token; the worker re-checks flagged grants on every beat.
        kept = bool(grant.refresh_token_ciphertext) and not refresh_token
        unreadable = grant.key_missing_since is not None and kept
    grant.key_missing_since = (grant.key_missing_since or timezone.now()) if unreadable else None
    grant.save()
    return grant


def user_set_findable_by_email(*, user: User, findable: bool) -> None:
    """Record the person's answer: may people who have their email in their contacts find them?"""
    user.findable_by_email = findable
    user.findable_by_email_answered_at = timezone.now()
    user.save(update_fields=["findable_by_email", "findable_by_email_answered_at"])
    logger.info("findable by email: user=%s findable=%s", user.pk, findable)


class LastSignInMethod(Exception):
    """Disconnecting this link would leave the person no way to sign in."""


def grant_revoke_at_provider(*, grant: ProviderGrant) -> bool:
    """Ask the provider to revoke the grant. Failure is logged, never raised: local deletion goes on."""
    provider = registry.find(grant.provider)
    if provider is None:
        return False
    try:
        if not provider.revoke(grant):
            return False
    except NoUsableToken:
        logger.info("revoke skipped, no usable token: provider=%s uid=%s", grant.provider, grant.uid)
        return False
    except ProviderError as error:
        logger.warning(
            "revoke failed at provider: provider=%s uid=%s error=%s", grant.provider, grant.uid, error.code
        )
        return False
    return True


# What a grant waits for the worker to do (``ProviderGrant.pending_operation``).
PENDING_DISCONNECT = "disconnect"
PENDING_UNLINK = "unlink"


def link_disconnect(*, user: User, provider: str) -> bool:
    """Disconnect ``user``'s ``provider`` link: revoke at the provider, delete tokens and link.

    The revocation needs the token, so it runs on the worker (``accounts.tasks.disconnect_grant``):
    here the grant is marked "disconnect" pending and the task queued. Returns True when the
    link is gone already (no grant to revoke, or tasks run inline), False while it is pending.
    Refused with ``LastSignInMethod`` when it is the person's only way to sign in.
    """
    from accounts import tasks  # tasks import this module

    link = UserSocialAuth.objects.filter(user=user, provider=provider).first()
    if link is None:
        return True
    others = (
        UserSocialAuth.objects.filter(user=user)
        .exclude(pk=link.pk)
        .exclude(grant__pending_operation__in=[PENDING_DISCONNECT, PENDING_UNLINK])
        .exists()
    )
    if not others and not user.has_usable_password():
        raise LastSignInMethod(provider)
    grant = ProviderGrant.objects.filter(provider=link.provider, uid=link.uid).first()
    if grant is None:
        link.delete()
        logger.info("link disconnected: provider=%s user=%s", provider, user.pk)
        return True
    grant_mark_pending(grant=grant, operation=PENDING_DISCONNECT)
    return tasks.run_or_queue(tasks.disconnect_grant, grant.pk)


def grant_mark_pending(*, grant: ProviderGrant, operation: str) -> None:
    now = timezone.now()
    ProviderGrant.objects.filter(pk=grant.pk).update(pending_operation=operation, pending_since=now)
    grant.pending_operation, grant.pending_since = operation, now


def grant_disconnect(*, grant: ProviderGrant) -> None:
    """Worker side of ``link_disconnect`` and of the admin's "Revoke and unlink" (which may take
    someone's last link): revoke at the provider, then delete tokens and link."""
    grant_revoke_at_provider(grant=grant)
    with transaction.atomic():
        UserSocialAuth.objects.filter(provider=grant.provider, uid=grant.uid).delete()
        ProviderGrant.objects.filter(pk=grant.pk).delete()
    logger.info("link disconnected: provider=%s uid=%s", grant.provider, grant.uid)


def account_delete_request(*, user: User) -> bool:
    """ "Delete my account": the person is signed out everywhere now; the worker revokes and deletes.

    Revoking needs the tokens, so ``account_delete`` runs on the worker
    (``accounts.tasks.delete_account``). Until it has, the user cannot sign in (inactive) and
    has no session. Returns True when the account is gone already (tasks run inline).
    """
    from accounts import tasks  # tasks import this module

    User.objects.filter(pk=user.pk).update(is_active=False)
    _delete_sessions_of(user.pk)
    return tasks.run_or_queue(tasks.delete_account, user.pk)


def account_delete(*, user: User) -> None:
    """Revoke every grant and delete the person with everything that is theirs."""
    grants = list(ProviderGrant.objects.filter(social__user=user))
    for grant in grants:
        grant_revoke_at_provider(grant=grant)
    user_id = user.pk
    with transaction.atomic():
        ProviderGrant.objects.filter(social__user=user).delete()
        _delete_sessions_of(user_id)
        user.delete()  # cascades to links and to everything keyed on them
    logger.info("account deleted: user=%s grants_revoked=%s", user_id, len(grants))


def _delete_sessions_of(user_id: int) -> None:
    stale = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get(SESSION_KEY)) == str(user_id)
    ]
    Session.objects.filter(pk__in=stale).delete()


def grant_unlink_request(*, grant: ProviderGrant) -> bool:
    """Admin "Revoke and unlink": mark it pending and have the worker do it (it needs the token).

    Returns True when done already (tasks run inline).
    """
    from accounts import tasks  # tasks import this module

    grant_mark_pending(grant=grant, operation=PENDING_UNLINK)
    return tasks.run_or_queue(tasks.revoke_and_unlink, grant.pk)

