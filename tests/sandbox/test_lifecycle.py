"""The sandbox's token life cycle: debug_token, provider-side revocation, "Remove this app".

The first half drives the sandbox alone with the Django test client. The second half runs
the app and the sandbox in a live server and checks what the app sees afterwards: its next
refresh fails the way it does in production, and "Remove this app" reaches its signed
callbacks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import timedelta

import pytest
import requests
from django.conf import settings
from django.utils import timezone
from social_django.models import UserSocialAuth

from accounts import tokens
from accounts.models import DataDeletionRequest, GrantStatus, ProviderGrant, User
from friends.services import SyncResult, friends_sync
from providers import registry
from providers.facebook import signed_request
from providers.facebook.sandbox import callbacks
from sandbox.models import SandboxPerson, SandboxToken
from tests.login_fixtures import Browser
from tests.sandbox.flows import FB_VERSION, fb_token, g_tokens, proof


def app_token() -> str:
    return f"{settings.FACEBOOK_APP_ID}|{settings.FACEBOOK_APP_SECRET}"


def debug(client, input_token: str, *, access_token: str | None = None, versioned: bool = True, **extra):
    path = f"/sandbox/graph/{FB_VERSION}/debug_token" if versioned else "/sandbox/graph/debug_token"
    params = {"input_token": input_token, "access_token": access_token or app_token(), **extra}
    return client.get(path, params)


# --- debug_token ----------------------------------------------------------------------------


def test_debug_token_describes_a_valid_user_token(client, ada):
    token = fb_token(client, ada)

    response = debug(client, token)

    assert response.status_code == 200
    data = response.json()["data"]
    issued = SandboxToken.objects.get(value=token)
    assert data["is_valid"] is True
    assert data["type"] == "USER"
    assert data["app_id"] == settings.FACEBOOK_APP_ID
    assert data["application"] == "socialsite"
    assert data["user_id"] == ada.facebook_id
    assert set(data["scopes"]) == {"public_profile", "email", "user_friends"}
    assert data["expires_at"] == int(issued.expires_at.timestamp())
    assert data["data_access_expires_at"] > data["expires_at"]
    assert "error" not in data


def test_debug_token_answers_the_unversioned_path_too(client, ada):
    token = fb_token(client, ada)

    assert debug(client, token, versioned=False).json()["data"]["is_valid"] is True


def test_debug_token_accepts_a_valid_user_token_with_its_proof_as_inspector(client, ada, people):
    inspector = fb_token(client, people[1])
    token = fb_token(client, ada)

    response = debug(client, token, access_token=inspector, appsecret_proof=proof(inspector))

    assert response.status_code == 200
    assert response.json()["data"]["user_id"] == ada.facebook_id


def test_debug_token_says_a_revoked_token_is_invalid_like_facebook(client, ada):
    token = fb_token(client, ada)
    SandboxToken.objects.filter(value=token).update(revoked_at=timezone.now())

    response = debug(client, token)

    assert response.status_code == 200  # Graph answers 200 and puts the verdict in the data
    data = response.json()["data"]
    assert data["is_valid"] is False
    assert data["error"]["code"] == 190
    assert data["error"]["subcode"] == 458
    assert data["user_id"] == ada.facebook_id


def test_debug_token_says_an_expired_token_is_invalid(client, ada):
    token = fb_token(client, ada)
    SandboxToken.objects.filter(value=token).update(expires_at=timezone.now() - timedelta(seconds=1))

    data = debug(client, token).json()["data"]

    assert data["is_valid"] is False
    assert data["error"] == {"code": 190, "message": data["error"]["message"], "subcode": 463}
    assert "expired" in data["error"]["message"]


def test_debug_token_on_an_unknown_token(client, db):
    response = debug(client, "sbx-fb-at-nobody-has-this")

    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "error": {"code": 190, "message": "Invalid OAuth access token."},
            "is_valid": False,
            "scopes": [],
        }
    }


@pytest.mark.parametrize(
    ("access_token", "code"),
    [
        ("", 104),
        ("1234|wrong", 190),
        ("{app_id}|not-the-secret", 190),
        ("sbx-fb-at-unknown", 100),  # a user token needs its appsecret_proof (and to exist)
    ],
)
def test_debug_token_refuses_an_inspector_that_is_no_good(client, ada, access_token, code):
    token = fb_token(client, ada)
    params = {
        "input_token": token,
        "access_token": access_token.replace("{app_id}", settings.FACEBOOK_APP_ID),
    }

    response = client.get(f"/sandbox/graph/{FB_VERSION}/debug_token", params)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert token not in response.content.decode()


def test_debug_token_needs_an_input_token(client, db):
    response = client.get(f"/sandbox/graph/{FB_VERSION}/debug_token", {"access_token": app_token()})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 100


# --- Revocation from the index page ------------------------------------------------------------


def test_index_offers_each_person_the_providers_revocation_buttons(client, people):
    fb_token(client, people[0])

    html = client.get("/sandbox/").content.decode()

    # One per emulated provider and person.
    assert html.count(">Revoke socialsite's access</button>") == len(registry.enabled()) * len(people)
    assert html.count(">Remove this app</button>") == len(people)
    row = re.search(rf'<tr id="access-{people[0].pk}">(.*?)</tr>', html, re.S).group(1)
    assert "access granted" in row  # Ada holds a live Facebook token
    assert f"/sandbox/people/{people[0].pk}/facebook/revoke/" in row


def test_revoke_kills_every_token_of_that_provider_for_that_person_only(client, ada, people):
    facebook = fb_token(client, ada)
    google, _ = g_tokens(client, ada)
    other = fb_token(client, people[1])

    page = client.post(f"/sandbox/people/{ada.pk}/facebook/revoke/", follow=True)

    assert page.status_code == 200
    assert "Facebook: revoked socialsite&#x27;s access for Ada Lovelace" in page.content.decode()
    assert SandboxToken.objects.get(value=facebook).revoked_at is not None
    assert SandboxToken.objects.get(value=google["access_token"]).revoked_at is None
    assert SandboxToken.objects.get(value=google["refresh_token"]).revoked_at is None
    assert SandboxToken.objects.get(value=other).revoked_at is None


def test_revoke_google_kills_access_and_refresh_tokens(client, ada):
    google, _ = g_tokens(client, ada)

    client.post(f"/sandbox/people/{ada.pk}/google/revoke/")

    for value in (google["access_token"], google["refresh_token"]):
        assert SandboxToken.objects.get(value=value).revoked_at is not None


def test_revoke_is_a_post_for_a_known_provider(client, ada):
    assert client.get(f"/sandbox/people/{ada.pk}/google/revoke/").status_code == 405
    assert client.post(f"/sandbox/people/{ada.pk}/myspace/revoke/").status_code == 404
    assert client.post("/sandbox/people/999999/google/revoke/").status_code == 404


def test_revoke_and_remove_need_the_csrf_token(ada):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)

    assert strict.post(f"/sandbox/people/{ada.pk}/google/revoke/").status_code == 403
    assert strict.post(f"/sandbox/people/{ada.pk}/facebook/remove-app/").status_code == 403


# --- Facebook's signed callbacks -------------------------------------------------------------


def test_the_sandbox_signs_requests_the_app_accepts(ada):
    """Two independent implementations of one wire format agree."""
    signed = callbacks.signed_request_for(ada)

    payload = signed_request.parse(signed, settings.FACEBOOK_APP_SECRET)

    assert payload["algorithm"] == "HMAC-SHA256"
    assert payload["user_id"] == ada.facebook_id
    assert abs(payload["issued_at"] - timezone.now().timestamp()) < 5
    with pytest.raises(signed_request.InvalidSignedRequest):
        signed_request.parse(signed, "another-secret")


def test_signature_is_hmac_sha256_of_the_payload_as_sent():
    signed = signed_request.sign({"user_id": "1"}, app_secret="s3cret")
    signature, payload = signed.split(".")

    assert "=" not in signed
    expected = hmac.new(b"s3cret", payload.encode(), hashlib.sha256).digest()
    assert signature == base64.urlsafe_b64encode(expected).rstrip(b"=").decode()


def test_callback_urls_default_to_this_site_and_follow_the_settings(rf, settings):
    request = rf.post("/sandbox/people/1/facebook/remove-app/")

    assert callbacks.callback_urls(request) == {
        "deauthorize": "http://testserver/facebook/deauthorize/",
        "data_deletion": "http://testserver/facebook/data-deletion/",
    }
    settings.SANDBOX_FACEBOOK_DEAUTHORIZE_URL = "https://app.example/fb/deauth"
    settings.SANDBOX_FACEBOOK_DATA_DELETION_URL = "https://app.example/fb/delete"
    assert callbacks.callback_urls(request) == {
        "deauthorize": "https://app.example/fb/deauth",
        "data_deletion": "https://app.example/fb/delete",
    }


def test_remove_app_with_the_app_unreachable_still_revokes_and_says_so(client, ada, settings):
    settings.SANDBOX_FACEBOOK_DEAUTHORIZE_URL = "http://127.0.0.1:9/facebook/deauthorize/"
    settings.SANDBOX_FACEBOOK_DATA_DELETION_URL = "http://127.0.0.1:9/facebook/data-deletion/"
    token = fb_token(client, ada)

    page = client.post(f"/sandbox/people/{ada.pk}/facebook/remove-app/", follow=True)

    html = page.content.decode()
    assert SandboxToken.objects.get(value=token).revoked_at is not None
    assert "deauthorize callback http://127.0.0.1:9/facebook/deauthorize/ could not be reached" in html
    assert "data-deletion callback http://127.0.0.1:9/facebook/data-deletion/ could not be reached" in html


# --- Against the app, live ----------------------------------------------------------------------


def _person(index: int) -> SandboxPerson:
    return SandboxPerson.objects.order_by("pk")[index]


def _grant(provider: str, person: SandboxPerson) -> ProviderGrant:
    uid = person.facebook_id if provider == "facebook" else person.google_sub
    return ProviderGrant.objects.get(provider=provider, uid=uid)


def _press(person_browser: Browser, action: str) -> requests.Response:
    """Press a button on the sandbox index page, as a person would."""
    index = person_browser.get("/sandbox/")
    assert action in index.text, f"no button posting to {action}"
    return person_browser.post_form(index, action)


@pytest.mark.parametrize(("provider", "error"), [("google", "invalid_grant"), ("facebook", "190")])
def test_after_revoking_at_the_provider_the_apps_next_call_needs_reconnect(browser, provider, error):
    """Google's next call is a refresh; Facebook has none (only a new sign-in renews its token),
    so its next call is the friends sync's Graph request."""
    ada = _person(0)
    browser.login(provider, ada)
    grant = _grant(provider, ada)
    assert grant.status == GrantStatus.ACTIVE

    _press(browser, f"/sandbox/people/{ada.pk}/{provider}/revoke/")
    if provider == "google":
        assert tokens.grant_refresh(grant=grant, force=True) == tokens.RefreshResult.NEEDS_RECONNECT
    else:
        outcome = friends_sync(grant=grant)
        assert outcome.result == SyncResult.NEEDS_RECONNECT

    grant.refresh_from_db()
    assert grant.status == GrantStatus.NEEDS_RECONNECT
    assert error in grant.last_error
    assert grant.access_token_ciphertext == "" and grant.refresh_token_ciphertext == ""
    assert "Reconnect" in browser.get("/account/").text


def test_the_apps_stored_facebook_token_is_valid_per_debug_token(browser, sandbox):
    ada = _person(0)
    browser.login("facebook", ada)
    stored = _grant("facebook", ada).get_access_token()

    answer = requests.get(
        f"{sandbox}/sandbox/graph/{FB_VERSION}/debug_token",
        params={"input_token": stored, "access_token": app_token()},
        timeout=10,
    ).json()["data"]

    assert answer["is_valid"] is True
    assert answer["user_id"] == ada.facebook_id


def test_rotating_refresh_tokens_are_stored_and_the_old_one_dies(browser, settings):
    settings.SANDBOX_GOOGLE_ROTATE_REFRESH_TOKENS = True
    ada = _person(0)
    browser.login("google", ada)
    grant = _grant("google", ada)
    first = grant.get_refresh_token()

    assert tokens.grant_refresh(grant=grant, force=True) == tokens.RefreshResult.REFRESHED
    grant.refresh_from_db()
    second = grant.get_refresh_token()
    # The stored one is the sandbox's only live refresh token; the first is retired.
    assert second != first
    assert SandboxToken.objects.get(value=first).revoked_at is not None
    assert SandboxToken.objects.get(value=second).revoked_at is None
    # And it works: a second refresh goes through with the rotated token.
    assert tokens.grant_refresh(grant=grant, force=True) == tokens.RefreshResult.REFRESHED
    grant.refresh_from_db()
    assert grant.get_refresh_token() not in (first, second)


def test_remove_this_app_sends_both_signed_callbacks_to_the_app(browser):
    ada = _person(0)
    browser.login("facebook", ada)
    user = browser.user()
    assert user is not None

    page = _press(browser, f"/sandbox/people/{ada.pk}/facebook/remove-app/")

    assert page.status_code == 200
    assert "deauthorize callback answered 200" in page.text
    record = DataDeletionRequest.objects.get()
    assert (
        f"data-deletion callback answered 200: confirmation code <code>{record.confirmation_code}</code>"
        in (page.text)
    )
    # Facebook's side: every token is dead.
    assert not SandboxToken.objects.filter(person=ada, provider="facebook", revoked_at__isnull=True).exists()
    # The app's side: Facebook was Ada's only way in, so her link, grant and account are gone.
    assert not UserSocialAuth.objects.filter(provider="facebook", uid=ada.facebook_id).exists()
    assert not ProviderGrant.objects.filter(provider="facebook", uid=ada.facebook_id).exists()
    assert not User.objects.filter(pk=user.pk).exists()
    assert browser.user() is None
    # The status page the app answered with serves that code.
    status_url = re.search(r'status page <a href="([^"]+)"', page.text).group(1)
    status = browser.get(status_url)
    assert status.status_code == 200
    assert record.confirmation_code in status.text


def test_remove_this_app_keeps_a_person_who_can_still_sign_in_with_google(browser):
    grace = _person(1)
    browser.login("google", grace)
    browser.login("facebook", grace)  # signed in: links Facebook to the same person
    user = browser.user()
    assert set(UserSocialAuth.objects.filter(user=user).values_list("provider", flat=True)) == {
        "facebook",
        "google",
    }

    _press(browser, f"/sandbox/people/{grace.pk}/facebook/remove-app/")

    assert User.objects.filter(pk=user.pk).exists()
    assert list(UserSocialAuth.objects.filter(user=user).values_list("provider", flat=True)) == ["google"]
    assert _grant("google", grace).status == GrantStatus.ACTIVE
    assert not ProviderGrant.objects.filter(provider="facebook", uid=grace.facebook_id).exists()
