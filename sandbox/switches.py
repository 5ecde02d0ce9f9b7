"""Lasting rules the emulated providers can be told to enforce, unlike faults (one call each).

``switches.turn_on("google", "require_pkce")`` makes Google's authorize endpoint refuse a
request without an S256 ``code_challenge`` and its token endpoint refuse a code redeemed
without the matching ``code_verifier``, as an authorization server that requires PKCE does
(RFC 7636 §4.4.1, §4.6: https://www.rfc-editor.org/rfc/rfc7636). A switch is a row in
``SandboxSwitch``, so a test process or the /sandbox/ page can turn it on for the live
server's threads and other processes sharing the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from providers import registry
from sandbox.models import SandboxSwitch


@dataclass(frozen=True)
class Switch:
    provider: str
    name: str
    label: str


# Every switch, in the order the /sandbox/ page shows them. Facebook has none: its PKCE
# belongs to its OIDC code flow, documented as "still in testing"
# (https://developers.facebook.com/documentation/facebook-login/guides/advanced/oidc-token),
# which socialsite's Facebook backend (the manual flow) does not use.
SWITCHES: tuple[Switch, ...] = (
    Switch(
        "google",
        "require_pkce",
        "Require PKCE (S256) at the authorize and token endpoints",
    ),
)


class UnknownSwitch(ValueError):
    """No such switch on that emulated provider."""


def all_switches() -> tuple[Switch, ...]:
    """The core's switches and those enabled provider packages declare (``sandbox_switches``)."""
    declared = tuple(
        Switch(package.name, name, label)
        for package in registry.enabled()
        for name, label in package.sandbox_switches
    )
    return SWITCHES + declared


def _known(provider: str, name: str) -> None:
    if not any(s.provider == provider and s.name == name for s in all_switches()):
        raise UnknownSwitch(f"no sandbox switch {provider}/{name}; known: {all_switches()}")


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
    return [(switch, (switch.provider, switch.name) in on) for switch in all_switches()]
