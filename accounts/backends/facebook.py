"""Facebook Login on configurable hosts, with ``appsecret_proof`` on every Graph call.

Hosts come from ``FACEBOOK_DIALOG_URL`` / ``FACEBOOK_GRAPH_URL`` and the version from
``FACEBOOK_GRAPH_VERSION``, so the same backend talks to facebook.com or to the sandbox.
Reference: https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.views.decorators.debug import sensitive_variables
from social_core.backends.facebook import FacebookOAuth2

from accounts.backends.base import SocialsiteBackendMixin

PROFILE_FIELDS = "id,name,email,picture"


@sensitive_variables("access_token", "app_secret")
def appsecret_proof(access_token: str, app_secret: str) -> str:
    """Hex HMAC-SHA256 of the access token keyed with the app secret (Graph's proof of the caller)."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


def graph_url(path: str) -> str:
    return f"{settings.FACEBOOK_GRAPH_URL}/{settings.FACEBOOK_GRAPH_VERSION}/{path.lstrip('/')}"


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
        return arguments

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
        details["email_verified"] = bool(response.get("email"))  # Graph returns confirmed emails only
        return details
