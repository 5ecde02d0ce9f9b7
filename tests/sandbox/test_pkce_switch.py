"""The sandbox Google's PKCE-required switch (RFC 7636: https://www.rfc-editor.org/rfc/rfc7636).

Off (Google's default for web clients), a code without a challenge is fine. On, the authorize
endpoint answers ``invalid_request`` without an S256 ``code_challenge`` (§4.4.1), and the token
endpoint answers ``invalid_grant`` without the matching ``code_verifier`` (§4.6).
"""

from __future__ import annotations

import pytest

from sandbox import switches
from sandbox.models import SandboxAuthCode
from tests.sandbox.flows import G_REDIRECT, GoogleAuth, g_code, g_exchange, g_token_request, query

pytestmark = pytest.mark.django_db


@pytest.fixture
def pkce_required(db):
    switches.turn_on("google", "require_pkce")
    yield
    switches.turn_off("google", "require_pkce")


def _without_challenge(auth: GoogleAuth, **extra: str) -> str:
    # The authorize URL as a client that does not do PKCE builds it.
    return auth.authorize_url(code_challenge="", code_challenge_method="", **extra)


@pytest.mark.parametrize(
    "pkce",
    [
        pytest.param({"code_challenge": "", "code_challenge_method": ""}, id="no-challenge"),
        pytest.param({"code_challenge_method": "plain"}, id="plain"),
    ],
)
def test_with_pkce_required_an_authorize_without_an_s256_challenge_is_refused(
    client, people, pkce_required, pkce
):
    auth = GoogleAuth.new()
    url = auth.authorize_url(**pkce)

    shown = client.get(url)
    approved = client.post(url, {"person": people[0].pk})

    for response in (shown, approved):
        assert response.status_code == 302
        assert response["Location"].startswith(G_REDIRECT + "?")
        params = query(response["Location"])
        assert params["error"] == "invalid_request"
        assert params["state"] == auth.state
        assert "code" not in params
    assert not SandboxAuthCode.objects.exists()


def test_with_pkce_required_a_token_request_without_the_verifier_is_invalid_grant(client, ada, pkce_required):
    auth = GoogleAuth.new()
    code = g_code(client, ada, auth)

    response = g_token_request(
        client, {"grant_type": "authorization_code", "code": code, "redirect_uri": G_REDIRECT}
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_with_pkce_required_a_wrong_verifier_is_invalid_grant_and_the_right_one_works(
    client, ada, pkce_required
):
    auth = GoogleAuth.new()
    wrong = g_exchange(client, g_code(client, ada, auth), GoogleAuth.new())
    right = g_exchange(client, g_code(client, ada, auth), auth)

    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    assert right.status_code == 200 and right.json()["access_token"]


def test_a_code_issued_without_pkce_is_refused_once_pkce_is_required(client, ada):
    auth = GoogleAuth.new()
    response = client.post(_without_challenge(auth), {"person": ada.pk, "scope": []})
    code = query(response["Location"])["code"]
    switches.turn_on("google", "require_pkce")

    redeemed = g_token_request(
        client, {"grant_type": "authorization_code", "code": code, "redirect_uri": G_REDIRECT}
    )

    assert redeemed.status_code == 400 and redeemed.json()["error"] == "invalid_grant"


def test_switched_off_google_accepts_a_client_without_pkce(client, ada):
    # Google does not require PKCE of a confidential web client; the sandbox's default agrees.
    auth = GoogleAuth.new()
    response = client.post(_without_challenge(auth), {"person": ada.pk, "scope": []})
    code = query(response["Location"])["code"]

    redeemed = g_token_request(
        client, {"grant_type": "authorization_code", "code": code, "redirect_uri": G_REDIRECT}
    )

    assert redeemed.status_code == 200


def test_the_switch_is_shown_and_turned_on_and_off_on_the_sandbox_page(client, people):
    page = client.get("/sandbox/").content.decode()
    assert "Require PKCE (S256)" in page and "Turn on" in page

    client.post("/sandbox/switches/google/require_pkce/", {"on": "1"})
    assert switches.is_on("google", "require_pkce")
    assert "Turn off" in client.get("/sandbox/").content.decode()

    client.post("/sandbox/switches/google/require_pkce/", {"on": "0"})
    assert not switches.is_on("google", "require_pkce")
    assert client.post("/sandbox/switches/google/no_such_switch/", {"on": "1"}).status_code == 404
