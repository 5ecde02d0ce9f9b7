"""GitHub's settings and their defaults, read from the environment (settings.py calls ``configure``).

- ``GITHUB_CLIENT_ID`` / ``GITHUB_CLIENT_SECRET``: the OAuth app's (or GitHub App's)
  credentials; the callback URL registered at GitHub is ``<site>/complete/github/``.
- ``GITHUB_URL``: the web-flow host (authorize, access token), default https://github.com.
- ``GITHUB_API_URL``: the REST API host, default https://api.github.com.
With the sandbox on, both hosts default to the emulator under ``SITE_URL``/sandbox/.
"""

from __future__ import annotations

from typing import Any

from providers.base import SettingsContext

ENV = ("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET", "GITHUB_URL", "GITHUB_API_URL")
CREDENTIALS = ("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET")
SANDBOX_URLS = {"GITHUB_URL": "github", "GITHUB_API_URL": "github-api"}
# The app-wide budget per minute, shared by every worker (socialsite.quota). GitHub counts per
# user token, 5,000 an hour each, so this only keeps the fleet smooth; a token's own limit is
# honoured per grant (ProviderRateLimited with scope "user"):
# https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
CALLS_PER_MINUTE = 3000
# GitHub App user refresh tokens last about six months
# (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens):
# past this many days unused the beat refreshes one (OAuth-app tokens have none and never expire).
REFRESH_TOKEN_IDLE_DAYS = 150


def configure(ctx: SettingsContext) -> dict[str, Any]:
    client_id = ctx.credential("GITHUB_CLIENT_ID", "sandbox-github-client")
    client_secret = ctx.credential("GITHUB_CLIENT_SECRET", "sandbox-github-secret")
    return {
        "GITHUB_CLIENT_ID": client_id,
        "GITHUB_CLIENT_SECRET": client_secret,
        "SOCIAL_AUTH_GITHUB_KEY": client_id,
        "SOCIAL_AUTH_GITHUB_SECRET": client_secret,
        "GITHUB_URL": ctx.url("GITHUB_URL", "https://github.com", SANDBOX_URLS),
        "GITHUB_API_URL": ctx.url("GITHUB_API_URL", "https://api.github.com", SANDBOX_URLS),
    }
