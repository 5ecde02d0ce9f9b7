"""Google's settings and their defaults, read from the environment (settings.py calls ``configure``).

The issuer defaults to https://accounts.google.com and the People API to
https://people.googleapis.com or, with the sandbox on, to their emulators under ``SITE_URL``/sandbox/.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from providers.base import SettingsContext
from socialsite.env import env_str

ENV = (
    "GOOGLE_CLIENT_ID",
    "GOOGLE_CLIENT_SECRET",
    "GOOGLE_OIDC_ISSUER",
    "GOOGLE_PEOPLE_API_URL",
    "GOOGLE_TOKEN_ENDPOINT_AUTH_METHOD",
)
CREDENTIALS = ("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET")
SANDBOX_URLS = {"GOOGLE_OIDC_ISSUER": "google", "GOOGLE_PEOPLE_API_URL": "people"}
AUTH_METHODS = {"", "client_secret_basic", "client_secret_post"}


def configure(ctx: SettingsContext) -> dict[str, Any]:
    client_id = ctx.credential("GOOGLE_CLIENT_ID", "sandbox-google-client.apps.example")
    client_secret = ctx.credential("GOOGLE_CLIENT_SECRET", "sandbox-google-secret")
    # How the app authenticates to the OpenID provider's token endpoint: client_secret_basic or
    # client_secret_post. Empty: from discovery's token_endpoint_auth_methods_supported (basic
    # when listed or absent, as OpenID Connect Discovery 1.0 defaults it).
    auth_method = env_str("GOOGLE_TOKEN_ENDPOINT_AUTH_METHOD")
    if auth_method not in AUTH_METHODS:
        raise ImproperlyConfigured(
            "GOOGLE_TOKEN_ENDPOINT_AUTH_METHOD must be client_secret_basic or client_secret_post, "
            f"got {auth_method!r}."
        )
    return {
        "GOOGLE_CLIENT_ID": client_id,
        "GOOGLE_CLIENT_SECRET": client_secret,
        "SOCIAL_AUTH_GOOGLE_KEY": client_id,
        "SOCIAL_AUTH_GOOGLE_SECRET": client_secret,
        "GOOGLE_OIDC_ISSUER": ctx.url("GOOGLE_OIDC_ISSUER", "https://accounts.google.com", SANDBOX_URLS),
        "GOOGLE_PEOPLE_API_URL": ctx.url(
            "GOOGLE_PEOPLE_API_URL", "https://people.googleapis.com", SANDBOX_URLS
        ),
        "GOOGLE_TOKEN_ENDPOINT_AUTH_METHOD": auth_method,
    }
