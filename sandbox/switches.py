"""Lasting rules the emulated providers can be told to enforce, unlike faults (one call each).

``switches.turn_on(provider, "require_pkce")`` makes that provider's authorize endpoint
refuse a request without an S256 ``code_challenge`` and its token endpoint refuse a code
redeemed without the matching ``code_verifier``, as an authorization server that requires
PKCE does (RFC 7636 §4.4.1, §4.6: https://www.rfc-editor.org/rfc/rfc7636). Each emulator
lists the switches it honours (``Emulator.switches``). A switch is a row in
``SandboxSwitch``, so a test process or the /sandbox/ page can turn it on for the live
server's threads and other processes sharing the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.models import SandboxSwitch


@dataclass(frozen=True)
class Switch:
    provider: str
    name: str
    label: str


def _switches() -> tuple[Switch, ...]:
    from sandbox.faults import emulators

    return tuple(
        Switch(provider, name, label)
        for provider, emulator in emulators().items()
        for name, label in emulator.switches
    )


# Every switch, in the order the /sandbox/ page shows them (each emulator's ``switches``).
SWITCHES: tuple[Switch, ...] = _switches()


class UnknownSwitch(ValueError):
    """No such switch on that emulated provider."""


def _known(provider: str, name: str) -> None:
    if not any(s.provider == provider and s.name == name for s in SWITCHES):
        raise UnknownSwitch(f"no sandbox switch {provider}/{name}; known: {SWITCHES}")


def turn_on(provider: str, name: str) -> None:
    _known(provider, name)
    SandboxSwitch.objects.get_or_create(provider=provider, name=name)


def turn_off(provider: str, name: str) -> None:
    _known(provider, name)
    SandboxSwitch.objects.filter(provider=provider, name=name).delete()


def is_on(provider: str, name: str) -> bool:
    return SandboxSwitch.objects.filter(provider=provider, name=name).exists()


def states() -> list[tuple[Switch, bool]]:
    """Every switch with whether it is on, for the /sandbox/ page."""
    on = set(SandboxSwitch.objects.values_list("provider", "name"))
    return [(switch, (switch.provider, switch.name) in on) for switch in SWITCHES]
