"""GitHub's emulator facts for the sandbox core: which endpoints can break, and how."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.management.base import CommandError
from django.http import JsonResponse

from providers.base import Emulator
from providers.github.sandbox import services, wire
from sandbox.models import SandboxPerson

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

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
    dialog_heading = "Sign in with GitHub"
    # GitHub-App user tokens get "sbx-ghu_" (services.APP_TOKEN_PREFIX), like GitHub's ghu_.
    token_prefixes = {
        "code": services.CODE_PREFIX,
        "access": services.OAUTH_TOKEN_PREFIX,
        "refresh": services.REFRESH_TOKEN_PREFIX,
    }
    identity_label = "GitHub id"

    def identity(self, person: Any) -> str:
        return str(services.github_id(person))

    def index_rows(self, request: HttpRequest) -> list[tuple[str, str]]:
        from django.conf import settings
        from django.utils.html import format_html

        return [
            ("GitHub web flow", format_html("<code>{}/login/oauth/authorize</code>", settings.GITHUB_URL)),
            ("GitHub REST API", format_html("<code>{}/</code>", settings.GITHUB_API_URL)),
        ]

    # --- the following graph (seed_sandbox) ---

    def roster_graph_fill(self) -> None:
        """A fresh roster's small following graph: each named person follows the next two."""
        services.roster_follows_fill()

    def add_seed_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--follows-per-person",
            type=int,
            default=0,
            metavar="N",
            help="GitHub accounts each named person follows, drawn from the generated people.",
        )

    def seed(self, options: dict[str, Any], step: Callable[[str, Callable[[], int]], None]) -> None:
        per_person = int(options.get("follows_per_person") or 0)
        if per_person < 0:
            raise CommandError("--follows-per-person cannot be negative.")
        if per_person:
            if not SandboxPerson.objects.filter(generated=True).exists():
                raise CommandError("--follows-per-person draws from generated people: add --people N.")
            step("GitHub follows", lambda: services.follows_generate(per_person=per_person))

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
