"""Reads for pages: what a person sees about their linked provider accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from social_django.models import UserSocialAuth

from accounts.models import GrantStatus, ProviderGrant, User

PROVIDERS = (("facebook", "Facebook"), ("google", "Google"))
PROVIDER_LABELS = dict(PROVIDERS)


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

    @property
    def needs_reconnect(self) -> bool:
        return self.linked and self.status != GrantStatus.ACTIVE


def linked_accounts_for(user: User) -> list[LinkedAccount]:
    """One entry per provider, linked or not, in a fixed order (two queries)."""
    links = {link.provider: link for link in UserSocialAuth.objects.filter(user=user)}
    grants = {grant.provider: grant for grant in ProviderGrant.objects.filter(social__user=user)}
    accounts = []
    for provider, label in PROVIDERS:
        link = links.get(provider)
        if link is None:
            accounts.append(LinkedAccount(provider=provider, label=label, linked=False))
            continue
        grant = grants.get(provider)
        status = grant.effective_status if grant else GrantStatus.NEEDS_RECONNECT
        accounts.append(
            LinkedAccount(
                provider=provider,
                label=label,
                linked=True,
                uid=link.uid,
                linked_since=link.created,
                status=status,
                status_label=GrantStatus(status).label,
                expires_at=grant.expires_at if grant else None,
                scopes=tuple(grant.scopes) if grant else (),
                denied_scopes=tuple(grant.denied_scopes) if grant else (),
            )
        )
    return accounts
