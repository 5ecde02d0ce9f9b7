"""Scope names, as providers spell them and as socialsite compares them.

A provider may spell one scope two ways (a URL form and a short name); its package says so
(``Provider.canonical_scope``). Everything stored and compared here uses the short form, so
a grant stored from either spelling reads the same on every page. A scope list is a set,
not a sequence: providers answer in any order.
"""

from __future__ import annotations

from collections.abc import Iterable

from providers import registry


def canonical_scope(scope: str) -> str:
    """The one spelling socialsite uses for ``scope`` (whichever provider spells it so)."""
    for name in registry.available_names():
        short = registry.any_provider(name).canonical_scope(scope)
        if short != scope:
            return short
    return scope


def canonical_scopes(scopes: Iterable[str]) -> list[str]:
    """``scopes`` in their short spelling, each once, in first-seen order."""
    seen: list[str] = []
    for scope in scopes:
        name = canonical_scope(scope)
        if name and name not in seen:
            seen.append(name)
    return seen


def scope_in(scope: str, scopes: Iterable[str] | None) -> bool:
    """Whether ``scope`` is among ``scopes``, whichever spelling either side uses."""
    return canonical_scope(scope) in {canonical_scope(s) for s in scopes or ()}
