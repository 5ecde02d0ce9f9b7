"""The token life cycle against the sandbox: refresh, exchange, revocation, disconnect, deletion."""

from __future__ import annotations

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from social_django.models import UserSocialAuth

from accounts import tokens
from accounts.exceptions import NoUsableToken
from accounts.models import GrantStatus, ProviderGrant, User
from accounts.tasks import refresh_grants_at_risk
from sandbox import faults
from sandbox import services as sandbox_services
from sandbox.models import SandboxToken
from socialsite import quota


def expire_soon(grant: ProviderGrant, seconds: int = 30) -> ProviderGrant:
    ProviderGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() + timedelta(seconds=seconds))
    grant.refresh_from_db()
    return grant


def live(value: str) -> bool:
    token = SandboxToken.objects.get(value=value)
    return token.revoked_at is None and (token.expires_at is None or token.expires_at > timezone.now())


def revoke_at_provider(provider: str, person) -> None:
    client_id = settings.FACEBOOK_APP_ID if provider == "facebook" else settings.GOOGLE_CLIENT_ID
    assert sandbox_services.grant_revoke(provider=provider, person=person, client_id=client_id) > 0


def test_google_token_is_refreshed_ahead_of_expiry(browser, ada):
    browser.login("google", ada)
    grant = expire_soon(ProviderGrant.objects.get())
    old = grant.get_access_token()

    token = tokens.access_token_for(grant)

    assert token != old and live(token)
    grant.refresh_from_db()
    assert grant.get_access_token() == token
    assert grant.expires_in() > 3000
    assert grant.last_refreshed_at is not None


def test_a_valid_token_is_handed_out_without_calling_the_provider(browser, ada):
    browser.login("google", ada)
    grant = ProviderGrant.objects.get()
    faults.arm("google", "token", "http_500", times=5)  # any refresh attempt would fail

    assert tokens.access_token_for(grant) == grant.get_access_token()
    assert tokens.grant_refresh(grant=grant) == tokens.RefreshResult.STILL_VALID


def test_facebook_token_in_its_last_hour_is_handed_out_as_is_never_re_exchanged(browser, ada):
    """Meta extends nothing sent back to fb_exchange_token; only a new sign-in renews ("Long-Lived
    Access Tokens"). This test used to expect a re-exchange and a fresh 60 days."""
    browser.login("facebook", ada)
    grant = expire_soon(ProviderGrant.objects.get(), seconds=3600)
    old, expires_at = grant.get_access_token(), grant.expires_at
    faults.arm("facebook", "exchange", "http_500")  # consumed by any exchange call

    token = tokens.access_token_for(grant)

    assert token == old and live(token)
    assert ProviderGrant.objects.get().expires_at == expires_at
    assert [(f.endpoint, f.remaining) for f in faults.armed()] == [("exchange", 1)]


def test_expired_facebook_token_cannot_be_exchanged_and_means_reconnect(browser, ada):
    browser.login("facebook", ada)
    grant = expire_soon(ProviderGrant.objects.get(), seconds=-60)

    with pytest.raises(NoUsableToken):
        tokens.access_token_for(grant)

    grant.refresh_from_db()
    assert grant.status == GrantStatus.NEEDS_RECONNECT
    assert grant.access_token_ciphertext == "" and grant.refresh_token_ciphertext == ""


@pytest.mark.parametrize("provider", ["google", "facebook"])
def test_a_grant_revoked_at_the_provider_means_reconnect_and_deleted_tokens(browser, ada, provider):
    """Google answers invalid_grant at the refresh; Graph answers error 190 at the next call
    (Facebook has no refresh: the friends sync is the app's next call with the token)."""
    browser.login(provider, ada)
    revoke_at_provider(provider, ada)
    grant = expire_soon(ProviderGrant.objects.get(), seconds=60)

    if provider == "google":
        with pytest.raises(NoUsableToken):
            tokens.access_token_for(grant)
    else:
        friends = browser.get("/friends/")
        browser.post_form(friends, "/friends/refresh/", {"provider": "facebook"})

    grant.refresh_from_db()
    assert grant.status == GrantStatus.NEEDS_RECONNECT
    assert grant.access_token_ciphertext == "" and grant.refresh_token_ciphertext == ""
    account = browser.get("/account/")
    assert "Needs reconnect" in account.text and "Reconnect" in account.text

    browser.consent(browser.post_form(account, f"/login/{provider}/"), ada)  # Reconnect
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE and live(grant.get_access_token())


def test_provider_down_during_refresh_is_not_a_lost_grant(browser, ada):
    browser.login("google", ada)
    grant = expire_soon(ProviderGrant.objects.get(), seconds=120)
    faults.arm("google", "token", "http_500")

    token = tokens.access_token_for(grant)  # still valid for two minutes: handed out

    grant.refresh_from_db()
    assert token == grant.get_access_token()
    assert grant.status == GrantStatus.ACTIVE and grant.last_error


def test_refresh_racing_in_two_threads_leaves_one_valid_grant(browser, ada, settings):
    settings.SANDBOX_GOOGLE_ROTATE_REFRESH_TOKENS = True  # a lost race would store a dead refresh token
    browser.login("google", ada)
    grant = expire_soon(ProviderGrant.objects.get())
    refreshes_before = SandboxToken.objects.filter(kind="refresh").count()
    barrier = threading.Barrier(2)
    handed_out: list[str] = []

    def worker():
        try:
            barrier.wait()
            handed_out.append(tokens.access_token_for(ProviderGrant.objects.get(pk=grant.pk)))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    grant.refresh_from_db()
    assert len(handed_out) == 2 and len(set(handed_out)) == 1  # both got the one new token
    assert live(grant.get_access_token()) and live(grant.get_refresh_token())
    assert SandboxToken.objects.filter(kind="refresh").count() == refreshes_before + 1  # refreshed once
    assert tokens.grant_refresh(grant=grant, force=True) == tokens.RefreshResult.REFRESHED


def test_refresh_tokens_command_refreshes_what_is_due_and_summarises(browser, new_browser, ada, grace):
    browser.login("google", ada)
    new_browser().login("google", grace)
    new_browser().login("facebook", ada)
    for grant in ProviderGrant.objects.filter(provider="google"):
        expire_soon(grant)
    revoke_at_provider("google", grace)
    out = StringIO()

    call_command("refresh_tokens", stdout=out)

    assert "2 due: 1 refreshed, 0 still valid, 1 needs reconnect, 0 failed" in out.getvalue()
    assert ProviderGrant.objects.filter(status=GrantStatus.NEEDS_RECONNECT).count() == 1


def test_disconnect_revokes_at_the_provider_and_deletes_locally(browser, ada):
    browser.login("facebook", ada)
    account = browser.get("/account/")
    browser.consent(browser.post_form(account, "/login/google/"), ada)
    google = ProviderGrant.objects.get(provider="google")
    refresh = google.get_refresh_token()

    page = browser.post_form(browser.get("/account/"), "/account/disconnect/google/")

    assert "Google is disconnected" in page.text
    assert not live(refresh)  # revoked on the provider's side
    assert not UserSocialAuth.objects.filter(provider="google").exists()
    assert not ProviderGrant.objects.filter(provider="google").exists()
    assert ProviderGrant.objects.filter(provider="facebook").exists()


def test_disconnect_still_deletes_locally_when_revocation_fails(browser, ada):
    browser.login("facebook", ada)
    browser.consent(browser.post_form(browser.get("/account/"), "/login/google/"), ada)
    faults.arm("google", "revoke", "http_500")

    browser.post_form(browser.get("/account/"), "/account/disconnect/google/")

    assert not UserSocialAuth.objects.filter(provider="google").exists()
    assert not ProviderGrant.objects.filter(provider="google").exists()


def test_the_last_way_to_sign_in_cannot_be_disconnected(browser, ada):
    browser.login("google", ada)
    token = ProviderGrant.objects.get().get_access_token()

    page = browser.post_form(browser.get("/account/"), "/account/disconnect/google/")

    assert "your only way to sign in" in page.text
    assert "Delete my account" in page.text
    assert UserSocialAuth.objects.count() == 1 and live(token)


def test_delete_my_account_revokes_every_grant_and_leaves_no_row_behind(browser, new_browser, ada):
    browser.login("facebook", ada)
    browser.consent(browser.post_form(browser.get("/account/"), "/login/google/"), ada)
    second_device = new_browser()
    second_device.login("google", ada)
    user_id = browser.user().pk
    issued = [grant.get_access_token() for grant in ProviderGrant.objects.all()]

    page = browser.post_form(browser.get("/account/"), "/account/delete/", {"confirm": "delete"})

    assert "have been deleted" in page.text
    assert browser.user() is None and second_device.user() is None
    assert not User.objects.filter(pk=user_id).exists()
    assert UserSocialAuth.objects.count() == 0 and ProviderGrant.objects.count() == 0
    assert not [s for s in Session.objects.all() if str(s.get_decoded().get("_auth_user_id")) == str(user_id)]
    assert not any(live(token) for token in issued)


def test_delete_my_account_needs_the_confirmation(browser, ada):
    browser.login("google", ada)

    page = browser.post_form(browser.get("/account/"), "/account/delete/", {})

    assert "tick the box" in page.text
    assert User.objects.count() == 1


@pytest.mark.parametrize("path", ["/disconnect/google/", f"/disconnect/google/{1}/"])
def test_social_djangos_own_disconnect_url_cannot_unlink_without_revoking(browser, ada, path):
    """One disconnect path: social-django's ``/disconnect/<backend>/`` would delete the link
    and leave the grant alive at Google."""
    browser.login("facebook", ada)
    browser.consent(browser.post_form(browser.get("/account/"), "/login/google/"), ada)
    refresh = ProviderGrant.objects.get(provider="google").get_refresh_token()

    answer = browser.post_form(browser.get("/account/"), path)

    assert answer.status_code == 404
    assert UserSocialAuth.objects.filter(provider="google").exists()
    assert ProviderGrant.objects.filter(provider="google").exists()
    assert live(refresh)


def test_disabling_a_provider_never_takes_its_grants_for_lapsed(browser, ada, settings):
    """A worker started without Google's credentials leaves Google out; its grants, whose
    access tokens expire every hour, must not look "renewed by sign-in only" and be wiped."""
    browser.login("google", ada)
    grant = ProviderGrant.objects.get(provider="google")
    ProviderGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    settings.SOCIALSITE_PROVIDERS = [name for name in settings.SOCIALSITE_PROVIDERS if name != "google"]

    refresh_grants_at_risk()

    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE and grant.has_refresh_token


def test_disconnect_with_the_budget_spent_still_revokes(browser, ada, settings):
    """Scheduled syncs may have spent the minute's budget; revocation is never held back by it."""
    browser.login("facebook", ada)
    browser.consent(browser.post_form(browser.get("/account/"), "/login/google/"), ada)
    settings.PROVIDER_CALLS_PER_MINUTE = {**settings.PROVIDER_CALLS_PER_MINUTE, "google": 1}
    budget = quota.LocalBudget()
    quota.use(budget)
    try:
        budget.take("google", 1)
        browser.post_form(browser.get("/account/"), "/account/disconnect/google/")
    finally:
        quota.use(None)

    assert not ProviderGrant.objects.filter(provider="google").exists()
    assert not SandboxToken.objects.filter(provider="google", person=ada, revoked_at__isnull=True).exists()


def test_refresh_now_with_the_budget_spent_is_deferred_not_a_crash(browser, ada, settings):
    """The admin's "Refresh now" runs inline without a broker: a spent budget must not be a 500."""
    from accounts.tasks import refresh_grant

    browser.login("google", ada)
    grant = ProviderGrant.objects.get(provider="google")
    settings.PROVIDER_CALLS_PER_MINUTE = {**settings.PROVIDER_CALLS_PER_MINUTE, "google": 1}
    budget = quota.LocalBudget()
    quota.use(budget)
    try:
        budget.take("google", 1)
        result = refresh_grant.apply(args=[grant.pk], kwargs={"force": True}).result
    finally:
        quota.use(None)

    assert str(result).startswith("deferred")
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE and grant.has_refresh_token


def test_a_disconnect_whose_task_was_lost_is_queued_again_and_the_page_stops_waiting(browser, ada):
    """A broker restarted without its messages: the page must not say "Disconnecting…" for
    ever, and the worker's sweep queues the lost task again (here inline: it runs)."""
    from accounts.tasks import requeue_stale_pending

    browser.login("facebook", ada)
    browser.consent(browser.post_form(browser.get("/account/"), "/login/google/"), ada)
    grant = ProviderGrant.objects.get(provider="google")
    lost = timezone.now() - timedelta(minutes=11)
    ProviderGrant.objects.filter(pk=grant.pk).update(pending_operation="disconnect", pending_since=lost)

    assert "Disconnecting" not in browser.get("/account/").text

    assert requeue_stale_pending() == 1
    assert not UserSocialAuth.objects.filter(provider="google").exists()
    assert not SandboxToken.objects.filter(provider="google", person=ada, revoked_at__isnull=True).exists()
