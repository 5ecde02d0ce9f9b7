"""Fault switches: each armed misbehaviour is what the next call of that endpoint sees."""

from __future__ import annotations

import time
from collections.abc import Callable

import jwt
import pytest
from django.conf import settings
from django.test import Client

from sandbox import faults
from sandbox.models import SandboxFault, SandboxPerson
from tests.sandbox.flows import (
    FB_VERSION,
    GoogleAuth,
    fb_code,
    fb_token,
    fb_token_request,
    g_code,
    g_exchange,
    g_token_request,
    g_tokens,
    proof,
    verify,
)

pytestmark = pytest.mark.django_db

GRAPH = f"/sandbox/graph/{FB_VERSION}"


# One real call per endpoint, set up so that without a fault it succeeds.
def _fb_token(client: Client, person: SandboxPerson):
    code = fb_code(client, person)
    return lambda: fb_token_request(client, code)


def _fb_exchange(client: Client, person: SandboxPerson):
    token = fb_token(client, person)
    params = {
        "grant_type": "fb_exchange_token",
        "client_id": settings.FACEBOOK_APP_ID,
        "client_secret": settings.FACEBOOK_APP_SECRET,
        "fb_exchange_token": token,
    }
    return lambda: client.get(f"{GRAPH}/oauth/access_token", params)


def _fb_me(client: Client, person: SandboxPerson):
    token = fb_token(client, person)
    return lambda: client.get(f"{GRAPH}/me", {"access_token": token, "appsecret_proof": proof(token)})


def _fb_revoke(client: Client, person: SandboxPerson):
    token = fb_token(client, person)
    url = f"{GRAPH}/me/permissions?access_token={token}&appsecret_proof={proof(token)}"
    return lambda: client.delete(url)


def _g_token(client: Client, person: SandboxPerson):
    auth = GoogleAuth.new()
    code = g_code(client, person, auth)
    return lambda: g_exchange(client, code, auth)


def _g_userinfo(client: Client, person: SandboxPerson):
    body, _ = g_tokens(client, person)
    return lambda: client.get("/sandbox/google/userinfo", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")


def _g_revoke(client: Client, person: SandboxPerson):
    body, _ = g_tokens(client, person)
    return lambda: client.post("/sandbox/google/revoke", {"token": body["access_token"]})


def _fb_friends(client: Client, person: SandboxPerson):
    token = fb_token(client, person)
    return lambda: client.get(
        f"{GRAPH}/me/friends", HTTP_AUTHORIZATION=f"Bearer {token}", data={"appsecret_proof": proof(token)}
    )


def _g_connections(client: Client, person: SandboxPerson):
    body, _ = g_tokens(client, person)
    return lambda: client.get(
        "/sandbox/people/v1/people/me/connections",
        {"personFields": "names,emailAddresses,photos"},
        HTTP_AUTHORIZATION=f"Bearer {body['access_token']}",
    )


CALLS: dict[tuple[str, str], Callable[[Client, SandboxPerson], Callable]] = {
    ("facebook", "token"): _fb_token,
    ("facebook", "exchange"): _fb_exchange,
    ("facebook", "me"): _fb_me,
    ("facebook", "revoke"): _fb_revoke,
    ("google", "discovery"): lambda c, p: lambda: c.get("/sandbox/google/.well-known/openid-configuration"),
    ("google", "jwks"): lambda c, p: lambda: c.get("/sandbox/google/certs"),
    ("google", "token"): _g_token,
    ("google", "userinfo"): _g_userinfo,
    ("google", "revoke"): _g_revoke,
    ("facebook", "friends"): _fb_friends,
    ("google", "connections"): _g_connections,
}
ENDPOINTS = list(CALLS)


# Providers whose emulator faults are exercised by their package's own tests, in their own
# wire shapes (tests/providers/<name>/test_sandbox_faults.py).
TESTED_IN_THEIR_PACKAGE = {"github"}


def test_every_endpoint_the_faults_module_knows_is_exercised_here():
    known = {(p, e) for p, endpoints in faults.ENDPOINTS.items() for e in endpoints}
    assert set(ENDPOINTS) == {(p, e) for p, e in known if p not in TESTED_IN_THEIR_PACKAGE}


@pytest.mark.parametrize(("provider", "endpoint"), ENDPOINTS)
def test_http_500_then_back_to_normal(client, ada, arm, provider, endpoint):
    call = CALLS[(provider, endpoint)](client, ada)
    arm(provider, endpoint, "http_500")

    broken = call()

    assert broken.status_code == 500
    body = broken.json()
    if provider == "facebook":
        assert body["error"]["type"] == "OAuthException" and body["error"]["is_transient"] is True
    else:
        assert body["error"]["status"] == "INTERNAL"
    assert call().status_code == 200  # one use, consumed


@pytest.mark.parametrize(("provider", "endpoint"), ENDPOINTS)
def test_malformed_json_is_a_200_that_does_not_parse(client, ada, arm, provider, endpoint):
    call = CALLS[(provider, endpoint)](client, ada)
    arm(provider, endpoint, "malformed_json")

    response = call()

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError):
        response.json()


@pytest.mark.parametrize(("provider", "endpoint"), ENDPOINTS)
def test_rate_limited(client, ada, arm, provider, endpoint):
    call = CALLS[(provider, endpoint)](client, ada)
    arm(provider, endpoint, "rate_limited")

    response = call()

    if provider == "facebook":
        assert response.status_code == 400
        assert response.json()["error"]["code"] == 4
        assert response.json()["error"]["message"] == "(#4) Application request limit reached"
    else:
        assert response.status_code == 429
        assert response["Retry-After"] == "1"


@pytest.mark.parametrize(("provider", "endpoint"), ENDPOINTS)
def test_error_body(client, ada, arm, provider, endpoint):
    call = CALLS[(provider, endpoint)](client, ada)
    arm(provider, endpoint, "error_body")

    response = call()
    body = response.json()

    if provider == "facebook" and endpoint in ("token", "exchange"):
        assert response.status_code == 400
        assert (body["error"]["code"], body["error"]["error_subcode"]) == (100, 36009)
    elif provider == "facebook":
        assert response.status_code == 400 and body["error"]["code"] == 190
    elif endpoint == "userinfo":
        assert response.status_code == 401 and body["error"] == "invalid_token"
    elif endpoint == "revoke":
        assert response.status_code == 400 and body["error"] == "invalid_token"
    elif endpoint == "connections":
        assert response.status_code == 401 and body["error"]["status"] == "UNAUTHENTICATED"
    else:
        assert response.status_code == 400 and body["error"] == "invalid_grant"


@pytest.mark.parametrize(("provider", "endpoint"), ENDPOINTS)
def test_slow_waits_then_answers_normally(client, ada, arm, settings, provider, endpoint):
    settings.SANDBOX_SLOW_SECONDS = 0.3
    call = CALLS[(provider, endpoint)](client, ada)
    arm(provider, endpoint, "slow")

    started = time.monotonic()
    response = call()

    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200


# --- id_token modes ----------------------------------------------------------------------


def id_token_with(client, ada, arm, mode: str) -> tuple[str, GoogleAuth]:
    auth = GoogleAuth.new()
    code = g_code(client, ada, auth)
    arm("google", "token", mode)
    response = g_exchange(client, code, auth)
    assert response.status_code == 200
    return response.json()["id_token"], auth


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("id_token_wrong_aud", jwt.InvalidAudienceError),
        ("id_token_wrong_iss", jwt.InvalidIssuerError),
        ("id_token_expired", jwt.ExpiredSignatureError),
        ("id_token_bad_signature", jwt.InvalidSignatureError),
    ],
)
def test_id_token_faults_fail_verification(client, ada, arm, mode, error):
    id_token, _ = id_token_with(client, ada, arm, mode)

    with pytest.raises(error):
        verify(client, id_token)


def test_bad_signature_keeps_the_published_kid(client, ada, arm):
    id_token, _ = id_token_with(client, ada, arm, "id_token_bad_signature")

    published = {key["kid"] for key in client.get("/sandbox/google/certs").json()["keys"]}
    assert jwt.get_unverified_header(id_token)["kid"] in published


def test_expired_id_token_has_iat_and_exp_in_the_past(client, ada, arm):
    id_token, _ = id_token_with(client, ada, arm, "id_token_expired")

    claims = jwt.decode(id_token, options={"verify_signature": False})
    assert claims["exp"] < time.time() and claims["iat"] < claims["exp"]


def test_alg_none_is_unsigned(client, ada, arm):
    id_token, _ = id_token_with(client, ada, arm, "id_token_alg_none")

    assert jwt.get_unverified_header(id_token)["alg"] == "none"
    assert id_token.endswith(".")
    with pytest.raises(jwt.InvalidAlgorithmError):
        verify(client, id_token)


def test_wrong_nonce_verifies_but_carries_another_nonce(client, ada, arm):
    id_token, auth = id_token_with(client, ada, arm, "id_token_wrong_nonce")

    assert verify(client, id_token)["nonce"] != auth.nonce


def test_other_sub_is_signed_properly_but_names_another_person(client, ada, arm):
    id_token, _ = id_token_with(client, ada, arm, "id_token_other_sub")

    claims = verify(client, id_token)
    assert claims["sub"] != ada.google_sub
    assert SandboxPerson.objects.filter(google_sub=claims["sub"]).exists()


def test_id_token_modes_bend_the_refresh_answer_too(client, ada, arm):
    body, _ = g_tokens(client, ada)
    arm("google", "token", "id_token_other_sub")

    refreshed = g_token_request(
        client, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    )

    assert refreshed.status_code == 200
    assert verify(client, refreshed.json()["id_token"])["sub"] != ada.google_sub


# --- Discovery and userinfo modes --------------------------------------------------------

DISCOVERY = "/sandbox/google/.well-known/openid-configuration"


def test_discovery_wrong_issuer_names_an_issuer_that_is_not_its_url(client, arm):
    arm("google", "discovery", "discovery_wrong_issuer")

    bent, normal = client.get(DISCOVERY).json(), client.get(DISCOVERY).json()

    assert bent["issuer"] != normal["issuer"] == "http://testserver/sandbox/google"
    assert bent["token_endpoint"] == normal["token_endpoint"]


def test_discovery_can_advertise_the_rfc9207_flag(client, arm):
    assert "authorization_response_iss_parameter_supported" not in client.get(DISCOVERY).json()
    arm("google", "discovery", "discovery_advertises_iss")

    assert client.get(DISCOVERY).json()["authorization_response_iss_parameter_supported"] is True


@pytest.mark.parametrize(
    ("mode", "check"),
    [
        ("userinfo_no_sub", lambda claims, ada: "sub" not in claims and claims["email"] == ada.email),
        ("userinfo_other_sub", lambda claims, ada: claims["sub"] not in ("", ada.google_sub)),
        ("userinfo_email_verified_string", lambda claims, ada: claims["email_verified"] == "true"),
    ],
)
def test_userinfo_modes(client, ada, arm, mode, check):
    call = _g_userinfo(client, ada)
    arm("google", "userinfo", mode)

    response = call()

    assert response.status_code == 200
    assert check(response.json(), ada)
    assert call().json()["sub"] == ada.google_sub  # one use, consumed


def test_every_mode_fits_its_column():
    # SQLite does not enforce max_length; PostgreSQL does (the second CI pass would fail).
    longest = max(faults.all_modes(), key=len)
    assert len(longest) <= SandboxFault._meta.get_field("mode").max_length, longest


# --- The faults API ----------------------------------------------------------------------


def test_take_consumes_one_use_at_a_time(arm):
    arm("google", "userinfo", "http_500", times=2)

    assert [faults.take("google", "userinfo") for _ in range(3)] == ["http_500", "http_500", None]
    assert faults.armed() == []


def test_faults_fire_in_the_order_they_were_armed(arm):
    arm("facebook", "me", "slow")
    arm("facebook", "me", "http_500")

    assert faults.take("facebook", "me") == "slow"
    assert faults.take("facebook", "me") == "http_500"
    assert faults.take("facebook", "token") is None


def test_clear_disarms_everything(arm):
    arm("facebook", "me", "http_500", times=5)
    arm("google", "jwks", "malformed_json")

    assert faults.clear() == 2
    assert faults.take("facebook", "me") is None


@pytest.mark.parametrize(
    ("provider", "endpoint", "mode"),
    [
        ("myspace", "token", "http_500"),
        ("facebook", "jwks", "http_500"),
        ("google", "token", "on_fire"),
        ("google", "userinfo", "id_token_expired"),
    ],
)
def test_arming_something_the_sandbox_cannot_do_is_refused(db, provider, endpoint, mode):
    with pytest.raises(faults.UnknownFault):
        faults.arm(provider, endpoint, mode)
