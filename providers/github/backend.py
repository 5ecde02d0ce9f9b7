"""Sign in with GitHub: the web application flow on configurable hosts, with state and PKCE.

Authorize and token endpoints on ``GITHUB_URL``; ``/user`` and ``/user/emails`` on
``GITHUB_API_URL``. The token is asked for with ``Accept: application/json``; its errors
arrive as HTTP 200 with ``error`` in the body, which social-core's ``process_error`` turns
into a failed login before anything is written.
https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps

Identity is the numeric user ``id`` (people rename their ``login``); the email is the
person's only when ``/user/emails`` says it is ``verified``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.views.decorators.debug import sensitive_variables
from social_core.backends.github import GithubOAuth2
from social_core.backends.oauth import BaseOAuth2PKCE
from social_core.exceptions import AuthProviderError, AuthResponseError

from providers.backend import SocialsiteBackendMixin
from providers.github.client import api_headers, api_url, github_url

logger = logging.getLogger(__name__)

SCOPES = ["read:user", "user:email"]


def verified_email(emails: Any) -> str:
    """The primary verified address, else any verified one, else "" (``/user/emails``)."""
    if not isinstance(emails, list):
        return ""
    verified = [e for e in emails if isinstance(e, dict) and e.get("verified") is True and e.get("email")]
    primary = [e for e in verified if e.get("primary") is True]
    chosen = (primary or verified or [{}])[0]
    return str(chosen.get("email") or "")


class GitHubBackend(SocialsiteBackendMixin, GithubOAuth2, BaseOAuth2PKCE):
    name = "github"
    DEFAULT_SCOPE = SCOPES
    # GitHub accepts PKCE S256 on the web flow (changelog 2025-07-14); sent always.
    DEFAULT_USE_PKCE = True
    PKCE_DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    EXTRA_DATA = [("login", "login"), ("expires_in", "expires_in"), ("scope", "scope")]

    def authorization_url(self) -> str:
        return github_url("login/oauth/authorize")

    def access_token_url(self) -> str:
        return github_url("login/oauth/access_token")

    def api_url(self) -> str:
        return api_url("")

    def auth_headers(self) -> dict[str, Any]:
        return {**super().auth_headers(), "Accept": "application/json"}

    def setting(self, name: str, default: Any = None) -> Any:
        if name == "USE_PKCE":
            return True
        return super().setting(name, default)

    def response_issuer(self) -> str:
        """The ``iss`` GitHub puts on its authorization responses (RFC 9207)."""
        return github_url("login/oauth")

    def auth_complete(self, *args: Any, **kwargs: Any) -> Any:
        self.validate_response_issuer()
        return super().auth_complete(*args, **kwargs)

    def validate_response_issuer(self) -> None:
        """RFC 9207 §2.4: an ``iss`` on the callback must be GitHub's; its absence is fine.

        GitHub has started sending ``iss=https://github.com/login/oauth`` (field report,
        openiddict-core#2529) without advertising it, so it is accepted when equal and never
        required. https://www.rfc-editor.org/rfc/rfc9207.html#section-2.4
        """
        received = self.data.get("iss")
        if received is not None and received != self.response_issuer():
            logger.warning("github callback refused: iss %r is not %r", received, self.response_issuer())
            raise AuthResponseError(
                self,
                "Incorrect iss in authorization response",
                code="invalid_claim",
                claim="iss",
                stage="callback",
            )

    @sensitive_variables("access_token")
    def _user_data(self, access_token: str, path: str | None = None) -> Any:
        return self.get_json(api_url(f"user{path or ''}"), headers=api_headers(access_token))

    @sensitive_variables("access_token")
    def user_data(self, access_token: str, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        """``/user``, and the verified address from ``/user/emails`` (``user:email``).

        ``/user``'s ``email`` is the public one, unverified as far as we know: never used.
        https://docs.github.com/en/rest/users/emails#list-email-addresses-for-the-authenticated-user
        """
        data = self._user_data(access_token)
        if not isinstance(data, dict) or not isinstance(data.get("id"), int):
            raise AuthResponseError(self, code="malformed_response", stage="user_info")
        data = {key: value for key, value in data.items() if key != "email"}
        try:
            emails = self._user_data(access_token, "/emails")
        except (AuthProviderError, AuthResponseError, ValueError, TypeError):
            # No user:email granted (or a GitHub App without the permission), or GitHub failed
            # this one call: the person signs in without an email, as with an unverified one.
            logger.info("github emails unavailable at sign-in")
            emails = []
        data["email"] = verified_email(emails)
        data["email_verified"] = bool(data["email"])
        return data

    def get_user_id(self, details: dict[str, Any], response: dict[str, Any]) -> str:
        return str(response["id"])

    def get_user_details(self, response: dict[str, Any]) -> dict[str, Any]:
        details = super().get_user_details(response)
        first, _, last = (response.get("name") or "").partition(" ")
        details.update(
            first_name=first,
            last_name=last,
            email=response.get("email") or "",
            email_verified=bool(response.get("email_verified")),
        )
        return details

    def granted_scopes(self, response: dict[str, Any]) -> tuple[list[str], list[str]]:
        # OAuth apps: `scope` is comma-separated and may differ from the request. GitHub-App
        # user tokens carry no scopes at all (``scope: ""``): nothing to say declined.
        granted = [s for s in str(response.get("scope") or "").split(",") if s]
        denied = [s for s in SCOPES if s not in granted] if granted else []
        return granted, denied
