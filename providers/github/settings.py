"""GitHub's settings and their defaults.

- ``GITHUB_CLIENT_ID`` / ``GITHUB_CLIENT_SECRET``: the OAuth app's (or GitHub App's)
  credentials; the callback URL registered at GitHub is ``<site>/complete/github/``.
- ``GITHUB_URL``: the web-flow host (authorize, access token), default https://github.com.
- ``GITHUB_API_URL``: the REST API host, default https://api.github.com.
"""

from __future__ import annotations

CREDENTIALS = ("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET")
SANDBOX_CREDENTIALS = {
    "GITHUB_CLIENT_ID": "sandbox-github-client",
    "GITHUB_CLIENT_SECRET": "sandbox-github-secret",
}
DEFAULT_URLS = {"GITHUB_URL": "https://github.com", "GITHUB_API_URL": "https://api.github.com"}


def sandbox_settings(base: str) -> dict[str, str]:
    """The URL settings for the emulated GitHub under ``base`` (…/sandbox)."""
    return {"GITHUB_URL": f"{base}/github", "GITHUB_API_URL": f"{base}/github-api"}
