"""A token refresh costs two queries: the claim of its lease, and the write-back that releases it."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts import tokens
from accounts.models import ProviderGrant
from sandbox.models import SandboxToken


def test_a_refresh_is_two_queries_and_the_new_token_works(browser, ada, django_assert_max_num_queries):
    browser.login("google", ada)
    grant = ProviderGrant.objects.get(provider="google")
    ProviderGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() + timedelta(seconds=60))
    grant.refresh_from_db()
    before = grant.get_access_token()

    with django_assert_max_num_queries(2):
        result = tokens.grant_refresh(grant=grant)

    assert result == tokens.RefreshResult.REFRESHED
    stored = ProviderGrant.objects.get(pk=grant.pk)
    assert stored.get_access_token() != before and stored.refresh_lease_id == ""
    assert stored.expires_in() > 3000 and stored.last_refreshed_at is not None
    assert SandboxToken.objects.get(value=stored.get_access_token()).revoked_at is None


def test_a_stale_copy_still_refreshes_once_and_keeps_the_rotated_refresh_token(browser, ada):
    """Another process refreshed (and Google rotated the refresh token) after we read the row:
    the claim, a compare-and-set on what we hold, fails; we re-read and do not refresh again."""
    browser.login("google", ada)
    stale = ProviderGrant.objects.get(provider="google")
    ProviderGrant.objects.filter(pk=stale.pk).update(expires_at=timezone.now() + timedelta(seconds=60))
    stale.refresh_from_db()
    other = ProviderGrant.objects.get(pk=stale.pk)
    assert tokens.grant_refresh(grant=other) == tokens.RefreshResult.REFRESHED

    assert tokens.grant_refresh(grant=stale) == tokens.RefreshResult.STILL_VALID
    stale.refresh_from_db()
    assert stale.access_token_ciphertext == other.access_token_ciphertext
