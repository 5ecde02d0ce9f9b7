"""Facebook Login on configurable hosts, with ``appsecret_proof`` on every Graph call.

Hosts come from ``FACEBOOK_DIALOG_URL`` / ``FACEBOOK_GRAPH_URL`` and the version from
``FACEBOOK_GRAPH_VERSION``, so the same backend talks to facebook.com or to the sandbox.
Reference: https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.views.decorators.debug import sensitive_variables
from social_core.backends.facebook import FacebookOAuth2

from providers.backend import SocialsiteBackendMixin
from providers.facebook.client import FacebookTokenClient, appsecret_proof, graph_url
from providers.http.errors import ProviderError

logger = logging.getLogger(__name__)

PROFILE_FIELDS = "id,name,email,picture"


class FacebookBackend(SocialsiteBackendMixin, FacebookOAuth2):
    name = "facebook"
    DEFAULT_SCOPE = ["email", "user_friends"]
    EXTRA_DATA = [
        ("expires_in", "expires_in"),
        ("granted_scopes", "granted_scopes"),
        ("denied_scopes", "denied_scopes"),
    ]

    def authorization_url(self) -> str:
        return f"{settings.FACEBOOK_DIALOG_URL}/{settings.FACEBOOK_GRAPH_VERSION}/dialog/oauth"

    def access_token_url(self) -> str:
        return graph_url("oauth/access_token")

    def revoke_token_url(self, token: str, uid: str) -> str:
        return graph_url(f"{uid}/permissions")

    def auth_extra_arguments(self) -> dict[str, str]:
        arguments = super().auth_extra_arguments()
        # "Grant permission" asks again for scopes the person declined before.
        if self.data.get("rerequest"):
            arguments["auth_type"] = "rerequest"
        # Data access expired (90 days unused): the person confirms the permissions again.
        # https://developers.facebook.com/docs/facebook-login/auth-vs-data/#data-access-expiration
        if self.data.get("reauthorize"):
            arguments["auth_type"] = "reauthorize"
        return arguments

    @sensitive_variables("access_token")
    def do_auth(
        self, access_token: str, response: dict[str, Any] | None = None, *args: Any, **kwargs: Any
    ) -> Any:
        """Exchange the short-lived login token for a long-lived one before anything is stored.

        This is the only exchange: a long-lived token lasts about 60 days and only the person
        signing in again renews it (Meta's SDKs refresh tokens; a server cannot). A failed
        exchange is not a failed login: the short-lived token (hours) is kept, and when it
        lapses the link asks the person to sign in again.
        https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived
        """
        response = dict(response or {})
        try:
            exchanged = FacebookTokenClient().exchange_for_long_lived(access_token)
        except ProviderError as error:
            logger.warning("facebook long-lived exchange failed at login: %s", error.code)
        else:
            access_token = exchanged["access_token"]
            response["expires_in"] = exchanged.get("expires_in")
        return super().do_auth(access_token, response, *args, **kwargs)

    @sensitive_variables("access_token")
    def user_data(self, access_token: str, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        """``/me`` with the token in the Authorization header, never in a logged URL."""
        _, secret = self.get_key_and_secret()
        return self.get_json(
            graph_url("me"),
            params={"fields": PROFILE_FIELDS, "appsecret_proof": appsecret_proof(access_token, secret)},
            headers={"Authorization": f"Bearer {access_token}"},
        )

    def granted_scopes(self, response: dict[str, Any]) -> tuple[list[str], list[str]]:
        # The dialog reports them on the callback (return_scopes=true); do_auth copies them.
        return list(response.get("granted_scopes") or []), list(response.get("denied_scopes") or [])

    def get_user_details(self, response: dict[str, Any]) -> dict[str, Any]:
        details = super().get_user_details(response)
        # Facebook usernames are gone; let get_username derive one from the name.
        details["username"] = (response.get("name") or "").replace(" ", "").lower() or None
        # Never verified here. Meta documents the `email` permission as access to "the person's
        # primary email address" and promises nothing about its confirmation (no
        # `email_verified` field exists); that Graph omits unconfirmed addresses is only a
        # field report. So `keep_verified_email_only` drops it: a Facebook email never
        # becomes the person's address here, and nobody is findable by it.
        # https://developers.facebook.com/documentation/facebook-login/guides/permissions/review
        details["email_verified"] = False
        return details
