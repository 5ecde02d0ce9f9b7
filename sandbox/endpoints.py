"""Where the sandbox's providers live under a site, and which app sites it has registered.

Free of Django settings, so settings.py can use it for its development defaults, and the
tests, benchmarks and worker can point the app at a sandbox served anywhere else. The
hosts and callback paths come from each provider package (``providers.registry``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from providers import registry


def callback_paths() -> dict[str, str]:
    """The app's social-auth callback path for each emulated provider."""
    return {name: f"/complete/{name}/" for name in registry.available_names()}


def provider_settings(site_url: str) -> dict[str, str]:
    """The host settings of every provider for the sandbox mounted under ``site_url``/sandbox/."""
    base = f"{site_url.rstrip('/')}/sandbox"
    values: dict[str, str] = {}
    for name in registry.available_names():
        values.update(registry.any_provider(name).sandbox_settings(base))
    return values


def redirect_uris(*app_sites: str) -> dict[str, list[str]]:
    """The redirect URIs the sandbox's apps have registered, per provider: each app site's
    callback, exactly as the real providers' app settings hold them."""
    return {
        provider: [f"{site.rstrip('/')}{path}" for site in app_sites]
        for provider, path in callback_paths().items()
    }


def loopback_twins(site_url: str) -> list[str]:
    """``site_url`` and, for a loopback site, the same port under the other loopback name
    (``127.0.0.1`` and ``localhost``): a developer opens either."""
    parts = urlsplit(site_url.rstrip("/"))
    sites = [parts.geturl()]
    twins = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}
    if parts.hostname in twins:
        port = f":{parts.port}" if parts.port else ""
        sites.append(parts._replace(netloc=f"{twins[parts.hostname]}{port}").geturl())
    return sites
