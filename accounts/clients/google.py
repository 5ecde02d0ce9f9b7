"""Google's OAuth token endpoints: refresh and revocation, found through discovery.

https://developers.google.com/identity/protocols/oauth2/web-server#offline
https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke
"""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache
from django.views.decorators.debug import sensitive_variables

from accounts.clients.base import ProviderClient
from accounts.clients.errors import ProviderAuthError, ProviderError, ProviderUnavailable

DISCOVERY_CACHE_SECONDS = 3600


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

    @sensitive_variables("refresh_token")
    def refresh(self, refresh_token: str) -> dict[str, Any]:
        """A new access token; the answer may carry a rotated ``refresh_token``."""
        body = self._request(
            "POST",
            self.discovery()["token_endpoint"],
            role="refresh",
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=(settings.GOOGLE_CLIENT_ID, settings.GOOGLE_CLIENT_SECRET),
        )
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise ProviderUnavailable("google refresh: answer without access_token", provider="google")
        return body

    @sensitive_variables("token")
    def revoke(self, token: str) -> None:
        """Revoking either token revokes the whole grant."""
        endpoint = self.discovery().get("revocation_endpoint")
        if not endpoint:
            raise ProviderUnavailable("google discovery: no revocation_endpoint", provider="google")
        self._request("POST", endpoint, role="revoke", data={"token": token})
