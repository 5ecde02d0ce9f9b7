"""Misbehaviour switches: make an emulated endpoint fail the way real providers do.

``arm("google", "token", "http_500", times=2)`` makes the next two calls of Google's token
endpoint answer 500; each endpoint calls ``take()`` once per request, which consumes one
use atomically (a compare-and-swap on the row, so concurrent requests in several
processes never share a use). State lives in ``SandboxFault`` rows, so a test process
can arm a fault that the live server's threads then act on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

from django.conf import settings
from django.db.models import F
from django.http import HttpResponse, JsonResponse

from providers import registry
from sandbox import wire
from sandbox.models import SandboxFault

# Which endpoints each emulated provider can be told to break.
ENDPOINTS: dict[str, tuple[str, ...]] = {
    "facebook": ("token", "exchange", "me", "revoke", "friends"),
    "google": ("discovery", "jwks", "token", "userinfo", "revoke", "connections"),
}

# Modes every endpoint understands.
GENERIC_MODES: tuple[str, ...] = ("http_500", "slow", "malformed_json", "rate_limited", "error_body")

# Modes that bend the id_token in Google's token answer (``google``/``token`` only), in the
# answer to an authorization code and in the answer to a refresh alike.
ID_TOKEN_MODES: tuple[str, ...] = (
    "id_token_wrong_aud",
    "id_token_wrong_iss",
    "id_token_expired",
    "id_token_bad_signature",
    "id_token_alg_none",
    "id_token_wrong_nonce",
    "id_token_other_sub",  # about another person (OIDC Core §12.2 forbids it on refresh)
)

# Modes of Google's discovery document (``google``/``discovery`` only): an ``issuer`` that is
# not the URL it was fetched from (OIDC Discovery §4.3), and the RFC 9207 flag that promises
# ``iss`` on every authorization response.
DISCOVERY_MODES: tuple[str, ...] = ("discovery_wrong_issuer", "discovery_advertises_iss")

# Modes of Google's UserInfo answer (``google``/``userinfo`` only): no ``sub``, another
# person's ``sub`` (OIDC Core §5.3.2), and ``email_verified`` as the string "true".
USERINFO_MODES: tuple[str, ...] = (
    "userinfo_no_sub",
    "userinfo_other_sub",
    "userinfo_email_verified_string",
)


# Modes that bend ``expires_in`` in a token answer (Google ``token``, Facebook ``token`` and
# ``exchange``): not a number, beyond any float (``1e309`` parses as infinity), negative, or
# absurdly long. Real providers send a count of seconds (RFC 6749 §5.1); a client must
# survive anything else. The rest of the answer is the normal one.
EXPIRES_IN_MODES: dict[str, str] = {
    "expires_in_text": '"abc"',
    "expires_in_overflow": "1e309",
    "expires_in_negative": "-3600",
    "expires_in_huge": "1000000000000",
}
TOKEN_ENDPOINTS = {("google", "token"), ("facebook", "token"), ("facebook", "exchange")}

# Modes of the People API's connections list (``google``/``connections`` only):
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

# Modes of Graph's ``/me/friends`` (``facebook``/``friends`` only): ``paging_loop``, cursors
# that lead back to an earlier page.
FRIENDS_MODES: tuple[str, ...] = ("paging_loop",)

# Modes that the endpoint applies itself, once it knows the caller: ``answer`` leaves them.
ENDPOINT_MODES: frozenset[str] = frozenset({"access_token_expired", "paging_loop"})


class UnknownFault(ValueError):
    """The provider, endpoint or mode is not one the sandbox can emulate."""


def modes_for(provider: str, endpoint: str) -> tuple[str, ...]:
    """The modes that make sense for one endpoint."""
    if (provider, endpoint) == ("google", "token"):
        return GENERIC_MODES + ID_TOKEN_MODES + tuple(EXPIRES_IN_MODES)
    if (provider, endpoint) in TOKEN_ENDPOINTS:
        return GENERIC_MODES + tuple(EXPIRES_IN_MODES)
    if provider not in ENDPOINTS:
        # A provider package's own endpoints: the generic modes and the ones it adds.
        package = registry.find(provider)
        extra = package.sandbox_faults.get(endpoint, ()) if package is not None else ()
        return GENERIC_MODES + tuple(extra)
    if (provider, endpoint) == ("google", "connections"):
        return GENERIC_MODES + CONNECTIONS_MODES
    if (provider, endpoint) == ("facebook", "friends"):
        return GENERIC_MODES + FRIENDS_MODES
    if (provider, endpoint) == ("google", "discovery"):
        return GENERIC_MODES + DISCOVERY_MODES
    if (provider, endpoint) == ("google", "userinfo"):
        return GENERIC_MODES + USERINFO_MODES
    return GENERIC_MODES


# Every mode that bends a normal answer instead of replacing it (the endpoint applies them).
BENDING_MODES: tuple[str, ...] = ID_TOKEN_MODES + DISCOVERY_MODES + USERINFO_MODES


def endpoints() -> dict[str, tuple[str, ...]]:
    """Every endpoint faults can break: the core's, and those enabled provider packages declare."""
    known = dict(ENDPOINTS)
    for package in registry.enabled():
        if package.sandbox_faults and package.name not in known:
            known[package.name] = tuple(package.sandbox_faults)
    return known


def package_modes() -> tuple[str, ...]:
    """The modes provider packages add, for the index page's form."""
    modes: list[str] = []
    for package in registry.enabled():
        for extra in package.sandbox_faults.values():
            modes += [mode for mode in extra if mode not in modes and mode not in GENERIC_MODES]
    return tuple(modes)


def arm(provider: str, endpoint: str, mode: str, times: int = 1) -> SandboxFault:
    """Make the next ``times`` calls of ``provider``'s ``endpoint`` misbehave as ``mode``."""
    if endpoint not in endpoints().get(provider, ()):
        raise UnknownFault(f"no sandbox endpoint {provider}/{endpoint}; known: {endpoints()}")
    if mode not in modes_for(provider, endpoint):
        raise UnknownFault(f"{provider}/{endpoint} cannot emulate {mode!r}")
    if times < 1:
        raise UnknownFault("times must be at least 1")
    return SandboxFault.objects.create(provider=provider, endpoint=endpoint, mode=mode, remaining=times)


def take(provider: str, endpoint: str) -> str | None:
    """Consume one use of the oldest fault armed for this endpoint; its mode, or ``None``."""
    while True:
        fault = (
            SandboxFault.objects.filter(provider=provider, endpoint=endpoint, remaining__gt=0)
            .order_by("created_at", "id")
            .first()
        )
        if fault is None:
            return None
        # Compare-and-swap: only one request wins each remaining use.
        won = SandboxFault.objects.filter(pk=fault.pk, remaining=fault.remaining).update(
            remaining=F("remaining") - 1
        )
        if won:
            SandboxFault.objects.filter(pk=fault.pk, remaining=0).delete()
            return fault.mode


def clear(provider: str | None = None) -> int:
    """Disarm every fault (or one provider's); returns how many were removed."""
    faults = SandboxFault.objects.all()
    if provider is not None:
        faults = faults.filter(provider=provider)
    deleted, _ = faults.delete()
    return deleted


def armed() -> list[SandboxFault]:
    """Faults still waiting to fire, oldest first."""
    return list(SandboxFault.objects.filter(remaining__gt=0).order_by("created_at", "id"))


def answer(provider: str, endpoint: str, mode: str | None) -> HttpResponse | None:
    """The canned answer for a generic ``mode``, or ``None`` to go on answering normally.

    ``slow`` sleeps ``SANDBOX_SLOW_SECONDS`` and then lets the endpoint answer; id_token,
    discovery and userinfo modes, ``ENDPOINT_MODES`` and ``EXPIRES_IN_MODES`` are applied by
    the endpoint itself.
    """
    if mode == "expired_sync_token":
        return wire.google_expired_sync_token()
    if mode == "service_disabled":
        return wire.google_service_disabled()
    if mode is None or mode in BENDING_MODES or mode in ENDPOINT_MODES or mode in EXPIRES_IN_MODES:
        return None
    if mode == "slow":
        time.sleep(float(getattr(settings, "SANDBOX_SLOW_SECONDS", 3)))
        return None
    if mode == "malformed_json":
        return wire.malformed_json()
    facebook = provider == "facebook"
    if mode == "http_500":
        return wire.facebook_server_error() if facebook else wire.google_server_error()
    if mode == "rate_limited":
        return wire.facebook_rate_limited() if facebook else wire.google_rate_limited()
    if mode == "error_body":
        return _error_body(provider, endpoint)
    raise UnknownFault(mode)


def token_answer(body: Mapping[str, object], mode: str | None) -> HttpResponse:
    """A token endpoint's JSON answer, with ``expires_in`` bent when ``mode`` says so."""
    if mode not in EXPIRES_IN_MODES:
        return JsonResponse(body)
    marker = "__sandbox_expires_in__"
    text = json.dumps({**body, "expires_in": marker}).replace(f'"{marker}"', EXPIRES_IN_MODES[mode])
    return HttpResponse(text, content_type="application/json")


def _error_body(provider: str, endpoint: str) -> HttpResponse:
    """A well-formed refusal: what the endpoint says when the code or token is no good."""
    if provider == "facebook":
        if endpoint in ("token", "exchange"):
            return wire.facebook_error("This authorization code has been used.", code=100, subcode=36009)
        return wire.facebook_token_invalid(467)
    if endpoint == "userinfo":
        return wire.google_invalid_token()
    if endpoint == "connections":
        return wire.google_unauthenticated()
    if endpoint == "revoke":
        return wire.oauth_error("invalid_token", "Token expired or revoked")
    return wire.oauth_error("invalid_grant", "Bad Request")
