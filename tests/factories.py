"""factory_boy factories for the project's own models."""

from __future__ import annotations

import factory
from django.contrib.auth.hashers import make_password
from social_django.models import UserSocialAuth

from accounts.models import ProviderGrant, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"person{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    # Like people created by sign-in: no password, so a provider link is their only way in.
    password = factory.LazyFunction(lambda: make_password(None))


class LinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserSocialAuth

    user = factory.SubFactory(UserFactory)
    provider = "google"
    uid = factory.Sequence(lambda n: f"10{n:08d}")
    extra_data: dict = {}


def make_grant(
    *,
    link: UserSocialAuth | None = None,
    access_token: str = "test-at-1",
    refresh_token: str = "",
    **fields,
) -> ProviderGrant:
    """A saved grant with real (encrypted) tokens for ``link`` (a new Google link by default)."""
    link = link or LinkFactory()
    grant = ProviderGrant(provider=link.provider, uid=link.uid, social=link, **fields)
    grant.set_access_token(access_token)
    if refresh_token:
        grant.set_refresh_token(refresh_token)
    grant.save()
    return grant
