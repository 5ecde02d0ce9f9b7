"""Helpers that walk the sandbox flows as a relying party would (Django test client)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from django.conf import settings
from django.test import Client

from providers.facebook.client import appsecret_proof
from sandbox.models import SandboxPerson

FB_VERSION = "v24.0"
FB_REDIRECT = "http://testserver/complete/facebook/"
G_REDIRECT = "http://testserver/complete/google/"
G_SCOPE = "openid email profile https://www.googleapis.com/auth/contacts.readonly"
ISSUER = "http://testserver/sandbox/google"


def query(location: str) -> dict[str, str]:
    """The redirect's query parameters, one value each."""
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query, keep_blank_values=True).items()}


# --- Facebook ---------------------------------------------------------------------------


def fb_dialog_url(*, scope: str = "email,user_friends", state: str = "st-1", **extra: str) -> str:
    params = {
        "client_id": settings.FACEBOOK_APP_ID,
        "redirect_uri": FB_REDIRECT,
        "state": state,
        "scope": scope,
        "return_scopes": "true",
        **extra,
    }
    return f"/sandbox/facebook/{FB_VERSION}/dialog/oauth?{urlencode(params)}"


def fb_approve(client: Client, person: SandboxPerson, *, ticked: tuple[str, ...] = ("email", "user_friends")):
    return client.post(fb_dialog_url(), {"person": person.pk, "scope": list(ticked)})


def fb_code(client: Client, person: SandboxPerson, **kwargs) -> str:
    return query(fb_approve(client, person, **kwargs)["Location"])["code"]


def fb_token_request(client: Client, code: str, **overrides: str):
    params = {
        "client_id": settings.FACEBOOK_APP_ID,
        "redirect_uri": FB_REDIRECT,
        "client_secret": settings.FACEBOOK_APP_SECRET,
        "code": code,
        **overrides,
    }
    return client.get(f"/sandbox/graph/{FB_VERSION}/oauth/access_token", params)


def fb_token(client: Client, person: SandboxPerson, **kwargs) -> str:
    return fb_token_request(client, fb_code(client, person, **kwargs)).json()["access_token"]


def proof(token: str) -> str:
    return appsecret_proof(token, settings.FACEBOOK_APP_SECRET)


# --- Google -----------------------------------------------------------------------------


@dataclass
class GoogleAuth:
    """One authorization request's secrets, as the relying party keeps them."""

    verifier: str
    nonce: str
    state: str

    @classmethod
    def new(cls) -> GoogleAuth:
        return cls(secrets.token_urlsafe(48), secrets.token_urlsafe(24), secrets.token_urlsafe(12))

    @property
    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def authorize_url(self, *, scope: str = G_SCOPE, **extra: str) -> str:
        params = {
            "response_type": "code",
            "client_id": settings.GOOGLE_CLIENT_ID,
            "redirect_uri": G_REDIRECT,
            "scope": scope,
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
            "access_type": "offline",
            **extra,
        }
        return f"/sandbox/google/o/oauth2/v2/auth?{urlencode(params)}"


def g_approve(client: Client, person: SandboxPerson, auth: GoogleAuth, *, ticked=None, **extra: str):
    ticked = ["https://www.googleapis.com/auth/contacts.readonly"] if ticked is None else ticked
    return client.post(auth.authorize_url(**extra), {"person": person.pk, "scope": ticked})


def g_code(client: Client, person: SandboxPerson, auth: GoogleAuth, **kwargs) -> str:
    return query(g_approve(client, person, auth, **kwargs)["Location"])["code"]


def g_token_request(client: Client, data: dict[str, str], *, basic: bool = False, secret: str | None = None):
    secret = settings.GOOGLE_CLIENT_SECRET if secret is None else secret
    if basic:
        credentials = base64.b64encode(f"{settings.GOOGLE_CLIENT_ID}:{secret}".encode()).decode()
        return client.post("/sandbox/google/token", data, HTTP_AUTHORIZATION=f"Basic {credentials}")
    body = {"client_id": settings.GOOGLE_CLIENT_ID, "client_secret": secret, **data}
    return client.post("/sandbox/google/token", body)


def g_exchange(client: Client, code: str, auth: GoogleAuth, **kwargs):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": G_REDIRECT,
        "code_verifier": auth.verifier,
    }
    return g_token_request(client, data, **kwargs)


def g_tokens(client: Client, person: SandboxPerson, **extra: str) -> tuple[dict, GoogleAuth]:
    auth = GoogleAuth.new()
    response = g_exchange(client, g_code(client, person, auth, **extra), auth)
    assert response.status_code == 200, response.content
    return response.json(), auth


def verify(client: Client, id_token: str) -> dict:
    """Verify an id_token the way a relying party does: JWKS by kid, RS256, aud and iss."""
    kid = jwt.get_unverified_header(id_token)["kid"]
    keys = client.get("/sandbox/google/certs").json()["keys"]
    jwk = next(key for key in keys if key["kid"] == kid)
    return jwt.decode(
        id_token,
        jwt.PyJWK(jwk).key,
        algorithms=["RS256"],
        audience=settings.GOOGLE_CLIENT_ID,
        issuer=ISSUER,
    )
