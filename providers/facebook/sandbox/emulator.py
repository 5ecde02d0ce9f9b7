"""Facebook's emulator facts for the sandbox core: which endpoints can break, and how."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from providers.base import Emulator
from providers.facebook.sandbox import wire

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse


class FacebookEmulator(Emulator):
    fault_modes = {
        "token": (),
        "exchange": (),
        "me": (),
        "revoke": (),
        # paging_loop: cursors that lead back to an earlier page (the endpoint applies it).
        "friends": ("paging_loop",),
    }
    token_endpoints = ("token", "exchange")
    # None: its PKCE belongs to its OIDC code flow, documented as "still in testing"
    # (https://developers.facebook.com/documentation/facebook-login/guides/advanced/oidc-token),
    # which socialsite's Facebook backend (the manual flow) does not use.
    switches = ()
    dialog_heading = "Facebook"
    client_id_setting = "FACEBOOK_APP_ID"
    token_prefixes = {"code": "sbx-fb-code-", "access": "sbx-fb-at-"}
    identity_label = "Facebook id"
    person_actions = (
        ("Remove this app", "sandbox:person-app-remove", "danger"),
        ("Let data access expire (90 days unused)", "sandbox:person-data-access-expire", ""),
    )
    access_note = (
        "“Remove this app” does that on Facebook and then calls the app's deauthorize and "
        "data-deletion callbacks with a signed_request, as Facebook does."
    )

    def identity(self, person: Any) -> str:
        return str(person.facebook_id)

    def index_rows(self, request: HttpRequest) -> list[tuple[str, str]]:
        from django.conf import settings
        from django.urls import reverse
        from django.utils.html import format_html

        root = request.build_absolute_uri(reverse("sandbox:index"))
        version = settings.FACEBOOK_GRAPH_VERSION
        return [
            ("Facebook dialog", format_html("<code>{}facebook/{}/dialog/oauth</code>", root, version)),
            ("Graph API", format_html("<code>{}graph/{}/</code>", root, version)),
        ]

    def server_error(self) -> HttpResponse:
        return wire.facebook_server_error()

    def rate_limited(self) -> HttpResponse:
        return wire.facebook_rate_limited()

    def error_body(self, endpoint: str) -> HttpResponse:
        if endpoint in ("token", "exchange"):
            return wire.facebook_error("This authorization code has been used.", code=100, subcode=36009)
        return wire.facebook_token_invalid(467)
