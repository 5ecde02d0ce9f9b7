"""The sandbox's live answers, over HTTP, have the documented shape.

A relying party walks each flow against the live server (consent pages included), and
every answer is compared with its contract fixture: the documented keys present, the same
JSON types, nothing the documentation does not have. A sandbox that drifts from Meta's or
Google's pages fails here, whatever our clients happen to accept.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.conf import settings
from django.utils import timezone

from providers.facebook.client import appsecret_proof
from sandbox import faults
from sandbox.models import SandboxPerson, SandboxToken
from tests.contracts import load, shape_problems
from tests.login_fixtures import Browser

FB_VERSION = "v24.0"
CONTACTS = "https://www.googleapis.com/auth/contacts.readonly"


def assert_documented(name: str, response: requests.Response) -> None:
    contract = load(name)
    assert response.status_code == contract.status, response.text[:300]
    problems = shape_problems(contract, response.json())
    assert not problems, f"{name} departs from {contract.source}: {problems}"


def location_query(response: requests.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text[:300]
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


@pytest.fixture
def relying_party(sandbox) -> Browser:
    """A relying party's browser: consents on the sandbox's pages, reads the redirect itself."""
    return Browser(base=sandbox, session=requests.Session())


# --- Facebook ---------------------------------------------------------------------------


def graph(base: str, path: str) -> str:
    return f"{base}/sandbox/graph/{FB_VERSION}/{path}"


def facebook_code(browser: Browser, person: SandboxPerson, scopes=("email", "user_friends")) -> str:
    query = {
        "client_id": settings.FACEBOOK_APP_ID,
        "redirect_uri": f"{browser.base}/complete/facebook/",
        "state": secrets.token_urlsafe(8),
        "scope": ",".join(scopes),
        "return_scopes": "true",
    }
    page = browser.get(f"/sandbox/facebook/{FB_VERSION}/dialog/oauth?{urlencode(query)}")
    answer = browser.post_form(
        page, page.url, {"person": str(person.pk), "scope": list(scopes)}, allow_redirects=False
    )
    return location_query(answer)["code"]


def facebook_token_response(browser: Browser, person: SandboxPerson) -> requests.Response:
    code = facebook_code(browser, person)
    return requests.get(
        graph(browser.base, "oauth/access_token"),
        params={
            "client_id": settings.FACEBOOK_APP_ID,
            "redirect_uri": f"{browser.base}/complete/facebook/",
            "client_secret": settings.FACEBOOK_APP_SECRET,
            "code": code,
        },
        timeout=10,
    )


def graph_get(base: str, path: str, token: str, **params: str) -> requests.Response:
    params["appsecret_proof"] = appsecret_proof(token, settings.FACEBOOK_APP_SECRET)
    return requests.get(
        graph(base, path), params=params, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def test_facebook_code_exchange(relying_party, ada):
    assert_documented("facebook/token", facebook_token_response(relying_party, ada))


def test_facebook_long_lived_exchange(relying_party, ada):
    short = facebook_token_response(relying_party, ada).json()["access_token"]

    answer = requests.get(
        graph(relying_party.base, "oauth/access_token"),
        params={
            "grant_type": "fb_exchange_token",
            "client_id": settings.FACEBOOK_APP_ID,
            "client_secret": settings.FACEBOOK_APP_SECRET,
            "fb_exchange_token": short,
        },
        timeout=10,
    )

    assert_documented("facebook/token", answer)


def test_facebook_expired_token_error(relying_party, ada):
    token = facebook_token_response(relying_party, ada).json()["access_token"]
    SandboxToken.objects.filter(value=token).update(expires_at=timezone.now() - timedelta(minutes=1))

    answer = graph_get(relying_party.base, "me", token, fields="id,name")

    assert_documented("facebook/error_190_463", answer)
    assert answer.json()["error"]["error_subcode"] == 463


def test_facebook_friends(relying_party, new_browser, ada, grace):
    facebook_token_response(new_browser(), grace)  # Grace uses the app, so Ada sees her
    token = facebook_token_response(relying_party, ada).json()["access_token"]

    answer = graph_get(relying_party.base, "me/friends", token, fields="id,name,picture", limit="25")

    assert_documented("facebook/me_friends", answer)
    assert answer.json()["data"], "a friend who uses the app is listed, so the element shape is checked"


def test_facebook_debug_token(relying_party, ada):
    token = facebook_token_response(relying_party, ada).json()["access_token"]

    answer = requests.get(
        f"{relying_party.base}/sandbox/graph/debug_token",
        params={
            "input_token": token,
            "access_token": f"{settings.FACEBOOK_APP_ID}|{settings.FACEBOOK_APP_SECRET}",
        },
        timeout=10,
    )

    assert_documented("facebook/debug_token", answer)


# --- Google -----------------------------------------------------------------------------


def google_url(base: str, path: str) -> str:
    return f"{base}/sandbox/google/{path}"


def google_tokens(browser: Browser, person: SandboxPerson, *, contacts: bool = True) -> requests.Response:
    """Authorization code with PKCE, redeemed with client_secret_post."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect_uri = f"{browser.base}/complete/google/"
    query = {
        "response_type": "code",
        "client_id": settings.GOOGLE_CLIENT_ID,
        "redirect_uri": redirect_uri,
        "scope": f"openid email profile {CONTACTS}",
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "access_type": "offline",
    }
    page = browser.get(f"/sandbox/google/o/oauth2/v2/auth?{urlencode(query)}")
    ticked = [CONTACTS] if contacts else []
    answer = browser.post_form(
        page, page.url, {"person": str(person.pk), "scope": ticked}, allow_redirects=False
    )
    code = location_query(answer)["code"]
    return requests.post(
        google_url(browser.base, "token"),
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "client_id": settings.GOOGLE_CLIENT_ID,
            "client_secret": settings.GOOGLE_CLIENT_SECRET,
        },
        timeout=10,
    )


def connections(base: str, token: str, **params: str) -> requests.Response:
    query = {"personFields": "metadata,names,emailAddresses,photos", "pageSize": "100", **params}
    return requests.get(
        f"{base}/sandbox/people/v1/people/me/connections",
        params=query,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def test_google_discovery(relying_party):
    answer = requests.get(google_url(relying_party.base, ".well-known/openid-configuration"), timeout=10)

    assert_documented("google/discovery", answer)


def test_google_code_exchange(relying_party, ada):
    answer = google_tokens(relying_party, ada)

    assert_documented("google/token", answer)
    assert {"refresh_token", "id_token"} <= answer.json().keys()  # offline, openid: both came


def test_google_refresh(relying_party, ada):
    refresh_token = google_tokens(relying_party, ada).json()["refresh_token"]

    answer = requests.post(
        google_url(relying_party.base, "token"),
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(settings.GOOGLE_CLIENT_ID, settings.GOOGLE_CLIENT_SECRET),
        timeout=10,
    )

    assert_documented("google/refresh", answer)


def test_people_connections(relying_party, ada):
    token = google_tokens(relying_party, ada).json()["access_token"]

    answer = connections(relying_party.base, token, requestSyncToken="true")

    assert_documented("google/connections_list", answer)
    assert answer.json().get("connections"), "Ada has contacts, so the Person shape is checked"




def test_people_missing_scope_error(relying_party, ada):
    token = google_tokens(relying_party, ada, contacts=False).json()["access_token"]

    assert_documented("google/error_403_scope_insufficient", connections(relying_party.base, token))


def test_people_quota_error(relying_party, ada):
    token = google_tokens(relying_party, ada).json()["access_token"]
    faults.arm("google", "connections", "rate_limited")

    assert_documented("google/error_429", connections(relying_party.base, token))


def test_people_expired_sync_token_error(relying_party, ada):
    token = google_tokens(relying_party, ada).json()["access_token"]
    faults.arm("google", "connections", "expired_sync_token")

    answer = connections(relying_party.base, token, syncToken="old")

    assert answer.status_code in (400, 410)  # Google's reference page and its guide disagree
    assert_documented("google/error_400_expired_sync_token", answer)
