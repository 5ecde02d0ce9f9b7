"""Google's OAuth token endpoints: refresh and revocation, found through discovery.

https://developers.google.com/identity/protocols/oauth2/web-server#offline
https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke

Discovery is validated here for the whole Google provider (the sign-in backend reads the
same cached document): its ``issuer`` must be ``GOOGLE_OIDC_ISSUER``, exactly.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote_plus

import jwt
import requests
from django.conf import settings
from django.core.cache import cache
from django.views.decorators.debug import sensitive_variables

from providers.http.client import ProviderClient
from providers.http.errors import ProviderAuthError, ProviderError, ProviderUnavailable

logger = logging.getLogger(__name__)

DISCOVERY_CACHE_SECONDS = 3600
JWKS_CACHE_SECONDS = 3600
ID_TOKEN_ALGORITHMS = ["RS256"]
ID_TOKEN_LEEWAY_SECONDS = 60

# Google's discovery document names `https://accounts.google.com`; its id_tokens carry that
# or the legacy `accounts.google.com` (both are documented as Google's issuer):
# https://developers.google.com/identity/openid-connect/openid-connect#validatinganidtoken
GOOGLE_ISSUERS = ("https://accounts.google.com", "accounts.google.com")


def discovery_cache_key() -> str:
    return f"oidc-discovery:{settings.GOOGLE_OIDC_ISSUER}"


def discovery_issuer_problem(document: Any) -> str | None:
    """Why a discovery document cannot be used for ``GOOGLE_OIDC_ISSUER``, or ``None``.

    OpenID Connect Discovery 1.0 §4.3: "The issuer value returned MUST be identical to the
    Issuer URL that was used as the prefix to /.well-known/openid-configuration to retrieve
    the configuration information", and it must equal the ``iss`` of the id_tokens, so a
    document naming another issuer is a misconfiguration or an impersonation, never a
    spelling to tolerate. https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfigurationValidation
    """
    if not isinstance(document, dict):
        return "the discovery document is not a JSON object"
    issuer = document.get("issuer")
    if issuer != settings.GOOGLE_OIDC_ISSUER:
        return (
            f"discovery at {settings.GOOGLE_OIDC_ISSUER}/.well-known/openid-configuration names issuer "
            f"{issuer!r}, not GOOGLE_OIDC_ISSUER={settings.GOOGLE_OIDC_ISSUER!r} "
            "(OpenID Connect Discovery 1.0 §4.3: they must be identical)"
        )
    return None


def accepted_id_token_issuers(issuer: str) -> list[str]:
    """The ``iss`` values an id_token from ``issuer`` may carry (Google's two spellings)."""
    return list(GOOGLE_ISSUERS) if issuer in GOOGLE_ISSUERS else [issuer]


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
        key = discovery_cache_key()
        document = cache.get(key)
        if document is None:
            document = self._request(
                "GET", f"{settings.GOOGLE_OIDC_ISSUER}/.well-known/openid-configuration", role="discovery"
            )
            problem = discovery_issuer_problem(document)
            if problem is not None:
                # An operator problem (or an impersonator): refresh fails, the grant is kept.
                logger.error("google discovery refused: %s", problem)
                raise ProviderUnavailable(f"google discovery: {problem}", provider="google")
            if "token_endpoint" not in document:
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

    def _jwks(self, *, fresh: bool = False) -> list[dict[str, Any]]:
        jwks_uri = self.discovery().get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri:
            raise ProviderUnavailable("google discovery: no jwks_uri", provider="google")
        key = f"oidc-jwks:{jwks_uri}"
        keys = None if fresh else cache.get(key)
        if keys is None:
            body = self._request("GET", jwks_uri, role="jwks")
            keys = body.get("keys") if isinstance(body, dict) else None
            if not isinstance(keys, list) or not all(isinstance(item, dict) for item in keys):
                raise ProviderUnavailable("google jwks: no key list", provider="google")
            cache.set(key, keys, JWKS_CACHE_SECONDS)
        return keys

    def _signing_key(self, kid: Any) -> jwt.PyJWK | None:
        for fresh in (False, True):  # an unknown kid: Google rotated its keys, fetch them again
            for candidate in self._jwks(fresh=fresh):
                if kid is not None and candidate.get("kid") == kid:
                    try:
                        return jwt.PyJWK(candidate)
                    except jwt.PyJWTError:
                        return None
        return None

    @sensitive_variables("id_token")
    def validate_refreshed_id_token(self, id_token: Any, *, subject: str) -> dict[str, Any]:
        """The claims of an id_token that came with a refresh, or ``ProviderAuthError``.

        OpenID Connect Core 1.0 §12.2: "its iss Claim Value MUST be the same as in the ID
        Token issued when the original authentication occurred, its sub Claim Value MUST be
        the same ..., its aud Claim Value MUST be the same ...", and otherwise it is
        validated like the id_token of the sign-in (signature by the JWKS key its ``kid``
        names, ``exp``, ``azp``). https://openid.net/specs/openid-connect-core-1_0.html#RefreshTokenResponse
        The sign-in validated ``iss`` against discovery, ``aud`` against our client id and
        keyed the link on ``sub``, so those are the values compared here. An answer that
        fails is about another person or from someone else: nothing of it may be stored,
        and the grant is treated as lost (reconnect).
        """

        def refused(reason: str) -> ProviderAuthError:
            logger.warning("google refresh: id_token refused: %s", reason)
            return ProviderAuthError(
                f"google refresh: id_token {reason}", provider="google", detail="id_token_mismatch"
            )

        if not isinstance(id_token, str) or not id_token:
            raise refused("is not a JWT")
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError as error:
            raise refused("is not a JWT") from error
        if header.get("alg") not in ID_TOKEN_ALGORITHMS:
            raise refused(f"uses alg {header.get('alg')!r}")
        signing_key = self._signing_key(header.get("kid"))
        if signing_key is None:
            raise refused("names no key of the provider's JWKS")
        issuer = self.discovery()["issuer"]
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                signing_key.key,
                algorithms=ID_TOKEN_ALGORITHMS,
                audience=settings.GOOGLE_CLIENT_ID,
                issuer=accepted_id_token_issuers(issuer),
                leeway=ID_TOKEN_LEEWAY_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.InvalidSignatureError as error:
            raise refused("signature does not verify") from error
        except jwt.InvalidAudienceError as error:
            raise refused("aud is not our client id") from error
        except jwt.InvalidIssuerError as error:
            raise refused("iss is not the issuer") from error
        except jwt.PyJWTError as error:
            raise refused(f"is invalid ({type(error).__name__})") from error
        if claims.get("sub") != subject:
            raise refused("sub is another person's")
        audience = claims["aud"]
        if ("azp" in claims or (isinstance(audience, list) and len(audience) > 1)) and claims.get(
            "azp"
        ) != settings.GOOGLE_CLIENT_ID:
            raise refused("azp is not our client id")
        return claims

    @sensitive_variables("refresh_token", "body")
    def refresh(self, refresh_token: str, *, subject: str) -> dict[str, Any]:
        """A new access token; the answer may carry a rotated ``refresh_token``.

        ``subject`` is the link's uid (the ``sub`` of the sign-in): an id_token in the answer
        must be about that person (``validate_refreshed_id_token``), or the answer is refused.
        """
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
        if "id_token" in body:
            self.validate_refreshed_id_token(body["id_token"], subject=subject)
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
