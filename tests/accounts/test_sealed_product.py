"""The whole product in sealed mode: this test process is the web tier, a real worker the island.

The web (this process and its live server threads) holds the public key only; the worker
(``sealed_worker``: ``PROCESS_ROLE=worker``, ``TOKEN_SEAL_PRIVATE_KEYS``) alone opens tokens.
Sign-in, friends, refresh, disconnect, "Delete my account" and the admin's actions all go
through real HTTP, and ``vault.open_counts()`` shows that the web process opened nothing
(and was never even asked to: a refusal is counted too). The worker's log shows the opens.
Revocations are checked on the sandbox's side: its tokens for the person are revoked.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from social_django.models import UserSocialAuth

from accounts import vault
from accounts.models import GrantStatus, ProviderGrant, User
from sandbox.models import SandboxPerson, SandboxToken
from tests.accounts.test_sealed_mode import opens_with
from tests.friends.test_end_to_end import friends_page, listed

pytestmark = [pytest.mark.worker]


def wait_until(condition, timeout: float = 45) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


def live_tokens(provider: str, person: SandboxPerson) -> int:
    """Tokens the sandbox provider still honours for this person (the provider's side)."""
    return SandboxToken.objects.filter(provider=provider, person=person, revoked_at__isnull=True).count()


@pytest.fixture
def web_opens(sealed_web):
    """What the web process opened during the test: must stay at zero, refusals included."""
    before = vault.open_counts()
    yield lambda: {key: vault.open_counts()[key] - before[key] for key in before}


def test_sealed_mode_sign_in_friends_refresh_disconnect_and_delete(
    sealed_web, sealed_worker, web_opens, browser, new_browser, ada, grace, sealed_keypair
):
    # Sign in with each provider. The callback seals what the provider handed over.
    grace_browser = new_browser()
    grace_browser.login("facebook", grace)
    grace_browser.consent(grace_browser.post_form(grace_browser.get("/account/"), "/login/google/"), grace)
    grace_browser.consent(grace_browser.post_form(grace_browser.get("/account/"), "/login/github/"), grace)
    browser.login("facebook", ada)
    browser.consent(browser.post_form(browser.get("/account/"), "/login/google/"), ada)
    browser.consent(browser.post_form(browser.get("/account/"), "/login/github/"), ada)
    grants = ProviderGrant.objects.all()
    assert grants.count() == 6
    assert all(vault.scheme_of(g.access_token_ciphertext) == vault.SEALED for g in grants)

    # The friends appear, synced by the worker: Grace is Ada's Facebook friend and Google
    # contact, and Ada follows her on GitHub.
    def friends_listed() -> bool:
        html = friends_page(browser)
        on_facebook = listed(html, "facebook").get("Grace Hopper") is True
        on_github = listed(html, "github").get("grace") is True
        return on_facebook and on_github and "Grace Hopper" in listed(html, "google")

    assert wait_until(friends_listed), sealed_worker.log.read_text()[-3000:]

    # The friends page's Refresh: queued, the page says so and reloads itself until the
    # worker's result is in (then it stops reloading).
    page = browser.get("/friends/")
    answer = browser.post_form(page, "/friends/refresh/", {"provider": "google"})
    assert "Refreshing" in answer.text
    assert wait_until(lambda: 'http-equiv="refresh"' not in browser.get("/friends/").text)
    assert "Grace Hopper" in listed(friends_page(browser), "google")

    # Token refresh on the worker: Google's access token is renewed, sealed under the public key.
    google = ProviderGrant.objects.get(provider="google", uid=ada.google_sub)
    ProviderGrant.objects.filter(pk=google.pk).update(expires_at=timezone.now() + timedelta(seconds=60))
    from accounts.tasks import refresh_grant

    refresh_grant.delay(google.pk)  # a job about to use the token, which is due
    assert wait_until(lambda: ProviderGrant.objects.get(pk=google.pk).last_refreshed_at is not None)
    google.refresh_from_db()
    assert google.status == GrantStatus.ACTIVE and google.expires_in() > 3000
    assert vault.scheme_of(google.access_token_ciphertext) == vault.SEALED

    # Disconnect: "Disconnecting…" first, then done; revoked on the provider's side.
    assert live_tokens("google", ada) > 0
    answer = browser.post_form(browser.get("/account/"), "/account/disconnect/google/")
    assert answer.status_code == 200
    assert wait_until(lambda: not UserSocialAuth.objects.filter(uid=ada.google_sub).exists())
    assert "Google is disconnected" in browser.get("/account/?disconnected=google").text
    assert live_tokens("google", ada) == 0
    assert live_tokens("facebook", ada) > 0 and live_tokens("github", ada) > 0

    # Delete my account: signed out at once, "Deleting…", then gone, every grant revoked.
    user_id = browser.user().pk
    answer = browser.post_form(browser.get("/account/"), "/account/delete/", {"confirm": "delete"})
    assert answer.status_code == 200 and "account" in answer.text.lower()
    assert browser.user() is None
    assert wait_until(lambda: not User.objects.filter(pk=user_id).exists())
    assert "Account deleted" in browser.get(answer.url).text
    assert live_tokens("facebook", ada) == 0
    assert live_tokens("github", ada) == 0

    # Grace's grants were never touched, and only the worker's keys open them.
    assert web_opens() == {"opened": 0, "refused": 0}
    for grant in ProviderGrant.objects.all():
        assert opens_with(grant, worker_private_key=sealed_keypair[1], public_key=sealed_keypair[0])
    assert "succeeded" in sealed_worker.log.read_text()


def test_sealed_mode_admin_refresh_now_and_revoke_and_unlink(
    sealed_web, sealed_worker, web_opens, browser, new_browser, ada, grace, admin_client
):
    browser.login("google", ada)
    new_browser().login("google", grace)
    adas = ProviderGrant.objects.get(uid=ada.google_sub)
    graces = ProviderGrant.objects.get(uid=grace.google_sub)
    client = admin_client
    changelist = "/admin/accounts/providergrant/"

    answer = client.post(
        changelist, {"action": "refresh_now", "_selected_action": [adas.pk]}, follow=True
    )
    assert "Refresh queued for 1 grant(s)" in answer.content.decode()
    assert wait_until(lambda: ProviderGrant.objects.get(pk=adas.pk).last_refreshed_at is not None)
    history = client.get(f"{changelist}{adas.pk}/history/").content.decode()
    assert "Refresh now: refreshed." in history

    answer = client.post(
        changelist, {"action": "revoke_and_unlink", "_selected_action": [graces.pk]}, follow=True
    )
    assert "Revoking and unlinking 1 account(s)" in answer.content.decode()
    assert wait_until(lambda: not ProviderGrant.objects.filter(pk=graces.pk).exists())
    assert not UserSocialAuth.objects.filter(uid=grace.google_sub).exists()
    assert live_tokens("google", grace) == 0
    assert live_tokens("google", ada) > 0
    assert web_opens() == {"opened": 0, "refused": 0}
    assert settings.TOKEN_SEAL_PRIVATE_KEYS == []


def test_the_sealed_web_never_opens_while_pages_show_a_grant_the_worker_cannot_open(
    sealed_web, sealed_worker, web_opens, browser, ada
):
    """A grant sealed under a key the worker lacks: the worker flags it, /healthz/ says degraded
    and names the worker's private keys; the web itself never tried to open it."""
    from accounts.vault_sealed import generate_keypair

    browser.login("google", ada)
    grant = ProviderGrant.objects.get()
    ours = sealed_web.TOKEN_SEAL_PUBLIC_KEY
    sealed_web.TOKEN_SEAL_PUBLIC_KEY, _ = generate_keypair()  # a key pair the worker never had
    grant.set_refresh_token("sbx-unopenable")  # what the worker needs to refresh
    grant.save()
    sealed_web.TOKEN_SEAL_PUBLIC_KEY = ours
    ProviderGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() + timedelta(seconds=30))
    from accounts.tasks import refresh_grant

    refresh_grant.delay(grant.pk)
    assert wait_until(lambda: ProviderGrant.objects.get(pk=grant.pk).key_missing_since is not None)
    health = browser.get("/healthz/").json()
    assert health["status"] == "degraded" and "TOKEN_SEAL_PRIVATE_KEYS" in health["detail"]
    assert "Temporarily unavailable" in browser.get("/account/").text
    assert web_opens() == {"opened": 0, "refused": 0}
