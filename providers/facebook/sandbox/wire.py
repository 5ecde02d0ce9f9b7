"""Facebook's answer shapes: Graph's error envelope and its codes."""

from __future__ import annotations

import secrets
from typing import Any

from django.http import JsonResponse

# --- Facebook -------------------------------------------------------------------------
# https://developers.facebook.com/docs/graph-api/guides/error-handling/


def facebook_error(
    message: str,
    *,
    code: int,
    subcode: int | None = None,
    type_: str = "OAuthException",
    status: int = 400,
    is_transient: bool | None = None,
) -> JsonResponse:
    """``{"error": {"message", "type", "code", "error_subcode"?, "fbtrace_id"}}``."""
    error: dict[str, Any] = {"message": message, "type": type_, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    if is_transient is not None:
        error["is_transient"] = is_transient
    error["fbtrace_id"] = "Sbx" + secrets.token_urlsafe(9)
    response = JsonResponse({"error": error}, status=status)
    if type_ == "OAuthException":
        # Graph repeats OAuth failures in WWW-Authenticate, as the real host does.
        response["WWW-Authenticate"] = f'OAuth "Facebook Platform" "invalid_token" "{message}"'
    return response


def facebook_token_invalid(subcode: int = 467) -> JsonResponse:
    """Error 190: 463 = expired, 467 = invalid (logged out, revoked, unknown)."""
    if subcode == 463:
        message = "Error validating access token: Session has expired."
    else:
        message = "Error validating access token: The session is invalid because the user logged out."
    return facebook_error(message, code=190, subcode=subcode)


def facebook_data_access_expired() -> JsonResponse:
    """Error 190/493: the token still signs the person in, but data access lapsed (90 days unused).

    https://developers.facebook.com/docs/facebook-login/auth-vs-data/#data-access-expiration ;
    the subcode and message as seen on the wire: MrSwitch/hello.js#548, hybridauth/hybridauth#957.
    """
    return facebook_error(
        "The access token is invalid since the user hasn't engaged the app in longer than 90 days.",
        code=190,
        subcode=493,
    )


def facebook_server_error() -> JsonResponse:
    return facebook_error(
        "An unexpected error has occurred. Please retry your request later.",
        code=2,
        status=500,
        is_transient=True,
    )


def facebook_rate_limited() -> JsonResponse:
    # https://developers.facebook.com/docs/graph-api/overview/rate-limiting/
    return facebook_error("(#4) Application request limit reached", code=4, is_transient=True)
