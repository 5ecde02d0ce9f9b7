"""Google sign-in as standard OpenID Connect, configured by issuer.

Discovery from ``GOOGLE_OIDC_ISSUER``; authorization code flow with PKCE (S256), state and
nonce; the id_token is validated in full by social-core's ``OpenIdConnectAuth`` (signature
against the JWKS by ``kid``, ``iss``, ``aud``, ``azp``, ``exp``, ``iat``, ``nonce``,
``at_hash``). Nothing here is Google-specific except the accepted issuer spelling, so the
backend works unchanged against any standards-compliant OpenID provider.
Reference: https://developers.google.com/identity/openid-connect/openid-connect
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from social_core.backends.open_id_connect import OpenIdConnectAuth
from social_core.exceptions import AuthResponseError

from accounts.backends.base import SocialsiteBackendMixin
from accounts.scopes import canonical_scopes

CONTACTS_SCOPE = "https://www.googleapis.com/auth/contacts.readonly"
# Google's id_tokens carry either spelling of its issuer.
GOOGLE_ISSUERS = ("https://accounts.google.com", "accounts.google.com")


class GoogleBackend(SocialsiteBackendMixin, OpenIdConnectAuth):
    name = "google"
    DEFAULT_SCOPE = ["openid", "email", "profile", CONTACTS_SCOPE]
    DEFAULT_USE_PKCE = True
    PKCE_DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    EXTRA_DATA = [("expires_in", "expires_in"), ("scope", "scope"), ("email_verified", "email_verified")]

    def oidc_endpoint(self) -> str:
        return settings.GOOGLE_OIDC_ISSUER

    def setting(self, name: str, default: Any = None) -> Any:
        if name == "USE_PKCE":
            return True  # PKCE is not optional here
        return super().setting(name, default)

    def id_token_issuer(self) -> Any:
        issuer = super().id_token_issuer()
        if issuer in GOOGLE_ISSUERS:
            return list(GOOGLE_ISSUERS)  # PyJWT accepts any of a sequence
        return issuer

    def auth_extra_arguments(self) -> dict[str, str]:
        arguments = super().auth_extra_arguments()
        # offline: a refresh token, so background work can act while the person is away.
        arguments["access_type"] = "offline"
        # Incremental consent: a later request adds scopes to the grant instead of replacing it.
        arguments["include_granted_scopes"] = "true"
        if self.data.get("rerequest"):
            arguments["prompt"] = "consent"
        return arguments

    def user_data(self, access_token: str, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        data = super().user_data(access_token, *args, **kwargs)
        if data is not None and not isinstance(data, dict):
            raise AuthResponseError(self, code="malformed_response", stage="user_info")
        return data

    def granted_scopes(self, response: dict[str, Any]) -> tuple[list[str], list[str]]:
        # Granular consent: the token answer's `scope` says what was actually granted, as a
        # set, with email/profile in their URL form (see accounts/scopes.py).
        granted = canonical_scopes(str(response.get("scope") or "").split())
        denied = [s for s in canonical_scopes(self.get_scope()) if s not in granted] if granted else []
        return granted, denied

    def get_user_details(self, response: dict[str, Any]) -> dict[str, Any]:
        details = super().get_user_details(response)
        verified = response.get("email_verified")
        if verified is None and self.id_token is not None:
            verified = self.id_token.get("email_verified")
        details["email_verified"] = verified is True or verified == "true"
        if not details.get("username") and details.get("email"):
            details["username"] = details["email"].split("@", 1)[0]
        return details
