"""What Facebook's servers do when a person removes the app: revoke, then call the app back.

Facebook sends each callback registered in the app's settings a server-to-server ``POST``
with one form field, ``signed_request``, whose payload names the person by their
app-scoped id. The sandbox does the same, against the URLs in
``SANDBOX_FACEBOOK_DEAUTHORIZE_URL`` / ``SANDBOX_FACEBOOK_DATA_DELETION_URL``, or this
site's own ``/facebook/deauthorize/`` and ``/facebook/data-deletion/`` when unset.

https://developers.facebook.com/docs/facebook-login/guides/advanced/deauth-callback
https://developers.facebook.com/docs/development/create-an-app/app-dashboard/data-deletion-callback
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from providers.facebook import signed_request
from sandbox import services
from sandbox.models import SandboxPerson

logger = logging.getLogger(__name__)

# Facebook does not publish its callback timeout; a few seconds keeps a stuck app from
# holding the sandbox page.
CALLBACK_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class CallbackAnswer:
    """What the app answered one callback; ``status`` is ``None`` when it could not be reached."""

    name: str
    url: str
    status: int | None
    body: Any = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def callback_urls(request: HttpRequest) -> dict[str, str]:
    """The app's deauthorize and data-deletion URLs, as registered in the app's settings."""
    return {
        "deauthorize": getattr(settings, "SANDBOX_FACEBOOK_DEAUTHORIZE_URL", "")
        or request.build_absolute_uri("/facebook/deauthorize/"),
        "data_deletion": getattr(settings, "SANDBOX_FACEBOOK_DATA_DELETION_URL", "")
        or request.build_absolute_uri("/facebook/data-deletion/"),
    }


def signed_request_for(person: SandboxPerson) -> str:
    payload = {
        "algorithm": "HMAC-SHA256",
        "issued_at": int(timezone.now().timestamp()),
        "user_id": person.facebook_id,
    }
    return signed_request.sign(payload, app_secret=settings.FACEBOOK_APP_SECRET)


def callback_send(*, name: str, url: str, person: SandboxPerson) -> CallbackAnswer:
    """POST one signed callback, form-encoded as Facebook sends it."""
    try:
        response = requests.post(
            url, data={"signed_request": signed_request_for(person)}, timeout=CALLBACK_TIMEOUT_SECONDS
        )
    except requests.RequestException as error:
        logger.warning("sandbox: %s callback to %s failed: %s", name, url, type(error).__name__)
        return CallbackAnswer(name=name, url=url, status=None, error=type(error).__name__)
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text[:500]
    return CallbackAnswer(name=name, url=url, status=response.status_code, body=body)


def app_remove(*, person: SandboxPerson, urls: dict[str, str]) -> list[CallbackAnswer]:
    """The person removes the app on Facebook: every token dies, then both callbacks go out."""
    services.grant_revoke(provider="facebook", person=person, client_id=settings.FACEBOOK_APP_ID)
    return [callback_send(name=name, url=url, person=person) for name, url in urls.items()]
