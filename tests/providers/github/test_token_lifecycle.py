"""GitHub tokens through the shared life cycle, against the sandbox's GitHub.

OAuth-app tokens never expire; GitHub-App user tokens expire after 8 hours and their refresh
token rotates (the old pair dies). Disconnect revokes the whole grant at GitHub.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from social_django.models import UserSocialAuth

from accounts import tokens
from accounts.exceptions import NoUsableToken
from accounts.models import GrantStatus, ProviderGrant
from providers.github.sandbox import services as github
from sandbox import faults, switches
from sandbox.models import SandboxToken
from tests.accounts.test_no_token_leaks import dump_of_every_table_but_the_sandbox_s


def live(value: str) -> bool:
    token = SandboxToken.objects.get(value=value)
    return token.revoked_at is None and (token.expires_at is None or token.expires_at > timezone.now())


def expire_soon(grant: ProviderGrant, seconds: int = 30) -> ProviderGrant:
    ProviderGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() + timedelta(seconds=seconds))
    grant.refresh_from_db()
    return grant


def test_an_oauth_app_token_is_never_due_for_refresh(browser, ada):
    browser.login("github", ada)
    grant = ProviderGrant.objects.get()
    faults.arm("github", "token", "http_500", times=3)  # a refresh attempt would fail

    assert tokens.access_token_for(grant) == grant.get_access_token()
    assert tokens.expiring_grant_ids(within=timedelta(days=365)) == []


def test_an_app_token_is_refreshed_and_the_rotated_pair_replaces_the_old_one(browser, ada):
    switches.turn_on("github", "app_tokens")
    browser.login("github", ada)
    grant = expire_soon(ProviderGrant.objects.get())
    old_access, old_refresh = grant.get_access_token(), grant.get_refresh_token()

    token = tokens.access_token_for(grant)

    grant.refresh_from_db()
    assert token != old_access and live(token)
    assert grant.get_refresh_token() != old_refresh and grant.get_refresh_token().startswith("sbx-ghr_")
    assert not live(old_access) and not live(old_refresh)  # GitHub: the old pair dies
    assert grant.expires_in() > 7 * 3600


def test_a_dead_refresh_token_means_reconnect(browser, ada):
    switches.turn_on("github", "app_tokens")
    browser.login("github", ada)
    github.grant_revoke(person=ada, client_id=settings.GITHUB_CLIENT_ID)  # the person revokes at GitHub
    grant = expire_soon(ProviderGrant.objects.get())

    try:
        tokens.access_token_for(grant)
    except NoUsableToken:
        pass
    else:  # pragma: no cover - the assertion below says what went wrong
        raise AssertionError("a refresh GitHub refused handed out a token")

    grant.refresh_from_db()
    assert grant.status == GrantStatus.NEEDS_RECONNECT
    assert "reconnect" in grant.last_error and not grant.has_refresh_token


def test_a_failed_refresh_keeps_the_grant(browser, ada):
    switches.turn_on("github", "app_tokens")
    browser.login("github", ada)
    grant = expire_soon(ProviderGrant.objects.get(), seconds=200)
    faults.arm("github", "token", "http_500")

    assert tokens.grant_refresh(grant=grant) == tokens.RefreshResult.FAILED
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE and grant.has_refresh_token


def test_disconnect_revokes_the_grant_at_github_and_deletes_locally(browser, ada):
    browser.login("google", ada)
    browser.consent(browser.post_form(browser.get("/account/"), "/login/github/"), ada)
    token = ProviderGrant.objects.get(provider="github").get_access_token()
    assert live(token)

    page = browser.post_form(browser.get("/account/"), "/account/disconnect/github/")

    assert "GitHub is disconnected" in page.text
    assert not live(token)  # DELETE /applications/{client_id}/grant reached the sandbox
    assert not UserSocialAuth.objects.filter(provider="github").exists()
    assert not ProviderGrant.objects.filter(provider="github").exists()


def test_disconnect_still_deletes_locally_when_revocation_fails(browser, ada):
    browser.login("google", ada)
    browser.consent(browser.post_form(browser.get("/account/"), "/login/github/"), ada)
    faults.arm("github", "revoke", "http_500")

    browser.post_form(browser.get("/account/"), "/account/disconnect/github/")

    assert not UserSocialAuth.objects.filter(provider="github").exists()
    assert not ProviderGrant.objects.filter(provider="github").exists()


def test_no_github_token_at_rest_in_logs_or_on_pages(browser, new_browser, ada, grace, caplog):
    caplog.set_level(logging.DEBUG)
    switches.turn_on("github", "app_tokens")
    browser.login("github", ada)
    tokens.access_token_for(expire_soon(ProviderGrant.objects.get()))  # a rotation too
    other = new_browser()
    other.login("github", grace)
    other.logout()
    other.clear_cookies()
    other.login("github", grace)
    pages = [browser.get(path).text for path in ("/", "/account/", "/friends/")]

    secrets = list(SandboxToken.objects.filter(provider="github").values_list("value", flat=True))
    assert len(secrets) >= 6 and all(secret.startswith("sbx-gh") for secret in secrets)
    dump = dump_of_every_table_but_the_sandbox_s()
    logs = "\n".join(record.getMessage() for record in caplog.records)

    assert "sbx-" not in dump
    for secret in secrets:
        assert secret not in logs
        for page in pages:
            assert secret not in page


def test_disconnect_after_an_app_token_expired_still_revokes_the_grant(browser, ada):
    """GitHub knows an App user token for 8 hours: revoking with an expired one would 404 and
    leave the authorization and its refresh token alive. The grant is refreshed first."""
    switches.turn_on("github", "app_tokens")
    browser.login("google", ada)
    browser.consent(browser.post_form(browser.get("/account/"), "/login/github/"), ada)
    grant = ProviderGrant.objects.get(provider="github")
    refresh, access = grant.get_refresh_token(), grant.get_access_token()
    eight_hours_on = timezone.now() - timedelta(seconds=1)
    SandboxToken.objects.filter(value=access).update(expires_at=eight_hours_on)
    ProviderGrant.objects.filter(pk=grant.pk).update(expires_at=eight_hours_on)

    browser.post_form(browser.get("/account/"), "/account/disconnect/github/")

    assert not UserSocialAuth.objects.filter(provider="github").exists()
    assert SandboxToken.objects.get(value=refresh).revoked_at is not None  # dead at GitHub too
