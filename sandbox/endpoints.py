"""Where the sandbox's providers live under a site: the settings that point the app at them.

Pure (no Django import), so settings.py can use it for its development defaults, and the
tests, benchmarks and worker can point the app at a sandbox served anywhere else.
"""

from __future__ import annotations


def provider_settings(site_url: str) -> dict[str, str]:
    """``FACEBOOK_DIALOG_URL`` & co. for the sandbox mounted under ``site_url``/sandbox/."""
    base = f"{site_url.rstrip('/')}/sandbox"
    return {
        "FACEBOOK_DIALOG_URL": f"{base}/facebook",
        "FACEBOOK_GRAPH_URL": f"{base}/graph",
        "GOOGLE_OIDC_ISSUER": f"{base}/google",
        "GOOGLE_PEOPLE_API_URL": f"{base}/people",
    }
