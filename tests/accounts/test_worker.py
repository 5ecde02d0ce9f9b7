"""Background refresh through the real stack: task queued on Redis, run by a Celery worker process."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import GrantStatus, ProviderGrant
from accounts.tasks import refresh_grants_at_risk
from sandbox import faults
from sandbox.models import SandboxPerson, SandboxToken

pytestmark = pytest.mark.worker


def wait_until(condition, timeout: float = 45) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


def test_a_worker_refreshes_expiring_grants_taken_from_the_queue(
    celery_worker, browser, ada, grace, new_browser
):
    """Google's refresh token at risk of lapsing unused is used; a lapsed Facebook token is
    marked "needs reconnect" without asking Facebook (no server-side renewal exists: only
    signing in again gives a new token).
    This test used to expect the worker to re-exchange the Facebook token for a fresh 60 days."""
    alan = SandboxPerson.objects.order_by("pk")[2]
    browser.login("google", ada)
    new_browser().login("facebook", grace)
    new_browser().login("facebook", alan)
    now = timezone.now()
    # At risk: a refresh token unused for 200 days (Google drops one unused for six months).
    ProviderGrant.objects.filter(provider="google").update(
        expires_at=now + timedelta(seconds=60), last_refreshed_at=now - timedelta(days=200)
    )
    ProviderGrant.objects.filter(uid=grace.facebook_id).update(expires_at=now - timedelta(seconds=60))
    last_days = now + timedelta(days=3)  # Alan's is in its last days: left as it is
    ProviderGrant.objects.filter(uid=alan.facebook_id).update(expires_at=last_days)
    alans_token = ProviderGrant.objects.get(uid=alan.facebook_id).get_access_token()
    google = ProviderGrant.objects.get(provider="google")
    before = google.get_access_token()
    faults.arm("facebook", "exchange", "http_500")  # consumed if anything tried to exchange

    refresh_grants_at_risk.delay()  # published to Redis; this process does not run it

    def done() -> bool:
        google.refresh_from_db()
        facebook = ProviderGrant.objects.get(uid=grace.facebook_id)
        used = google.last_refreshed_at > now - timedelta(hours=1)
        return used and facebook.status == GrantStatus.NEEDS_RECONNECT

    assert wait_until(done), celery_worker.log.read_text()[-3000:]
    token = google.get_access_token()
    assert google.status == GrantStatus.ACTIVE and token != before
    assert SandboxToken.objects.get(value=token).revoked_at is None
    assert google.expires_in() > 3000
    assert ProviderGrant.objects.get(uid=grace.facebook_id).access_token_ciphertext == ""
    alans = ProviderGrant.objects.get(uid=alan.facebook_id)
    assert alans.status == GrantStatus.ACTIVE and alans.expires_at == last_days
    assert alans.get_access_token() == alans_token
    assert [f.endpoint for f in faults.armed()] == ["exchange"]
