"""Token refresh over many accounts against the sandbox: accounts per second, queries per account.

Every account gets a real sandbox grant (Google: access + refresh token) that expires within
the refresh lead time, then ``tokens.grants_refresh`` runs over all of them, as
``manage.py refresh_tokens`` and the periodic task do. Facebook has no server-side refresh.
"""

from __future__ import annotations

from datetime import timedelta

from benchmarks.harness import Environment, Stopwatch, measure, print_block, table

ACCOUNTS = 300


def _grants(provider: str, count: int) -> list[int]:
    from django.conf import settings
    from django.utils import timezone
    from social_django.models import UserSocialAuth

    from accounts.models import ProviderGrant, User
    from sandbox import seeding
    from sandbox import services as sandbox_services
    from sandbox.models import SandboxPerson

    seeding.people_generate(count=count)
    people = list(SandboxPerson.objects.filter(generated=True).order_by("pk")[:count])
    client_id = settings.GOOGLE_CLIENT_ID if provider == "google" else settings.FACEBOOK_APP_ID
    scopes = ["openid", "email", "profile"] if provider == "google" else ["public_profile", "email"]
    ids = []
    for person in people:
        uid = person.google_sub if provider == "google" else person.facebook_id
        user = User.objects.create_user(username=f"bench-{provider}-{uid}")
        link = UserSocialAuth.objects.create(user=user, provider=provider, uid=uid)
        grant = ProviderGrant(provider=provider, uid=uid, social=link, scopes=scopes)
        access = sandbox_services.token_issue(
            provider=provider, kind="access", person=person, client_id=client_id, scopes=scopes, lifetime=3600
        )
        grant.set_access_token(access.value)
        if provider == "google":
            refresh = sandbox_services.token_issue(
                provider=provider,
                kind="refresh",
                person=person,
                client_id=client_id,
                scopes=scopes,
                lifetime=None,
            )
            grant.set_refresh_token(refresh.value)
        grant.expires_at = timezone.now() + timedelta(seconds=120)
        grant.save()
        ids.append(grant.pk)
    return ids


def run(env: Environment) -> None:
    from accounts import tokens
    from accounts.models import ProviderGrant

    rows = []
    # Google only: a server cannot renew a Facebook token (only the person signing in again
    # does), so there is no Facebook refresh to measure.
    for provider in ("google",):
        ids = _grants(provider, ACCOUNTS)

        def prepare(ids: list[int] = ids) -> None:
            from django.utils import timezone

            ProviderGrant.objects.filter(pk__in=ids).update(
                expires_at=timezone.now() + timedelta(seconds=120)
            )

        def refresh_all(_watch: Stopwatch, ids: list[int] = ids) -> dict:
            return tokens.grants_refresh(grant_ids=ids)

        result = measure(refresh_all, prepare=prepare)
        counts = result.result
        refreshed = counts[tokens.RefreshResult.REFRESHED]
        rows.append(
            [
                provider,
                str(len(ids)),
                str(refreshed),
                f"{result.wall:.2f} s",
                f"{len(ids) / result.wall:.0f}",
                f"{result.queries / len(ids):.1f}",
                f"{result.peak_bytes / 2**20:.1f} MB",
            ]
        )
    print_block(
        f"Token refresh over many accounts ({env.database}, sandbox in-process over HTTP)",
        table(
            ["provider", "accounts", "refreshed", "wall", "accounts/s", "queries/account", "peak mem"], rows
        ),
    )
