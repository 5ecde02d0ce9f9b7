"""The one list of providers: which exist, and which this site has enabled.

``AVAILABLE`` names each provider package's ``Provider`` class; adding a provider is one line
here plus its package. ``SOCIALSITE_PROVIDERS`` (settings, from the environment) picks the
enabled ones and their order on every page; by default all of ``AVAILABLE``.

This module imports nothing from Django at import time and the provider modules import
their clients lazily, so settings.py can ask it for backends and provider settings.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.urls import URLPattern, URLResolver

    from providers.base import Provider

# name -> "module:Class". Order is the default order of buttons, rows and sections.
AVAILABLE: dict[str, str] = {
    "facebook": "providers.facebook.provider:FacebookProvider",
    "google": "providers.google.provider:GoogleProvider",
    "github": "providers.github.provider:GitHubProvider",
}


class UnknownProvider(LookupError):
    """A name that is not an enabled provider (a URL typed by hand, a stale row)."""


@cache
def _load(name: str) -> Provider:
    module_name, _, class_name = AVAILABLE[name].partition(":")
    provider_class = getattr(import_module(module_name), class_name)
    provider: Provider = provider_class()
    assert provider.name == name, f"{AVAILABLE[name]} calls itself {provider.name!r}"
    return provider


def available_names() -> list[str]:
    return list(AVAILABLE)


def enabled_names() -> list[str]:
    """The enabled providers' names, in page order (``settings.SOCIALSITE_PROVIDERS``)."""
    from django.conf import settings

    return list(settings.SOCIALSITE_PROVIDERS)


def enabled() -> list[Provider]:
    """The enabled providers, in page order."""
    return [_load(name) for name in enabled_names()]


def get(name: str) -> Provider:
    """The enabled provider called ``name``; ``UnknownProvider`` otherwise."""
    if name not in enabled_names():
        raise UnknownProvider(name)
    return _load(name)


def find(name: str) -> Provider | None:
    """The enabled provider called ``name``, or None."""
    try:
        return get(name)
    except UnknownProvider:
        return None


def any_provider(name: str) -> Provider:
    """A provider by name whether enabled or not (migrations, rows left from a disabled one)."""
    if name not in AVAILABLE:
        raise UnknownProvider(name)
    return _load(name)


def with_friends() -> list[Provider]:
    """The enabled providers that list people their users know."""
    return [provider for provider in enabled() if provider.friends is not None]


def backends(names: list[str]) -> list[str]:
    """``AUTHENTICATION_BACKENDS`` entries for ``names`` (settings.py calls this)."""
    return [_load(name).backend for name in names]


def django_apps(names: list[str], *, sandbox: bool) -> list[str]:
    """``INSTALLED_APPS`` entries the named providers bring (``Provider.apps``, ``sandbox_apps``)."""
    entries: list[str] = []
    for name in names:
        provider = _load(name)
        entries += [*provider.apps, *(provider.sandbox_apps if sandbox else ())]
    return entries


def settings_module(name: str) -> ModuleType:
    """The provider's settings module: ``configure(ctx)``, ``ENV``, ``CREDENTIALS``, ``SANDBOX_URLS``."""
    return import_module(_load(name).settings_module)


def environment_variables(names: list[str]) -> list[str]:
    """Every environment variable the named providers' settings read."""
    return [variable for name in names for variable in settings_module(name).ENV]


def credential_variables(names: list[str]) -> list[str]:
    """The environment variables that hold the named providers' real credentials."""
    return [variable for name in names for variable in settings_module(name).CREDENTIALS]


def rate_limits(names: list[str]) -> dict[str, dict[str, str]]:
    """The named providers' own rate-limit groups (a settings module's ``RATE_LIMITS``)."""
    groups: dict[str, dict[str, str]] = {}
    for name in names:
        own: dict[str, dict[str, str]] = getattr(settings_module(name), "RATE_LIMITS", {})
        groups.update({group: dict(rates) for group, rates in own.items()})
    return groups


def per_provider(names: list[str], attribute: str, default: Any) -> dict[str, Any]:
    """A per-provider default that each settings module may define (``attribute``), by name."""
    return {name: getattr(settings_module(name), attribute, default) for name in names}


def configure(names: list[str], *, sandbox: bool, sandbox_base: str) -> dict[str, Any]:
    """The settings of the named providers, each from its own package (settings.py calls this)."""
    from providers.base import SettingsContext

    context = SettingsContext(sandbox=sandbox, sandbox_base=sandbox_base)
    values: dict[str, Any] = {}
    for name in names:
        values.update(settings_module(name).configure(context))
    return values


def template_dirs(names: list[str]) -> list[Path]:
    """Each named provider package's ``templates`` folder, where it has one (settings.py)."""
    dirs = []
    for name in names:
        folder = Path(settings_module(name).__file__ or "").parent / "templates"
        if folder.is_dir():
            dirs.append(folder)
    return dirs


def urlpatterns() -> list[URLPattern | URLResolver]:
    """Every enabled provider's own routes (callbacks besides sign-in)."""
    patterns: list[URLPattern | URLResolver] = []
    for provider in enabled():
        patterns += provider.urlpatterns()
    return patterns


def sandbox_urlpatterns() -> list[URLPattern | URLResolver]:
    """Every enabled provider's emulator routes, for ``sandbox.urls``."""
    patterns: list[URLPattern | URLResolver] = []
    for provider in enabled():
        patterns += provider.sandbox_urlpatterns()
    return patterns
