"""Reads for pages: what a person sees about their linked provider accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from social_django.models import UserSocialAuth

from accounts.models import KEY_MISSING, GrantStatus, ProviderGrant, User
from accounts.scopes import canonical_scope
from accounts.tokens import has_lapsed, renews_by_sign_in_only
from providers import registry


def scope_labels(scopes: tuple[str, ...] | list[str], provider: str) -> list[str]:
    """What ``scopes`` let socialsite do, in words, in the provider's order (providers answer in any).

    The words come from the provider's display facts (``Display.scope_labels``).
    """
    known = registry.find(provider)
    words = known.display.scope_labels if known is not None else {}
    order = list(words)
    # Grants stored before scopes were normalised may hold a provider's other spelling.
    names = sorted(
        (canonical_scope(scope) for scope in scopes),
        key=lambda name: order.index(name) if name in order else len(order),
    )
    labels: list[str] = []
    for scope in names:
        label = words.get(scope, scope)
        if label not in labels:
            labels.append(label)
    return labels


@dataclass(frozen=True)
class LinkedAccount:
    provider: str
    label: str
    linked: bool
    uid: str = ""
    linked_since: datetime | None = None
    status: str = ""
    status_label: str = ""
    expires_at: datetime | None = None
    scopes: tuple[str, ...] = ()
    denied_scopes: tuple[str, ...] = ()
    access: GrantAccess | None = None
    # The worker is revoking and removing this link (the person pressed Disconnect).
    disconnecting: bool = False

    @property
    def granted_labels(self) -> list[str]:
        return scope_labels(self.scopes, self.provider)

    @property
    def declined_labels(self) -> list[str]:
        return scope_labels(self.denied_scopes, self.provider)

    @property
    def needs_reconnect(self) -> bool:
        return self.linked and self.status not in (GrantStatus.ACTIVE, KEY_MISSING)

    @property
    def key_missing(self) -> bool:
        """Our fault (an encryption key is missing on our side), not the person's: no Reconnect."""
        return self.linked and self.status == KEY_MISSING

    @property
    def needs_reauthorize(self) -> bool:
        """The provider wants the person to confirm access again (its data access expired)."""
        return self.status == GrantStatus.DATA_ACCESS_EXPIRED


@dataclass(frozen=True)
class GrantAccess:
    """When a grant that only a new sign-in renews stops working, for the pages.

    ``ends_at``: the token's expiry; ``ended``: it has passed; ``ending_soon``: within the
    provider's ``keep_connected_lead()``, when the page offers "Keep … connected".
    """

    ends_at: datetime
    ended: bool
    ending_soon: bool


def grant_access_for(grant: ProviderGrant | None, *, now: datetime | None = None) -> GrantAccess | None:
    """The end of access for ``grant`` when the provider cannot renew it for us, else None."""
    if grant is None or grant.expires_at is None or not renews_by_sign_in_only(grant.provider):
        return None
    if grant.status != GrantStatus.ACTIVE:
        return None
    now = now or timezone.now()
    provider = registry.find(grant.provider)
    lead = provider.keep_connected_lead() if provider is not None else timedelta(0)
    ended = has_lapsed(grant, now=now)
    return GrantAccess(
        ends_at=grant.expires_at, ended=ended, ending_soon=not ended and grant.expires_at - now <= lead
    )


def grant_display_status(grant: ProviderGrant | None) -> str:
    """The status a person sees: a lapsed sign-in-only token needs reconnecting whatever the row says."""
    if grant is None:
        return GrantStatus.NEEDS_RECONNECT
    status = grant.effective_status
    if status == GrantStatus.ACTIVE and has_lapsed(grant):
        return GrantStatus.NEEDS_RECONNECT
    return status


# Past this, a pending operation's task is taken for lost: the page stops waiting for it (and
# offers its buttons again) while the worker's sweep queues it again (accounts.tasks).
PENDING_STALE_AFTER = timedelta(minutes=10)


def grant_is_pending(grant: ProviderGrant, *, now: datetime | None = None) -> bool:
    """The worker has work queued for ``grant`` (a disconnect, an unlink) that is not stale."""
    if not grant.pending_operation or grant.pending_since is None:
        return False
    return (now or timezone.now()) - grant.pending_since < PENDING_STALE_AFTER


def linked_accounts_for(user: User) -> list[LinkedAccount]:
    """One entry per provider, linked or not, in a fixed order (two queries)."""
    links = {link.provider: link for link in UserSocialAuth.objects.filter(user=user)}
    grants = {grant.provider: grant for grant in ProviderGrant.objects.filter(social__user=user)}
    accounts = []
    for known in registry.enabled():
        provider, label = known.name, known.label
        link = links.get(provider)
        if link is None:
            accounts.append(LinkedAccount(provider=provider, label=label, linked=False))
            continue
        grant = grants.get(provider)
        status = grant_display_status(grant)
        # A missing encryption key is the operator's to fix: the person is told it is temporary.
        status_label = "Temporarily unavailable" if status == KEY_MISSING else GrantStatus(status).label
        accounts.append(
            LinkedAccount(
                provider=provider,
                label=label,
                linked=True,
                uid=link.uid,
                linked_since=link.created,
                status=status,
                status_label=status_label,
                expires_at=grant.expires_at if grant else None,
                scopes=tuple(grant.scopes) if grant else (),
                denied_scopes=tuple(grant.denied_scopes) if grant else (),
                access=grant_access_for(grant),
                disconnecting=bool(grant and grant_is_pending(grant)),
            )
        )
    return accounts
