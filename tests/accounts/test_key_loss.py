"""Losing and restoring an encryption key, and rotating keys while refreshes run: no token is lost.

The processes here are real ones: ``manage.py`` subprocesses given their own
TOKEN_ENCRYPTION_KEYS, on the test database, next to this test process and its live sandbox.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts import tokens, vault
from accounts.models import GrantStatus, ProviderGrant
from accounts.tasks import refresh_grants_at_risk
from sandbox.endpoints import provider_settings
from sandbox.models import SandboxPerson, SandboxToken
from socialsite.env import database_url

ROOT = Path(__file__).resolve().parents[2]
OLD_KEY = vault.generate_key()
NEW_KEY = vault.generate_key()
CHANGELIST = "/admin/accounts/providergrant/"


def manage(live_url: str, keys: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    """``manage.py *args`` in a new process that holds only ``keys``."""
    env = {
        **os.environ,
        **provider_settings(live_url),
        "DATABASE_URL": database_url(connection.settings_dict),
        "TOKEN_ENCRYPTION_KEYS": ",".join(keys),
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def beat_refresh(live_url: str, keys: list[str]) -> subprocess.CompletedProcess[str]:
    """What the beat's hourly refresh of grants at risk does, in a worker process started with ``keys``."""
    code = "from accounts.tasks import refresh_grants_at_risk as t; print(t())"
    return manage(live_url, keys, "shell", "-c", code)


def ciphertexts() -> dict[int, tuple[str, str]]:
    return {
        pk: (access, refresh)
        for pk, access, refresh in ProviderGrant.objects.values_list(
            "pk", "access_token_ciphertext", "refresh_token_ciphertext"
        )
    }


def make_due(grant: ProviderGrant, seconds: int) -> None:
    """Due for the beat: its refresh token unused for 200 days (Google drops it after six months)."""
    ProviderGrant.objects.filter(pk=grant.pk).update(
        expires_at=timezone.now() + timedelta(seconds=seconds),
        last_refreshed_at=timezone.now() - timedelta(days=200),
    )


def live(value: str) -> bool:
    token = SandboxToken.objects.get(value=value)
    return token.revoked_at is None and (token.expires_at is None or token.expires_at > timezone.now())


def test_a_process_without_the_old_key_leaves_every_ciphertext_intact(
    sandbox, browser, new_browser, ada, grace, admin_client, settings
):
    settings.TOKEN_ENCRYPTION_KEYS = [OLD_KEY]
    browser.login("google", ada)
    new_browser().login("google", grace)
    grants = list(ProviderGrant.objects.order_by("pk"))
    for grant in grants:
        make_due(grant, 60)  # due: the beat will try to refresh them
    before = ciphertexts()
    refresh_tokens = {grant.pk: grant.get_refresh_token() for grant in grants}

    # The operator deploys a key list without the old key, and the beat runs twice.
    settings.TOKEN_ENCRYPTION_KEYS = [NEW_KEY]
    first = beat_refresh(sandbox, [NEW_KEY])
    second = beat_refresh(sandbox, [NEW_KEY])
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr

    # Nothing deleted, nothing rewritten, nobody told to reconnect.
    assert ciphertexts() == before
    assert set(ProviderGrant.objects.values_list("status", flat=True)) == {GrantStatus.ACTIVE}
    assert "'key_missing': 2" in first.stdout
    assert "'key_missing': 0" in second.stdout  # skipped, untouched
    # Logged once per grant, not on every tick.
    log = first.stderr + second.stderr
    for grant in grants:
        assert log.count(f"grant unreadable, encryption key missing: grant={grant.pk} ") == 1

    # What the operator sees: the health check, the admin filter and column.
    health = browser.get("/healthz/")
    assert health.status_code == 200
    assert health.json()["status"] == "degraded" and health.json()["unreadable_grants"] == 2
    listed = admin_client.get(CHANGELIST, {"key": "missing"})
    assert {g.pk for g in listed.context["cl"].result_list} == {g.pk for g in grants}
    assert "Unreadable: encryption key missing" in listed.content.decode()
    assert admin_client.get(CHANGELIST, {"key": "ok"}).context["cl"].result_count == 0

    # What the person sees: not their fault, so no Reconnect.
    account = browser.get("/account/").text
    assert "Temporarily unavailable" in account
    assert "Reconnect" not in account

    # The key comes back: the next beat picks the grants up again, nobody edits the database.
    settings.TOKEN_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    counts = refresh_grants_at_risk()
    assert counts["refreshed"] == 2 and counts["key_missing"] == 0
    for grant in ProviderGrant.objects.all():
        assert grant.key_missing_since is None and grant.status == GrantStatus.ACTIVE
        assert live(grant.get_access_token()) and grant.get_refresh_token() == refresh_tokens[grant.pk]
        assert vault.is_current(grant.access_token_ciphertext)
        assert vault.is_current(grant.refresh_token_ciphertext)
    assert browser.get("/healthz/").json() == {"status": "ok", "unreadable_grants": 0}


def test_a_refresh_writes_both_tokens_under_the_newest_key(browser, ada, settings):
    settings.TOKEN_ENCRYPTION_KEYS = [OLD_KEY]
    browser.login("google", ada)
    grant = ProviderGrant.objects.get()
    refresh_token = grant.get_refresh_token()
    settings.TOKEN_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]  # rotation under way; Google keeps the refresh token

    assert tokens.grant_refresh(grant=grant, force=True) == tokens.RefreshResult.REFRESHED

    grant.refresh_from_db()
    assert vault.is_current(grant.access_token_ciphertext)
    assert vault.is_current(grant.refresh_token_ciphertext)
    settings.TOKEN_ENCRYPTION_KEYS = [NEW_KEY]  # the old key can go
    grant.refresh_from_db()
    assert grant.get_refresh_token() == refresh_token and live(refresh_token)


@pytest.mark.postgres
def test_rotation_and_refreshes_in_two_processes_lose_no_token(sandbox, new_browser, settings):
    """Refreshes read their rows, rotate_token_keys (another process) passes over them, then the
    refreshes write back. Afterwards the old key is removed and every token still opens."""
    settings.TOKEN_ENCRYPTION_KEYS = [OLD_KEY]
    settings.PROVIDER_TIMEOUT = 60.0  # the refreshes wait for the rotation, below
    people = list(SandboxPerson.objects.order_by("pk")[:3])
    for person in people:
        new_browser().login("google", person)
    grants = list(ProviderGrant.objects.order_by("pk"))
    refresh_tokens = {grant.pk: grant.get_refresh_token() for grant in grants}
    settings.TOKEN_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]  # every process now has both keys
    results: list[tokens.RefreshResult] = []

    def refresh(grant: ProviderGrant) -> None:
        try:
            results.append(tokens.grant_refresh(grant=grant, force=True))
        finally:
            connection.close()

    with transaction.atomic():
        # Hold the sandbox's token table: each refresh, once it has read its row and called
        # Google, waits inside the token endpoint until this block ends.
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {SandboxToken._meta.db_table} IN EXCLUSIVE MODE")
        threads = [threading.Thread(target=refresh, args=(grant,)) for grant in grants]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while ProviderGrant.objects.filter(refresh_lease_id="").exists():
            assert time.monotonic() < deadline, "the refreshes never claimed their grants"
            time.sleep(0.05)

        rotation = manage(sandbox, [NEW_KEY, OLD_KEY], "rotate_token_keys", "--batch-size", "1")
        assert rotation.returncode == 0, rotation.stdout + rotation.stderr
        assert "3 rotated" in rotation.stdout and "0 left to do" in rotation.stdout
    for thread in threads:
        thread.join(timeout=60)
    assert results == [tokens.RefreshResult.REFRESHED] * 3

    settings.TOKEN_ENCRYPTION_KEYS = [NEW_KEY]  # the old key is removed
    for grant in ProviderGrant.objects.all():
        assert live(grant.get_access_token())
        assert grant.get_refresh_token() == refresh_tokens[grant.pk]

    # What told the operator it was safe: the read-only check, run with both keys.
    check = manage(sandbox, [NEW_KEY, OLD_KEY], "rotate_token_keys", "--check")
    assert check.stdout.splitlines()[:3] == ["key 1 (newest): 6", "key 2: 0", "unreadable: 0"]
    assert check.returncode == 0, check.stderr
