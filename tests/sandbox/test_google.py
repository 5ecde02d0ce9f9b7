"""The emulated Google OpenID provider: discovery, consent, token, userinfo, revocation."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from sandbox.models import SandboxAuthCode, SandboxToken
from tests.sandbox.flows import (
    G_REDIRECT,
    ISSUER,
    GoogleAuth,
    g_approve,
    g_code,
    g_exchange,
    g_token_request,
    g_tokens,
    query,
    verify,
)

pytestmark = pytest.mark.django_db

CONTACTS = "https://www.googleapis.com/auth/contacts.readonly"
USERINFO_EMAIL = "https://www.googleapis.com/auth/userinfo.email"
USERINFO_PROFILE = "https://www.googleapis.com/auth/userinfo.profile"


# --- Discovery and keys ------------------------------------------------------------------


def test_discovery_names_every_endpoint_under_the_issuer(client):
    doc = client.get("/sandbox/google/.well-known/openid-configuration").json()

    assert doc["issuer"] == ISSUER
    assert doc["authorization_endpoint"] == f"{ISSUER}/o/oauth2/v2/auth"
    assert doc["token_endpoint"] == f"{ISSUER}/token"
    assert doc["userinfo_endpoint"] == f"{ISSUER}/userinfo"
    assert doc["revocation_endpoint"] == f"{ISSUER}/revoke"
    assert doc["jwks_uri"] == f"{ISSUER}/certs"
    assert doc["response_types_supported"] == ["code"]
    assert doc["subject_types_supported"] == ["public"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert set(doc["token_endpoint_auth_methods_supported"]) == {"client_secret_post", "client_secret_basic"}
    assert set(doc["code_challenge_methods_supported"]) == {"plain", "S256"}
    assert {"openid", "email", "profile"} <= set(doc["scopes_supported"])
    assert {"sub", "email", "email_verified", "nonce"} <= set(doc["claims_supported"])


def test_jwks_publishes_an_rsa_signing_key_that_stays_the_same(client):
    first = client.get("/sandbox/google/certs").json()
    second = client.get("/sandbox/google/certs").json()

    (key,) = first["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert key["kid"] and key["n"] and key["e"] == "AQAB"
    assert "d" not in key  # never the private half
    assert second == first


# --- Consent page -------------------------------------------------------------------------


def test_consent_page_lists_the_roster_and_the_scopes(client, db):
    page = client.get(GoogleAuth.new().authorize_url())

    assert page.status_code == 200
    html = page.content.decode()
    assert "Sign in with Google" in html
    assert "Sandbox — no real account is used" in html
    assert "Continue as Ada Lovelace" in html  # a fresh database seeds the roster itself
    assert f'name="scope" value="{CONTACTS}" checked' in html
    assert "Cancel" in html


def test_approve_redirects_with_code_state_and_granted_scopes(client, ada):
    auth = GoogleAuth.new()
    response = g_approve(client, ada, auth)

    assert response.status_code == 302
    assert response["Location"].startswith(G_REDIRECT + "?")
    params = query(response["Location"])
    assert params["code"].startswith("sbx-g-code-")
    assert params["state"] == auth.state
    assert params["scope"].split() == ["openid", "email", "profile", CONTACTS]
    assert params["iss"] == ISSUER  # RFC 9207, as Google now sends it


def test_unticking_contacts_leaves_it_out_of_the_grant(client, ada):
    response = g_approve(client, ada, GoogleAuth.new(), ticked=[])

    assert query(response["Location"])["scope"].split() == ["openid", "email", "profile"]


def test_cancel_redirects_with_access_denied(client, people):
    auth = GoogleAuth.new()
    response = client.post(auth.authorize_url(), {"cancel": "1"})

    assert response.status_code == 302
    assert query(response["Location"]) == {"error": "access_denied", "state": auth.state, "iss": ISSUER}


@pytest.mark.parametrize(
    "override",
    [
        {"client_id": "someone-else"},
        {"redirect_uri": "http://testserver/elsewhere/"},
        {"redirect_uri": "javascript:alert(1)//complete/google/"},
        {"response_type": "token"},
    ],
)
def test_bad_client_or_redirect_is_an_error_page_never_a_redirect(client, people, override):
    url = GoogleAuth.new().authorize_url(**override)

    assert client.get(url).status_code == 400
    assert client.post(url, {"person": people[0].pk}).status_code == 400


# --- Token endpoint ------------------------------------------------------------------------


def test_code_exchange_answers_tokens_and_a_verifiable_id_token(client, ada):
    body, auth = g_tokens(client, ada)

    assert body["access_token"].startswith("sbx-g-at-")
    assert body["refresh_token"].startswith("sbx-g-rt-")
    assert body["token_type"] == "Bearer"
    assert 3590 <= body["expires_in"] <= 3599
    # Google's spelling: email/profile as URL scopes, a set in no promised order.
    assert set(body["scope"].split()) == {"openid", USERINFO_EMAIL, USERINFO_PROFILE, CONTACTS}
    claims = verify(client, body["id_token"])
    assert claims["sub"] == ada.google_sub
    assert claims["azp"] == settings.GOOGLE_CLIENT_ID
    assert claims["nonce"] == auth.nonce
    assert claims["email"] == "ada@sandbox.example" and claims["email_verified"] is True
    assert (claims["name"], claims["given_name"], claims["family_name"]) == (
        "Ada Lovelace",
        "Ada",
        "Lovelace",
    )
    assert claims["picture"].startswith("http://testserver/sandbox/")
    assert claims["exp"] - claims["iat"] == 3600
    assert abs(claims["iat"] - timezone.now().timestamp()) < 5
    digest = hashlib.sha256(body["access_token"].encode()).digest()
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def test_unverified_email_is_reported_as_unverified(client, people):
    edsger = next(p for p in people if p.given_name == "Edsger")
    body, _ = g_tokens(client, edsger)

    assert verify(client, body["id_token"])["email_verified"] is False


def test_client_secret_basic_is_accepted(client, ada):
    auth = GoogleAuth.new()
    response = g_exchange(client, g_code(client, ada, auth), auth, basic=True)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("basic", [False, True])
def test_wrong_client_secret_is_401_invalid_client(client, ada, basic):
    auth = GoogleAuth.new()
    response = g_exchange(client, g_code(client, ada, auth), auth, basic=basic, secret="wrong")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_pkce_verifier_mismatch_is_refused(client, ada):
    auth = GoogleAuth.new()
    code = g_code(client, ada, auth)
    auth.verifier = GoogleAuth.new().verifier

    response = g_exchange(client, code, auth)

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "Invalid code verifier."}


def test_pkce_verifier_missing_is_refused(client, ada):
    auth = GoogleAuth.new()
    code = g_code(client, ada, auth)

    response = g_token_request(
        client, {"grant_type": "authorization_code", "code": code, "redirect_uri": G_REDIRECT}
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_plain_pkce_is_supported(client, ada):
    auth = GoogleAuth.new()
    url = auth.authorize_url(code_challenge=auth.verifier, code_challenge_method="plain")
    code = query(client.post(url, {"person": ada.pk})["Location"])["code"]

    assert g_exchange(client, code, auth).status_code == 200


def test_redirect_uri_must_match_the_authorize_one(client, ada):
    auth = GoogleAuth.new()
    code = g_code(client, ada, auth)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "http://testserver/other/complete/google/",
        "code_verifier": auth.verifier,
    }

    response = g_token_request(client, data)

    assert response.status_code == 400
    assert response.json()["error"] == "redirect_uri_mismatch"


def test_code_is_single_use_and_a_replay_revokes_what_it_issued(client, ada):
    auth = GoogleAuth.new()
    code = g_code(client, ada, auth)
    first = g_exchange(client, code, auth).json()

    replay = g_exchange(client, code, auth)

    assert replay.status_code == 400
    assert replay.json() == {"error": "invalid_grant", "error_description": "Bad Request"}
    auth_header = {"HTTP_AUTHORIZATION": f"Bearer {first['access_token']}"}
    assert client.get("/sandbox/google/userinfo", **auth_header).status_code == 401
    refreshed = g_token_request(
        client, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert refreshed.status_code == 400


def test_expired_code_is_refused(client, ada):
    auth = GoogleAuth.new()
    code = g_code(client, ada, auth)
    SandboxAuthCode.objects.filter(value=code).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = g_exchange(client, code, auth)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_refresh_token_only_on_first_offline_consent_or_prompt_consent(client, ada):
    first, _ = g_tokens(client, ada)
    again, _ = g_tokens(client, ada)
    forced, _ = g_tokens(client, ada, prompt="consent")
    online, _ = g_tokens(client, ada, access_type="online", prompt="consent")

    assert "refresh_token" in first
    assert "refresh_token" not in again
    assert "refresh_token" in forced
    assert "refresh_token" not in online


def test_without_openid_scope_there_is_no_id_token(client, ada):
    body, _ = g_tokens(client, ada, scope="email")

    assert "id_token" not in body


def test_token_answer_spells_scopes_as_google_does(client, ada):
    """email/profile come back as URL scopes and openid comes along even when not asked for.

    https://developers.google.com/identity/protocols/oauth2/scopes#oauth2 ; field: requests-oauthlib#387.
    """
    body, _ = g_tokens(client, ada, scope=f"email profile {CONTACTS}")

    granted = body["scope"].split()
    assert set(granted) == {"openid", USERINFO_EMAIL, USERINFO_PROFILE, CONTACTS}
    assert "email" not in granted and "profile" not in granted
    assert granted != ["email", "profile", CONTACTS]  # not simply the asked order


def test_include_granted_scopes_adds_earlier_grants(client, ada):
    g_tokens(client, ada)
    auth = GoogleAuth.new()
    response = g_approve(client, ada, auth, scope="openid email", include_granted_scopes="true")

    assert CONTACTS in query(response["Location"])["scope"].split()


# --- Refresh grant --------------------------------------------------------------------------


def test_refresh_grant_issues_a_new_access_token(client, ada):
    body, _ = g_tokens(client, ada)

    response = g_token_request(
        client, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    )

    assert response.status_code == 200
    fresh = response.json()
    assert fresh["access_token"].startswith("sbx-g-at-") and fresh["access_token"] != body["access_token"]
    assert fresh["token_type"] == "Bearer" and fresh["expires_in"] > 3500
    assert fresh["scope"] == body["scope"]
    assert "refresh_token" not in fresh
    # OIDC Core §12.2: a refreshed id_token keeps iss, sub and aud, and carries no nonce.
    claims = verify(client, fresh["id_token"])
    assert (claims["iss"], claims["sub"], claims["aud"]) == (
        ISSUER,
        ada.google_sub,
        settings.GOOGLE_CLIENT_ID,
    )
    assert "nonce" not in claims
    userinfo = client.get("/sandbox/google/userinfo", HTTP_AUTHORIZATION=f"Bearer {fresh['access_token']}")
    assert userinfo.status_code == 200


def test_unknown_refresh_token_is_invalid_grant(client, db):
    response = g_token_request(client, {"grant_type": "refresh_token", "refresh_token": "sbx-g-rt-nope"})

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }


def test_rotation_setting_retires_the_old_refresh_token(client, ada, settings):
    settings.SANDBOX_GOOGLE_ROTATE_REFRESH_TOKENS = True
    body, _ = g_tokens(client, ada)

    rotated = g_token_request(client, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]})
    reused = g_token_request(client, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]})

    assert rotated.json()["refresh_token"].startswith("sbx-g-rt-")
    assert rotated.json()["refresh_token"] != body["refresh_token"]
    assert reused.status_code == 400


def test_unsupported_grant_type(client, db):
    response = g_token_request(client, {"grant_type": "password"})

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


# --- Userinfo ----------------------------------------------------------------------------


def test_userinfo_answers_the_person(client, ada):
    body, _ = g_tokens(client, ada)

    info = client.get("/sandbox/google/userinfo", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}").json()

    assert info["sub"] == ada.google_sub
    assert info["email"] == ada.email and info["email_verified"] is True
    assert info["name"] == "Ada Lovelace"
    assert {"given_name", "family_name", "picture"} <= set(info)


@pytest.mark.parametrize("header", [None, "Bearer sbx-g-at-unknown", "Basic abc"])
def test_userinfo_with_a_bad_token_is_401_invalid_token(client, db, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}

    response = client.get("/sandbox/google/userinfo", **extra)

    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_userinfo_with_an_expired_token_is_401(client, ada):
    body, _ = g_tokens(client, ada)
    SandboxToken.objects.filter(value=body["access_token"]).update(expires_at=timezone.now())

    response = client.get("/sandbox/google/userinfo", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")

    assert response.status_code == 401


# --- Revocation ----------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["access_token", "refresh_token"])
def test_revoking_either_token_revokes_the_grant(client, ada, which):
    body, _ = g_tokens(client, ada)

    response = client.post("/sandbox/google/revoke", {"token": body[which]})

    assert response.status_code == 200
    userinfo = client.get("/sandbox/google/userinfo", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert userinfo.status_code == 401
    refreshed = g_token_request(
        client, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    )
    assert refreshed.status_code == 400
    assert client.post("/sandbox/google/revoke", {"token": body[which]}).status_code == 400


def test_revoking_an_unknown_token_is_400_invalid_token(client, db):
    response = client.post("/sandbox/google/revoke", {"token": "sbx-g-at-nope"})

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_token"


def test_a_new_consent_after_revocation_gets_a_refresh_token_again(client, ada):
    body, _ = g_tokens(client, ada)
    client.post("/sandbox/google/revoke", {"token": body["refresh_token"]})

    again, _ = g_tokens(client, ada)

    assert "refresh_token" in again
