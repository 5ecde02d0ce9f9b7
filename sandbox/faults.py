"""Misbehaviour switches: make an emulated endpoint fail the way real providers do.

``arm(provider, "token", "http_500", times=2)`` makes the next two calls of that provider's
token endpoint answer 500; each endpoint calls ``take()`` once per request, which consumes one
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
from providers.base import Emulator
from sandbox import wire
from sandbox.models import SandboxFault

# Modes every endpoint understands.
GENERIC_MODES: tuple[str, ...] = ("http_500", "slow", "malformed_json", "rate_limited", "error_body")

# Modes that bend ``expires_in`` in a token answer (each emulator's ``token_endpoints``):
# not a number, beyond any float (``1e309`` parses as infinity), negative, or absurdly long.
# Real providers send a count of seconds (RFC 6749 §5.1); a client must survive anything
# else. The rest of the answer is the normal one.
EXPIRES_IN_MODES: dict[str, str] = {
    "expires_in_text": '"abc"',
    "expires_in_overflow": "1e309",
    "expires_in_negative": "-3600",
    "expires_in_huge": "1000000000000",
}


def emulators() -> dict[str, Emulator]:
    """Every provider's emulator, by provider name (``Provider.emulator``)."""
    found = {}
    for name in registry.available_names():
        emulator = registry.any_provider(name).emulator()
        if emulator is not None:
            found[name] = emulator
    return found


def _endpoints() -> dict[str, tuple[str, ...]]:
    return {name: tuple(emulator.fault_modes) for name, emulator in emulators().items()}


# Which endpoints each emulated provider can be told to break.
ENDPOINTS: dict[str, tuple[str, ...]] = _endpoints()

# Every mode that one emulator's endpoint understands beyond the generic ones: the endpoint
# applies it itself (bending a normal answer) unless its emulator has a canned answer.
BENDING_MODES: tuple[str, ...] = tuple(
    dict.fromkeys(
        mode for emulator in emulators().values() for modes in emulator.fault_modes.values() for mode in modes
    )
)


class UnknownFault(ValueError):
    """The provider, endpoint or mode is not one the sandbox can emulate."""


def modes_for(provider: str, endpoint: str) -> tuple[str, ...]:
    """The modes that make sense for one endpoint."""
    emulator = emulators().get(provider)
    if emulator is None or endpoint not in emulator.fault_modes:
        return GENERIC_MODES
    expires_in = tuple(EXPIRES_IN_MODES) if endpoint in emulator.token_endpoints else ()
    return GENERIC_MODES + emulator.fault_modes[endpoint] + expires_in


def all_modes() -> tuple[str, ...]:
    """Every mode some endpoint understands, generic first (the /sandbox/ form's choices)."""
    return GENERIC_MODES + BENDING_MODES + tuple(EXPIRES_IN_MODES)


def arm(provider: str, endpoint: str, mode: str, times: int = 1) -> SandboxFault:
    """Make the next ``times`` calls of ``provider``'s ``endpoint`` misbehave as ``mode``."""
    if endpoint not in ENDPOINTS.get(provider, ()):
        raise UnknownFault(f"no sandbox endpoint {provider}/{endpoint}; known: {ENDPOINTS}")
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
    """The canned answer for ``mode``, or ``None`` to go on answering normally.

    ``slow`` sleeps ``SANDBOX_SLOW_SECONDS`` and then lets the endpoint answer; the
    ``EXPIRES_IN_MODES`` and an emulator's own modes without a canned answer are applied by
    the endpoint itself. Error bodies are the provider's own (its ``Emulator``).
    """
    if mode is None or mode in EXPIRES_IN_MODES:
        return None
    emulator = emulators()[provider]
    if mode in emulator.fault_modes.get(endpoint, ()):
        return emulator.canned(endpoint, mode)
    if mode == "slow":
        time.sleep(float(getattr(settings, "SANDBOX_SLOW_SECONDS", 3)))
        return None
    if mode == "malformed_json":
        return wire.malformed_json()
    if mode == "http_500":
        return emulator.server_error()
    if mode == "rate_limited":
        return emulator.rate_limited()
    if mode == "error_body":
        return emulator.error_body(endpoint)
    raise UnknownFault(mode)


def token_answer(body: Mapping[str, object], mode: str | None) -> HttpResponse:
    """A token endpoint's JSON answer, with ``expires_in`` bent when ``mode`` says so."""
    if mode not in EXPIRES_IN_MODES:
        return JsonResponse(body)
    marker = "__sandbox_expires_in__"
    text = json.dumps({**body, "expires_in": marker}).replace(f'"{marker}"', EXPIRES_IN_MODES[mode])
    return HttpResponse(text, content_type="application/json")
