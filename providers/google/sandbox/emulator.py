"""Google's emulator facts for the sandbox core: which endpoints can break, and how."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from providers.base import Emulator
from providers.google.sandbox import wire
from sandbox.wire import oauth_error

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

# Modes that bend the id_token in the token answer, in the answer to an authorization code
# and in the answer to a refresh alike.
ID_TOKEN_MODES: tuple[str, ...] = (
    "id_token_wrong_aud",
    "id_token_wrong_iss",
    "id_token_expired",
    "id_token_bad_signature",
    "id_token_alg_none",
    "id_token_wrong_nonce",
    "id_token_other_sub",  # about another person (OIDC Core §12.2 forbids it on refresh)
)

# Modes of the discovery document: an ``issuer`` that is not the URL it was fetched from
# (OIDC Discovery §4.3), and the RFC 9207 flag that promises ``iss`` on every authorization
# response.
DISCOVERY_MODES: tuple[str, ...] = ("discovery_wrong_issuer", "discovery_advertises_iss")

# Modes of the UserInfo answer: no ``sub``, another person's ``sub`` (OIDC Core §5.3.2), and
# ``email_verified`` as the string "true".
USERINFO_MODES: tuple[str, ...] = (
    "userinfo_no_sub",
    "userinfo_other_sub",
    "userinfo_email_verified_string",
)

# Modes of the People API's connections list:
# - expired_sync_token: answer as if the client's sync token had expired, whatever its age;
# - service_disabled: 403 SERVICE_DISABLED, as when the People API is not enabled in the
#   Cloud project (the operator's problem, not the person's);
# - access_token_expired: the bearer access token dies now (its refresh token lives on),
#   and the call answers 401, as when Google drops an access token before its time;
# - paging_loop: page tokens that lead back to an earlier page (A, B, A, ...).
CONNECTIONS_MODES: tuple[str, ...] = (
    "expired_sync_token",
    "service_disabled",
    "access_token_expired",
    "paging_loop",
)


class GoogleEmulator(Emulator):
    fault_modes = {
        "discovery": DISCOVERY_MODES,
        "jwks": (),
        "token": ID_TOKEN_MODES,
        "userinfo": USERINFO_MODES,
        "revoke": (),
        "connections": CONNECTIONS_MODES,
    }
    token_endpoints = ("token",)
    switches = (("require_pkce", "Require PKCE (S256) at the authorize and token endpoints"),)
    dialog_heading = "Sign in with Google"
    client_id_setting = "GOOGLE_CLIENT_ID"
    token_prefixes = {"code": "sbx-g-code-", "access": "sbx-g-at-", "refresh": "sbx-g-rt-"}
    identity_label = "Google sub"

    def identity(self, person: Any) -> str:
        return str(person.google_sub)

    def index_rows(self, request: HttpRequest) -> list[tuple[str, str]]:
        from django.urls import reverse
        from django.utils.html import format_html

        from providers.google.sandbox.views import issuer

        return [
            (
                "Google issuer",
                format_html(
                    '<code>{}</code> (<a href="{}">discovery</a>, <a href="{}">keys</a>)',
                    issuer(request),
                    reverse("sandbox:google-discovery"),
                    reverse("sandbox:google-certs"),
                ),
            )
        ]

    def server_error(self) -> HttpResponse:
        return wire.google_server_error()

    def rate_limited(self) -> HttpResponse:
        return wire.google_rate_limited()

    def error_body(self, endpoint: str) -> HttpResponse:
        if endpoint == "userinfo":
            return wire.google_invalid_token()
        if endpoint == "connections":
            return wire.google_unauthenticated()
        if endpoint == "revoke":
            return oauth_error("invalid_token", "Token expired or revoked")
        return oauth_error("invalid_grant", "Bad Request")

    def canned(self, endpoint: str, mode: str) -> HttpResponse | None:
        if mode == "expired_sync_token":
            return wire.google_expired_sync_token()
        if mode == "service_disabled":
            return wire.google_service_disabled()
        return None
