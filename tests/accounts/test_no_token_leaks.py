"""No plaintext token or authorization code outside the vault: tables, sessions, logs, pages."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from accounts import tokens
from accounts.models import ProviderGrant
from sandbox.models import SandboxAuthCode, SandboxToken


def dump_of_every_table_but_the_sandbox_s() -> str:
    """What a database dump would show: every row of every table, sessions decoded."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            if table.startswith("sandbox_"):
                continue
            cursor.execute(f'SELECT * FROM "{table}"')  # table names come from introspection
            parts.append(f"{table}: {cursor.fetchall()!r}")
    parts.extend(repr(session.get_decoded()) for session in Session.objects.all())
    return "\n".join(parts)


def test_after_logins_with_both_providers_no_table_holds_a_provider_secret(
    browser, new_browser, ada, grace, caplog
):
    caplog.set_level(logging.DEBUG)
    browser.login("facebook", ada)
    browser.consent(browser.post_form(browser.get("/account/"), "/login/google/"), ada)  # link Google
    other = new_browser()
    other.login("google", grace)
    other.logout()
    other.clear_cookies()
    other.login("google", grace)  # returning: token replaced
    grant = ProviderGrant.objects.filter(provider="google").first()
    ProviderGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() + timedelta(seconds=10))
    grant.refresh_from_db()
    tokens.access_token_for(grant)  # a refresh too
    pages = [browser.get(path).text for path in ("/", "/account/")]

    secrets = list(SandboxToken.objects.values_list("value", flat=True))
    secrets += list(SandboxAuthCode.objects.values_list("value", flat=True))
    assert len(secrets) >= 10 and all(secret.startswith("sbx-") for secret in secrets)
    dump = dump_of_every_table_but_the_sandbox_s()
    logs = "\n".join(record.getMessage() for record in caplog.records)

    assert "sbx-" not in dump  # everything the sandbox issues carries this prefix
    for secret in secrets:
        assert secret not in dump
        assert secret not in logs
        for page in pages:
            assert secret not in page
