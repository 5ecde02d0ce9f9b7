"""Facebook Graph API: the client base for every Graph call, and the token calls.

Every call carries ``appsecret_proof`` and sends the token in the Authorization header.
Errors: https://developers.facebook.com/docs/graph-api/guides/error-handling
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import requests
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from providers.http.client import ProviderClient, _retry_after
from providers.http.errors import (
    ProviderAuthError,
    ProviderDataAccessExpired,
    ProviderError,
    ProviderPermissionError,
    ProviderRateLimited,
    ProviderUnavailable,
)


@sensitive_variables("access_token", "app_secret")
def appsecret_proof(access_token: str, app_secret: str) -> str:
    """Hex HMAC-SHA256 of the access token keyed with the app secret (Graph's proof of the caller)."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


def graph_url(path: str) -> str:
    return f"{settings.FACEBOOK_GRAPH_URL}/{settings.FACEBOOK_GRAPH_VERSION}/{path.lstrip('/')}"


THROTTLING_CODES = {4, 17, 32, 613}
TOKEN_INVALID_CODE = 190
# Data access expired: the person has not used the app for 90 days; the token may still be
# within its 60 days, but Graph shares no data until they re-authorize (auth_type=reauthorize).
# https://developers.facebook.com/docs/facebook-login/auth-vs-data/#data-access-expiration
# Subcode and message seen on the wire ("The access token is invalid since the user hasn't
# engaged the app in longer than 90 days."): field reports MrSwitch/hello.js#548,
# hybridauth/hybridauth#957.
DATA_ACCESS_EXPIRED_SUBCODE = 493


def classify_graph_error(response: requests.Response, body: Any) -> ProviderError:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        if response.status_code == 429:
            return ProviderRateLimited("graph: HTTP 429", provider="facebook", status=429)
        return ProviderUnavailable(
            f"graph: HTTP {response.status_code}", provider="facebook", status=response.status_code
        )
    code = error.get("code")
    subcode = error.get("error_subcode")
    detail = f"code={code} subcode={subcode}"
    status = response.status_code
    if code == TOKEN_INVALID_CODE and subcode == DATA_ACCESS_EXPIRED_SUBCODE:
        return ProviderDataAccessExpired(
            f"graph: data access expired ({detail})", provider="facebook", status=status, detail=detail
        )
    if code == TOKEN_INVALID_CODE:
        return ProviderAuthError(
            f"graph: token invalid ({detail})", provider="facebook", status=status, detail=detail
        )
    if code in THROTTLING_CODES:
        return ProviderRateLimited(
            f"graph: throttled ({detail})",
            retry_after=_retry_after(response),
            provider="facebook",
            status=status,
            detail=detail,
        )
    if code == 10 or (isinstance(code, int) and 200 <= code <= 299):
        return ProviderPermissionError(
            f"graph: permission missing ({detail})", provider="facebook", status=status, detail=detail
        )
    return ProviderUnavailable(f"graph: error ({detail})", provider="facebook", status=status, detail=detail)


class GraphClient(ProviderClient):
    """Base for Graph API calls made with a person's access token."""

    provider = "facebook"

    def classify_error(self, response: requests.Response, body: Any) -> ProviderError:
        return classify_graph_error(response, body)

    @sensitive_variables("access_token")
    def _graph(
        self, method: str, path: str, *, access_token: str, role: str, params: dict | None = None
    ) -> Any:
        query = dict(params or {})
        query["appsecret_proof"] = appsecret_proof(access_token, settings.FACEBOOK_APP_SECRET)
        return self._request(
            method,
            graph_url(path),
            role=role,
            params=query,
            headers={"Authorization": f"Bearer {access_token}"},
        )


class FacebookTokenClient(GraphClient):
    """The long-lived token exchange (once, at sign-in) and revocation."""

    @sensitive_variables("access_token")
    def exchange_for_long_lived(self, access_token: str) -> dict[str, Any]:
        """``{"access_token", "expires_in"}`` (about 60 days) for a valid *short-lived* token.

        Called once, at sign-in, with the token the login code was exchanged for. Never with
        a long-lived token: Graph does not extend one (the answer keeps its expiry); only the
        person signing in again gives a new one. An expired token cannot be exchanged.
        https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived
        """
        body = self._request(
            "GET",
            graph_url("oauth/access_token"),
            role="exchange",
            params={
                "grant_type": "fb_exchange_token",
                "client_id": settings.FACEBOOK_APP_ID,
                "client_secret": settings.FACEBOOK_APP_SECRET,
                "fb_exchange_token": access_token,
            },
        )
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise ProviderUnavailable("graph exchange: answer without access_token", provider="facebook")
        return body

    @sensitive_variables("access_token")
    def revoke(self, *, uid: str, access_token: str) -> None:
        """``DELETE /{uid}/permissions``: the person's whole grant to this app."""
        self._graph("DELETE", f"{uid}/permissions", access_token=access_token, role="revoke")
