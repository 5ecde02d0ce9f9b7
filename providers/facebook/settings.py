"""Facebook's settings and their defaults, read from the environment (settings.py calls ``configure``).

Hosts default to the real ones (www.facebook.com for the dialog, graph.facebook.com for
Graph) or, with the sandbox on, to its emulator under ``SITE_URL``/sandbox/.
"""

from __future__ import annotations

from typing import Any

from providers.base import SettingsContext
from socialsite.env import env_int, env_str

# Every environment variable read here (the test settings drop them so the suite runs on the sandbox).
ENV = (
    "FACEBOOK_APP_ID",
    "FACEBOOK_APP_SECRET",
    "FACEBOOK_DIALOG_URL",
    "FACEBOOK_GRAPH_URL",
    "FACEBOOK_GRAPH_VERSION",
    "FACEBOOK_KEEP_CONNECTED_DAYS",
)
# Real credentials: any of them set means "talk to the real Facebook" (the sandbox stays off).
CREDENTIALS = ("FACEBOOK_APP_ID", "FACEBOOK_APP_SECRET")
# The host settings the sandbox replaces (``Provider.sandbox_settings``).
SANDBOX_URLS = {"FACEBOOK_DIALOG_URL": "facebook", "FACEBOOK_GRAPH_URL": "graph"}
# Facebook's servers call the deauthorize and data-deletion callbacks for everyone who
# removes the app: wide, per address only (socialsite.ratelimits; RATE_LIMITS overrides).
RATE_LIMITS = {"facebook_callback": {"address": "300/m"}}


def configure(ctx: SettingsContext) -> dict[str, Any]:
    app_id = ctx.credential("FACEBOOK_APP_ID", "sandbox-facebook-app")
    app_secret = ctx.credential("FACEBOOK_APP_SECRET", "sandbox-facebook-secret")
    return {
        "FACEBOOK_APP_ID": app_id,
        "FACEBOOK_APP_SECRET": app_secret,
        "SOCIAL_AUTH_FACEBOOK_KEY": app_id,
        "SOCIAL_AUTH_FACEBOOK_SECRET": app_secret,
        "FACEBOOK_DIALOG_URL": ctx.url("FACEBOOK_DIALOG_URL", "https://www.facebook.com", SANDBOX_URLS),
        "FACEBOOK_GRAPH_URL": ctx.url("FACEBOOK_GRAPH_URL", "https://graph.facebook.com", SANDBOX_URLS),
        "FACEBOOK_GRAPH_VERSION": env_str("FACEBOOK_GRAPH_VERSION", "v24.0"),
        # A Facebook token lasts about 60 days and only a new sign-in renews it; in its last
        # this many days /account/ and /friends/ offer "Keep Facebook connected".
        "FACEBOOK_KEEP_CONNECTED_DAYS": env_int("FACEBOOK_KEEP_CONNECTED_DAYS", 10),
    }
