"""Google sign-in as standard OpenID Connect, configured by issuer.

Discovery from ``GOOGLE_OIDC_ISSUER``, whose ``issuer`` must be that value exactly;
authorization code flow with PKCE (S256), state and nonce; the callback's RFC 9207 ``iss``
is checked; the id_token is validated in full by social-core's ``OpenIdConnectAuth``
(signature against the JWKS by ``kid``, ``iss``, ``aud``, ``azp``, ``exp``, ``iat``,
``nonce``, ``at_hash``); UserInfo must name the id_token's ``sub``. Nothing here is
Google-specific except the accepted issuer spelling, so the backend works unchanged
against any standards-compliant OpenID provider.
Reference: https://developers.google.com/identity/openid-connect/openid-connect
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from social_core.backends.open_id_connect import OpenIdConnectAuth
from social_core.backends.utils import load_oidc_config
from social_core.exceptions import AuthProviderError, AuthResponseError

from accounts.scopes import canonical_scopes
from providers.backend import SocialsiteBackendMixin
from providers.google.client import (
    DISCOVERY_CACHE_SECONDS,
    accepted_id_token_issuers,
    discovery_cache_key,
    discovery_issuer_problem,
)
from providers.google.scopes import CONTACTS_SCOPE

logger = logging.getLogger(__name__)


class GoogleBackend(SocialsiteBackendMixin, OpenIdConnectAuth):
    name = "google"
    DEFAULT_SCOPE = ["openid", "email", "profile", CONTACTS_SCOPE]
    DEFAULT_USE_PKCE = True
    PKCE_DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    EXTRA_DATA = [("expires_in", "expires_in"), ("scope", "scope"), ("email_verified", "email_verified")]

    def oidc_endpoint(self) -> str:
        return settings.GOOGLE_OIDC_ISSUER

    def oidc_config(self) -> dict[str, Any]:
        """The discovery document, refused unless its ``issuer`` is ``GOOGLE_OIDC_ISSUER`` exactly.

        OpenID Connect Discovery 1.0 §4.3 (see ``discovery_issuer_problem``). Cached in
        Django's cache under the key the refresh client uses, so sign-in and refresh read one
        validated document; a refused one is never cached.
        """
        document: dict[str, Any] | None = getattr(self, "_discovery", None)
        if document is not None:
            return document
        key = discovery_cache_key()
        document = cache.get(key)
        if document is None:
            document = load_oidc_config(self, self.oidc_config_url())
            problem = discovery_issuer_problem(document)
            if problem is not None:
                # The person gets a page saying sign-in is unavailable; the operator this line.
                logger.error("google sign-in refused: %s", problem)
                raise AuthProviderError(
                    self,
                    problem,
                    code="issuer_mismatch",
                    source="configuration",
                    recovery="contact_administrator",
                    stage="begin",
                )
            cache.set(key, document, DISCOVERY_CACHE_SECONDS)
        self._discovery = document
        return document

    def setting(self, name: str, default: Any = None) -> Any:
        if name == "USE_PKCE":
            return True  # PKCE is not optional here
        if name == "TOKEN_ENDPOINT_AUTH_METHOD":
            # Empty: social-core picks from discovery, as providers.google.client does for refresh.
            return settings.GOOGLE_TOKEN_ENDPOINT_AUTH_METHOD or None
        return super().setting(name, default)

    def id_token_issuer(self) -> Any:
        return accepted_id_token_issuers(super().id_token_issuer())  # PyJWT accepts any of a list

    def auth_complete(self, *args: Any, **kwargs: Any) -> Any:
        self.validate_response_issuer()
        return super().auth_complete(*args, **kwargs)

    def validate_response_issuer(self) -> None:
        """RFC 9207: the callback's ``iss``, when present, is the issuer we sent the person to.

        §2.4: a client "MUST then ... compare the result to the issuer identifier of the
        authorization server where the authorization request was sent to ... If the value
        does not match the expected issuer identifier, clients MUST reject the authorization
        response" (error responses included), and where the server's metadata says
        ``authorization_response_iss_parameter_supported: true`` a response without ``iss``
        is rejected too. https://www.rfc-editor.org/rfc/rfc9207.html#section-2.4
        Google lists that metadata field for its discovery document
        (https://developers.google.com/identity/openid-connect/reference#discovery-document)
        and has started sending ``iss`` on callbacks; without the flag ``iss`` is never
        required. Checked before anything else of the response is used: nothing is written.
        """
        config = self.oidc_config()
        received = self.data.get("iss")
        if received is None:
            if config.get("authorization_response_iss_parameter_supported") is True:
                logger.warning("google callback refused: no iss, yet discovery says it is always sent")
                raise AuthResponseError(
                    self,
                    "Missing iss in authorization response",
                    code="missing_claim",
                    claim="iss",
                    stage="callback",
                )
            return
        if received != config["issuer"]:
            logger.warning("google callback refused: iss %r is not the issuer %r", received, config["issuer"])
            raise AuthResponseError(
                self,
                "Incorrect iss in authorization response",
                code="invalid_claim",
                claim="iss",
                stage="callback",
            )

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
        """UserInfo, used only when it names the id_token's ``sub``.

        OpenID Connect Core 1.0 §5.3.2: "The sub (subject) Claim MUST always be returned in
        the UserInfo Response" and "The sub Claim in the UserInfo Response MUST be verified
        to exactly match the sub Claim in the ID Token; if they do not match, the UserInfo
        Response values MUST NOT be used." (token substitution, §16.11)
        https://openid.net/specs/openid-connect-core-1_0.html#UserInfoResponse
        """
        data = super().user_data(access_token, *args, **kwargs)
        if not isinstance(data, dict):
            raise AuthResponseError(self, code="malformed_response", stage="user_info")
        sub = data.get("sub")
        if not isinstance(sub, str) or not sub:
            raise AuthResponseError(
                self, "UserInfo without sub", code="missing_claim", claim="sub", stage="user_info"
            )
        if self.id_token is None or sub != self.id_token.get("sub"):
            raise AuthResponseError(
                self, "Invalid UserInfo sub", code="invalid_claim", claim="sub", stage="user_info"
            )
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
        # Only JSON `true` counts: OpenID Connect Core 1.0 §5.1 types `email_verified` as a
        # boolean, and Google's id_token reference says the same; a string "true" or a 1
        # is a malformed claim, not a verification.
        # https://openid.net/specs/openid-connect-core-1_0.html#StandardClaims
        # https://developers.google.com/identity/openid-connect/reference#id_token-claims
        details["email_verified"] = verified is True
        if not details.get("username") and details.get("email"):
            details["username"] = details["email"].split("@", 1)[0]
        return details
