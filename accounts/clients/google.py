"""Google's OAuth token endpoints: refresh and revocation, found through discovery.

https://developers.google.com/identity/protocols/oauth2/web-server#offline
https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

import requests
from django.conf import settings
from django.core.cache import cache
from django.views.decorators.debug import sensitive_variables

from accounts.clients.base import ProviderClient
from accounts.clients.errors import ProviderAuthError, ProviderError, ProviderUnavailable

DISCOVERY_CACHE_SECONDS = 3600
GOOGLE_ISSUERS = ("https://accounts.google.com", "accounts.google.com")
BASIC, POST = "client_secret_basic", "client_secret_post"


def token_endpoint_auth_method(discovery: dict[str, Any]) -> str:
    """``GOOGLE_TOKEN_ENDPOINT_AUTH_METHOD``, else what discovery offers (basic when listed or absent).

    The same rule social-core's OpenID Connect backend applies at sign-in, so sign-in, refresh
    and revocation authenticate alike. https://openid.net/specs/openid-connect-discovery-1_0.html
    """
    if settings.GOOGLE_TOKEN_ENDPOINT_AUTH_METHOD:
        return settings.GOOGLE_TOKEN_ENDPOINT_AUTH_METHOD
    supported = discovery.get("token_endpoint_auth_methods_supported") or [BASIC]
    return BASIC if BASIC in supported else POST


class GoogleOAuthClient(ProviderClient):
    provider = "google"

    def classify_error(self, response: requests.Response, body: Any) -> ProviderError | None:
        # OAuth endpoints answer {"error": "<code>"}; Google's API errors nest an object there.
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, str):
            return None
        if error in {"invalid_grant", "unauthorized_client"}:
            return ProviderAuthError(
                f"google: {error}", provider="google", status=response.status_code, detail=error
            )
        if error == "invalid_client":
            # Our own credentials are wrong: an operator problem, not the person's grant.
            return ProviderUnavailable(
                "google: invalid_client", provider="google", status=response.status_code
            )
        return None

    def discovery(self) -> dict[str, Any]:
        key = f"oidc-discovery:{settings.GOOGLE_OIDC_ISSUER}"
        document = cache.get(key)
        if document is None:
            document = self._request(
                "GET", f"{settings.GOOGLE_OIDC_ISSUER}/.well-known/openid-configuration", role="discovery"
            )
            if not isinstance(document, dict) or "token_endpoint" not in document:
                raise ProviderUnavailable("google discovery: no token_endpoint", provider="google")
            cache.set(key, document, DISCOVERY_CACHE_SECONDS)
        return document

    @sensitive_variables("data", "credentials")
    def _client_authentication(self, method: str, data: dict[str, str]) -> dict[str, Any]:
        """``_request`` keyword arguments that send ``data`` authenticated by ``method``."""
        if method == POST:
            credentials = {
                "client_id": settings.GOOGLE_CLIENT_ID,
                "client_secret": settings.GOOGLE_CLIENT_SECRET,
            }
            return {"data": {**data, **credentials}}
        # RFC 6749 §2.3.1: each half is form-urlencoded before the two are joined.
        return {
            "data": data,
            "auth": (quote_plus(settings.GOOGLE_CLIENT_ID), quote_plus(settings.GOOGLE_CLIENT_SECRET)),
        }

    @sensitive_variables("refresh_token")
    def refresh(self, refresh_token: str) -> dict[str, Any]:
        """A new access token; the answer may carry a rotated ``refresh_token``."""
        discovery = self.discovery()
        body = self._request(
            "POST",
            discovery["token_endpoint"],
            role="refresh",
            **self._client_authentication(
                token_endpoint_auth_method(discovery),
                {"grant_type": "refresh_token", "refresh_token": refresh_token},
            ),
        )
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise ProviderUnavailable("google refresh: answer without access_token", provider="google")
        return body

    @sensitive_variables("token")
    def revoke(self, token: str) -> None:
        """Revoking either token revokes the whole grant.

        RFC 7009 §2.1: a confidential client authenticates at the revocation endpoint as it
        does at the token endpoint, and standards-compliant issuers require it. Google's own
        page documents the token alone, so Google's issuer gets just that.
        https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke
        """
        discovery = self.discovery()
        endpoint = discovery.get("revocation_endpoint")
        if not endpoint:
            raise ProviderUnavailable("google discovery: no revocation_endpoint", provider="google")
        data = {"token": token}
        if settings.GOOGLE_OIDC_ISSUER in GOOGLE_ISSUERS:
            self._request("POST", endpoint, role="revoke", data=data)
            return
        method = token_endpoint_auth_method(discovery)
        self._request("POST", endpoint, role="revoke", **self._client_authentication(method, data))
