"""Background refresh through the real stack: task queued on Redis, run by a Celery worker process."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import GrantStatus, ProviderGrant
from accounts.tasks import refresh_expiring_grants
from sandbox.models import SandboxToken

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
    browser.login("google", ada)
    new_browser().login("facebook", grace)
    ProviderGrant.objects.update(expires_at=timezone.now() + timedelta(seconds=60))
    before = {grant.pk: grant.get_access_token() for grant in ProviderGrant.objects.all()}

    refresh_expiring_grants.delay()  # published to Redis; this process does not run it

    assert wait_until(lambda: ProviderGrant.objects.filter(last_refreshed_at__isnull=True).count() == 0), (
        celery_worker.log.read_text()[-3000:]
    )
    for grant in ProviderGrant.objects.all():
        token = grant.get_access_token()
        assert grant.status == GrantStatus.ACTIVE and token != before[grant.pk]
        assert SandboxToken.objects.get(value=token).revoked_at is None
        assert grant.expires_in() > 3000
