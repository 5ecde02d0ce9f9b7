"""Facebook's emulator facts for the sandbox core: which endpoints can break, and how."""

from __future__ import annotations

from typing import TYPE_CHECKING

from providers.base import Emulator
from providers.facebook.sandbox import wire

if TYPE_CHECKING:
    from django.http import HttpResponse


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
    client_id_setting = "FACEBOOK_APP_ID"

    def server_error(self) -> HttpResponse:
        return wire.facebook_server_error()

    def rate_limited(self) -> HttpResponse:
        return wire.facebook_rate_limited()

    def error_body(self, endpoint: str) -> HttpResponse:
        if endpoint in ("token", "exchange"):
            return wire.facebook_error("This authorization code has been used.", code=100, subcode=36009)
        return wire.facebook_token_invalid(467)
