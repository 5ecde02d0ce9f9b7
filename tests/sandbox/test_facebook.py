"""The emulated Facebook Login dialog and Graph API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from sandbox.models import SandboxAuthCode, SandboxToken
from tests.sandbox.flows import (
    FB_REDIRECT,
    FB_VERSION,
    fb_approve,
    fb_code,
    fb_dialog_url,
    fb_token,
    fb_token_request,
    proof,
    query,
)

pytestmark = pytest.mark.django_db

GRAPH = f"/sandbox/graph/{FB_VERSION}"


def me(client, token: str, fields: str = "id,name,email,picture", **extra):
    params = {"fields": fields, "access_token": token, "appsecret_proof": proof(token), **extra}
    return client.get(f"{GRAPH}/me", params)


def error_of(response) -> dict:
    return response.json()["error"]


# --- Dialog -------------------------------------------------------------------------------


def test_dialog_lists_the_roster_and_the_requested_scopes(client, db):
    page = client.get(fb_dialog_url())

    html = page.content.decode()
    assert page.status_code == 200
    assert "Log in with Facebook" in html
    assert "Sandbox — no real account is used" in html
    assert "Continue as Grace Hopper" in html
    assert 'name="scope" value="email" checked' in html
    assert 'name="scope" value="user_friends" checked' in html


def test_approve_grants_the_ticked_scopes_plus_public_profile(client, ada):
    response = fb_approve(client, ada)

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(FB_REDIRECT + "?") and location.endswith("#_=_")
    params = query(location)
    assert params["code"].startswith("sbx-fb-code-")
    assert params["state"] == "st-1"
    assert set(params["granted_scopes"].split(",")) == {"public_profile", "email", "user_friends"}
    assert params["denied_scopes"] == ""


def test_unticked_scopes_are_denied(client, ada):
    params = query(fb_approve(client, ada, ticked=("user_friends",))["Location"])

    assert set(params["granted_scopes"].split(",")) == {"public_profile", "user_friends"}
    assert params["denied_scopes"] == "email"


def test_cancel_redirects_with_user_denied(client, people):
    response = client.post(fb_dialog_url(), {"cancel": "1"})

    location = response["Location"]
    assert response.status_code == 302 and location.endswith("#_=_")
    assert query(location) == {
        "error": "access_denied",
        "error_code": "200",
        "error_description": "Permissions error",
        "error_reason": "user_denied",
        "state": "st-1",
    }


def test_any_graph_version_is_accepted(client, db):
    assert client.get(fb_dialog_url().replace(FB_VERSION, "v26.0")).status_code == 200


@pytest.mark.parametrize(
    "override",
    [
        {"client_id": "123"},
        {"redirect_uri": "http://testserver/somewhere/"},
        {"redirect_uri": "ftp://testserver/complete/facebook/"},
    ],
)
def test_unknown_client_or_redirect_is_an_error_page(client, people, override):
    url = fb_dialog_url(**override)

    assert client.get(url).status_code == 400
    response = client.post(url, {"person": people[0].pk})
    assert response.status_code == 400 and not response.has_header("Location")


# --- Code -> token ------------------------------------------------------------------------


def test_code_exchange_answers_a_short_lived_bearer_token(client, ada):
    response = fb_token_request(client, fb_code(client, ada))

    assert response.status_code == 200
    body = response.json()
    assert body["access_token"].startswith("sbx-fb-at-")
    assert body["token_type"] == "bearer"
    assert 5390 <= body["expires_in"] <= 5400


def test_a_used_code_is_refused(client, ada):
    code = fb_code(client, ada)
    first = fb_token_request(client, code).json()["access_token"]

    replay = fb_token_request(client, code)

    assert replay.status_code == 400
    error = error_of(replay)
    assert error["message"] == "This authorization code has been used."
    assert (error["type"], error["code"], error["error_subcode"]) == ("OAuthException", 100, 36009)
    assert error["fbtrace_id"]
    assert error_of(me(client, first))["code"] == 190  # the leaked code's token is dead too


def test_wrong_client_secret_is_code_1(client, ada):
    response = fb_token_request(client, fb_code(client, ada), client_secret="wrong")

    assert response.status_code == 400
    assert error_of(response)["code"] == 1
    assert error_of(response)["message"] == "Error validating client secret."


def test_redirect_uri_mismatch_is_refused(client, ada):
    response = fb_token_request(
        client, fb_code(client, ada), redirect_uri="http://testserver/x/complete/facebook/"
    )

    assert response.status_code == 400
    assert error_of(response)["code"] == 100
    assert "redirect_uri is identical" in error_of(response)["message"]


def test_an_expired_code_is_refused(client, ada):
    code = fb_code(client, ada)
    SandboxAuthCode.objects.filter(value=code).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = fb_token_request(client, code)

    assert response.status_code == 400
    assert error_of(response)["message"] == "This authorization code has expired."


def test_an_unknown_code_is_refused(client, db):
    response = fb_token_request(client, "sbx-fb-code-made-up")

    assert response.status_code == 400
    assert error_of(response)["code"] == 100


# --- Long-lived exchange ----------------------------------------------------------------


def exchange(client, token: str):
    params = {
        "grant_type": "fb_exchange_token",
        "client_id": settings.FACEBOOK_APP_ID,
        "client_secret": settings.FACEBOOK_APP_SECRET,
        "fb_exchange_token": token,
    }
    return client.get(f"{GRAPH}/oauth/access_token", params)


def test_exchange_answers_a_long_lived_token(client, ada):
    short = fb_token(client, ada)

    response = exchange(client, short)

    body = response.json()
    assert response.status_code == 200
    assert body["access_token"].startswith("sbx-fb-at-") and body["access_token"] != short
    assert body["token_type"] == "bearer"
    assert 5183900 <= body["expires_in"] <= 5183944
    assert me(client, body["access_token"]).json()["id"] == ada.facebook_id


def test_re_exchanging_a_long_lived_token_does_not_extend_it(client, ada):
    """Graph exchanges a short-lived token; a long-lived one comes back with the time it had left,
    never a fresh 60 days (Long-Lived Access Tokens; field: passport-facebook#98)."""
    long_lived = exchange(client, fb_token(client, ada)).json()["access_token"]
    ends = timezone.now() + timedelta(days=3)
    SandboxToken.objects.filter(value=long_lived).update(expires_at=ends)

    again = exchange(client, long_lived).json()

    assert again["access_token"] == long_lived
    assert again["expires_in"] <= 3 * 86400
    assert SandboxToken.objects.get(value=long_lived).expires_at == ends
    assert SandboxToken.objects.filter(long_lived=True).count() == 1


def test_an_expired_token_cannot_be_exchanged(client, ada):
    short = fb_token(client, ada)
    SandboxToken.objects.filter(value=short).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = exchange(client, short)

    assert response.status_code == 400
    assert (error_of(response)["code"], error_of(response)["error_subcode"]) == (190, 463)


def test_an_unknown_token_cannot_be_exchanged(client, db):
    response = exchange(client, "sbx-fb-at-nope")

    assert response.status_code == 400
    assert error_of(response)["code"] == 190


# --- /me ------------------------------------------------------------------------------------


def test_me_answers_the_requested_fields(client, ada):
    body = me(client, fb_token(client, ada)).json()

    assert body["id"] == ada.facebook_id and body["id"].isdigit()
    assert body["name"] == "Ada Lovelace"
    assert body["email"] == "ada@sandbox.example"
    picture = body["picture"]["data"]
    assert picture["url"].startswith("http://testserver/sandbox/")
    assert (picture["height"], picture["width"], picture["is_silhouette"]) == (50, 50, False)
    assert client.get(picture["url"])["Content-Type"] == "image/svg+xml"


def test_me_answers_only_the_requested_fields(client, ada):
    assert me(client, fb_token(client, ada), fields="id,name").json() == {
        "id": ada.facebook_id,
        "name": "Ada Lovelace",
    }


def test_me_leaves_email_out_when_it_was_declined(client, ada):
    token = fb_token(client, ada, ticked=("user_friends",))

    assert "email" not in me(client, token).json()


def test_me_with_the_token_in_the_authorization_header(client, ada):
    token = fb_token(client, ada)
    params = {"fields": "id", "appsecret_proof": proof(token)}

    bearer = client.get(f"{GRAPH}/me", params, HTTP_AUTHORIZATION=f"Bearer {token}")
    oauth = client.get(f"{GRAPH}/me", params, HTTP_AUTHORIZATION=f"OAuth {token}")

    assert bearer.status_code == 200 and bearer.json()["id"] == ada.facebook_id
    assert oauth.status_code == 200


@pytest.mark.parametrize("bad_proof", [None, "0" * 64])
def test_me_without_a_valid_appsecret_proof_is_code_100(client, ada, bad_proof):
    token = fb_token(client, ada)
    params = {"fields": "id", "access_token": token}
    if bad_proof:
        params["appsecret_proof"] = bad_proof

    response = client.get(f"{GRAPH}/me", params)

    assert response.status_code == 400
    error = error_of(response)
    assert error["message"] == "Invalid appsecret_proof provided in the API argument"
    assert (error["type"], error["code"]) == ("GraphMethodException", 100)


def test_me_with_an_unknown_token_is_190_467(client, db):
    response = me(client, "sbx-fb-at-nope")

    assert response.status_code == 400
    assert (error_of(response)["code"], error_of(response)["error_subcode"]) == (190, 467)


def test_me_with_an_expired_token_is_190_463(client, ada):
    token = fb_token(client, ada)
    SandboxToken.objects.filter(value=token).update(expires_at=timezone.now())

    assert error_of(me(client, token))["error_subcode"] == 463


def test_me_rejects_unknown_fields(client, ada):
    response = me(client, fb_token(client, ada), fields="id,birthday")

    assert response.status_code == 400
    assert "nonexisting field (birthday)" in error_of(response)["message"]


# --- DELETE /{uid}/permissions ------------------------------------------------------------


def test_deleting_permissions_revokes_the_persons_tokens(client, ada):
    token = fb_token(client, ada)
    other = fb_token(client, ada)

    response = client.delete(
        f"{GRAPH}/{ada.facebook_id}/permissions?access_token={token}&appsecret_proof={proof(token)}"
    )

    assert response.status_code == 200 and response.json() == {"success": True}
    assert error_of(me(client, token))["code"] == 190
    assert error_of(me(client, other))["code"] == 190


def test_deleting_permissions_with_a_form_body(client, ada):
    token = fb_token(client, ada)
    body = f"access_token={token}&appsecret_proof={proof(token)}"

    response = client.delete(
        f"{GRAPH}/{ada.facebook_id}/permissions", body, content_type="application/x-www-form-urlencoded"
    )

    assert response.json() == {"success": True}


def test_deleting_permissions_needs_the_appsecret_proof(client, ada):
    token = fb_token(client, ada)

    response = client.delete(f"{GRAPH}/{ada.facebook_id}/permissions?access_token={token}")

    assert response.status_code == 400 and error_of(response)["code"] == 100
    assert me(client, token).status_code == 200


# --- Data access expiration -----------------------------------------------------------------
# https://developers.facebook.com/docs/facebook-login/auth-vs-data/#data-access-expiration


def my_friends(client, token: str):
    return client.get(f"{GRAPH}/me/friends", {"access_token": token, "appsecret_proof": proof(token)})


def expire_data_access(client, person) -> None:
    page = client.post(f"/sandbox/people/{person.pk}/facebook/expire-data-access/", follow=True)
    assert "data access of socialsite for" in page.content.decode()


def test_expired_data_access_answers_190_493_on_data_calls_while_the_token_stays_valid(client, ada):
    token = fb_token(client, ada)
    assert my_friends(client, token).status_code == 200

    expire_data_access(client, ada)

    refused = my_friends(client, token)
    assert refused.status_code == 400
    assert (error_of(refused)["code"], error_of(refused)["error_subcode"]) == (190, 493)
    assert me(client, token, fields="id").json()["id"] == ada.facebook_id  # still signs them in
    debug = client.get(
        f"{GRAPH}/debug_token",
        {"input_token": token, "access_token": f"{settings.FACEBOOK_APP_ID}|{settings.FACEBOOK_APP_SECRET}"},
    ).json()["data"]
    assert debug["is_valid"] is True and debug["data_access_expires_at"] <= timezone.now().timestamp()


def test_a_plain_login_leaves_data_access_expired_but_reauthorize_restores_it(client, ada):
    fb_token(client, ada)
    expire_data_access(client, ada)

    plain = fb_token(client, ada)
    assert error_of(my_friends(client, plain))["error_subcode"] == 493

    page = client.get(fb_dialog_url(auth_type="reauthorize"))
    assert "auth_type=reauthorize" in page.content.decode()
    approved = client.post(
        fb_dialog_url(auth_type="reauthorize"), {"person": ada.pk, "scope": ["email", "user_friends"]}
    )
    token = fb_token_request(client, query(approved["Location"])["code"]).json()["access_token"]
    assert my_friends(client, token).status_code == 200
