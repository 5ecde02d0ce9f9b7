"""The Google token client's edge cases against a faked provider (``responses``).

The real flows (sign-in, refresh with the sandbox's id_tokens and their faults, key
rotation) run over HTTP in ``test_oidc_strictness``; here each odd answer is one row.
Rules: OpenID Connect Core 1.0 §12.2 (a refreshed id_token keeps iss, sub, aud) and §3.1.3.7
(azp when there are several audiences), https://openid.net/specs/openid-connect-core-1_0.html;
Discovery 1.0 §4.3 (issuer identical to the URL it was fetched from).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import responses
from django.core.cache import cache

from providers.google.client import GoogleOAuthClient
from providers.http.errors import ProviderAuthError, ProviderUnavailable
from sandbox import crypto

ISSUER = "https://issuer.test"
TOKEN_URL = f"{ISSUER}/token"
JWKS_URL = f"{ISSUER}/certs"
CLIENT_ID = "client-123.apps.example"
SUB = "110169484474386276334"
PEM = crypto.generate_private_pem()
KID = crypto.jwk_thumbprint(crypto.public_jwk(PEM))


@pytest.fixture(autouse=True)
def provider(settings):
    settings.GOOGLE_OIDC_ISSUER = ISSUER
    settings.GOOGLE_CLIENT_ID = CLIENT_ID
    settings.GOOGLE_CLIENT_SECRET = "secret"
    keys = [f"oidc-discovery:{ISSUER}", f"oidc-jwks:{JWKS_URL}"]
    cache.delete_many(keys)  # not cache.clear(): with REDIS_URL the cache shares Redis
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(
            f"{ISSUER}/.well-known/openid-configuration",
            json={"issuer": ISSUER, "token_endpoint": TOKEN_URL, "jwks_uri": JWKS_URL},
        )
        mock.get(JWKS_URL, json={"keys": [{**crypto.public_jwk(PEM), "alg": "RS256", "kid": KID}]})
        yield mock
    cache.delete_many(keys)


def id_token(**changes: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": SUB, "aud": CLIENT_ID, "iat": now, "exp": now + 3600, **changes}
    return crypto.sign_rs256({k: v for k, v in claims.items() if v is not None}, private_pem=PEM, kid=KID)


def refresh_answering(provider, body: dict[str, Any]) -> dict[str, Any]:
    provider.post(TOKEN_URL, json={"access_token": "sbx-g-at-new", "expires_in": 3599, **body})
    return GoogleOAuthClient().refresh("sbx-g-rt-old", subject=SUB)


def test_an_answer_without_id_token_is_accepted(provider):
    assert refresh_answering(provider, {})["access_token"] == "sbx-g-at-new"


def test_an_answer_with_a_matching_id_token_is_accepted(provider):
    assert (
        refresh_answering(provider, {"id_token": id_token(azp=CLIENT_ID)})["access_token"] == "sbx-g-at-new"
    )


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda: id_token(sub="someone-else"), id="other sub"),
        pytest.param(lambda: id_token(sub=None), id="no sub"),
        pytest.param(lambda: id_token(aud=[CLIENT_ID, "other-client"]), id="several audiences, no azp"),
        pytest.param(lambda: id_token(azp="other-client"), id="azp of another client"),
        pytest.param(lambda: id_token(iss="https://other.test"), id="other iss"),
        pytest.param(lambda: id_token(iat=None), id="no iat"),
        pytest.param(lambda: "not-a-jwt", id="not a JWT"),
        pytest.param(lambda: 42, id="not a string"),
    ],
)
def test_a_mismatching_id_token_means_the_grant_is_lost(provider, token):
    with pytest.raises(ProviderAuthError):
        refresh_answering(provider, {"id_token": token()})


def test_an_unknown_kid_is_looked_up_once_more_then_refused(provider):
    other = crypto.generate_private_pem()
    token = crypto.sign_rs256(
        {"iss": ISSUER, "sub": SUB, "aud": CLIENT_ID, "iat": int(time.time()), "exp": int(time.time()) + 60},
        private_pem=other,
        kid="rotated-away",
    )

    with pytest.raises(ProviderAuthError):
        refresh_answering(provider, {"id_token": token})

    assert [call.request.url for call in provider.calls].count(JWKS_URL) == 2


def test_discovery_naming_another_issuer_is_an_operator_problem_not_a_lost_grant(provider, caplog):
    provider.replace(
        responses.GET,
        f"{ISSUER}/.well-known/openid-configuration",
        json={"issuer": ISSUER + "/", "token_endpoint": TOKEN_URL},
    )

    with pytest.raises(ProviderUnavailable):
        GoogleOAuthClient().refresh("sbx-g-rt-old", subject=SUB)

    assert "GOOGLE_OIDC_ISSUER" in caplog.text
    assert cache.get(f"oidc-discovery:{ISSUER}") is None  # refused documents are not kept
