"""GitHub's answer shapes: REST error objects, rate-limit headers, token-endpoint errors.

https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api
https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors
"""

from __future__ import annotations

import time

from django.http import HttpResponse, JsonResponse

from providers.github.sandbox.services import RateState

DOCS = "https://docs.github.com"
TOKEN_ERRORS_PAGE = f"{DOCS}/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/"
TOKEN_ERRORS: dict[str, tuple[str, str]] = {
    "incorrect_client_credentials": (
        "The client_id and/or client_secret passed are incorrect.",
        "#incorrect-client-credentials",
    ),
    "redirect_uri_mismatch": (
        "The redirect_uri MUST match the registered callback URL for this application.",
        "#redirect-uri-mismatch2",
    ),
    "bad_verification_code": ("The code passed is incorrect or expired.", "#bad-verification-code"),
    "bad_refresh_token": ("The refresh token passed is incorrect or expired.", "#bad-refresh-token"),
}


def token_error_body(code: str) -> dict[str, str]:
    description, anchor = TOKEN_ERRORS[code]
    return {"error": code, "error_description": description, "error_uri": f"{TOKEN_ERRORS_PAGE}{anchor}"}


def api_error(message: str, status: int, *, headers: dict[str, str] | None = None) -> JsonResponse:
    """GitHub's REST error object: ``{"message", "documentation_url", "status"}``."""
    response = JsonResponse(
        {"message": message, "documentation_url": f"{DOCS}/rest", "status": str(status)}, status=status
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def bad_credentials() -> JsonResponse:
    """A revoked, expired or unknown token."""
    return api_error("Bad credentials", 401)


def rate_headers(state: RateState) -> dict[str, str]:
    return {
        "x-ratelimit-limit": str(state.limit),
        "x-ratelimit-remaining": str(state.remaining),
        "x-ratelimit-reset": str(state.resets_at),
        "x-ratelimit-used": str(min(state.used, state.limit)),
        "x-ratelimit-resource": "core",
    }


def primary_limit_exceeded(state: RateState) -> JsonResponse:
    """The hour's requests are used up: 403 with ``x-ratelimit-remaining: 0`` until the reset."""
    return api_error("API rate limit exceeded for user.", 403, headers=rate_headers(state))


def primary_limit_exceeded_now() -> JsonResponse:
    """The same answer without a caller (the token endpoint's fault): resets in an hour."""
    return primary_limit_exceeded(RateState(limit=5000, used=5000, resets_at=int(time.time()) + 3600))


def secondary_limit() -> JsonResponse:
    """A secondary rate limit: 403 with ``retry-after`` (seconds)."""
    return api_error(
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        403,
        headers={"retry-after": "60"},
    )


def server_error() -> HttpResponse:
    return HttpResponse(
        "<html><body><h1>Unicorn!</h1>This page is taking too long to load.</body></html>", status=500
    )
