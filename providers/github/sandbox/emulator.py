"""GitHub's emulator facts for the sandbox core: which endpoints can break, and how."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import JsonResponse

from providers.base import Emulator
from providers.github.sandbox import wire

if TYPE_CHECKING:
    from django.http import HttpResponse

# Every API endpoint can meet a secondary rate limit (403 with retry-after). ``rate_limited``
# on an API endpoint uses up the caller's hour (the endpoint applies it, knowing the caller).
API_MODES: tuple[str, ...] = ("secondary_limit",)


class GitHubEmulator(Emulator):
    fault_modes = {
        "token": (),
        "user": API_MODES,
        "emails": API_MODES,
        "following": API_MODES,
        "revoke": (),
    }
    token_endpoints = ("token",)
    switches = (
        ("app_tokens", "GitHub App mode: user tokens expire after 8 hours, with a rotating refresh token"),
    )
    client_id_setting = "GITHUB_CLIENT_ID"

    def server_error(self) -> HttpResponse:
        return wire.server_error()

    def rate_limited(self) -> HttpResponse:
        return wire.primary_limit_exceeded_now()

    def error_body(self, endpoint: str) -> HttpResponse:
        if endpoint == "token":
            # Token errors come as HTTP 200 with `error` in the body.
            return JsonResponse(wire.token_error_body("bad_verification_code"))
        return wire.bad_credentials()

    def canned(self, endpoint: str, mode: str) -> HttpResponse | None:
        if mode == "secondary_limit":
            return wire.secondary_limit()
        return None
