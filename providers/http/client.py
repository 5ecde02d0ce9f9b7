"""One base for every provider client: one session, one timeout, typed errors.

Subclasses name each call's role (``role=`` appears in logs instead of the URL, which may
carry secrets) and translate provider error bodies with ``classify_error``.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings

from providers.http.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
)
from socialsite import quota

logger = logging.getLogger(__name__)


def _host(url: str) -> str:
    try:
        return urlsplit(url).netloc or "?"
    except ValueError:
        return "?"


class TransportError(Exception):
    """What went wrong on the wire, by exception type and host: never the URL or a body."""

    @classmethod
    def of(cls, error: requests.RequestException, url: str) -> TransportError:
        return cls(f"{type(error).__name__} calling {_host(url)}")


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


# Calls a person is waiting on, or that end a grant, are never held back by the app's budget:
# a sign-in's one token exchange, and revocation (Disconnect, Delete my account, the admin's
# Revoke and unlink), which must not be skipped and leave a token live at the provider. They
# are rare next to the background work the budget paces, and a provider's own 429 still
# answers them.
UNBUDGETED_ROLES = frozenset({"exchange", "revoke"})


class ProviderClient:
    provider = ""

    def __init__(self, *, session: requests.Session | None = None, timeout: float | None = None):
        self.session = session or requests.Session()
        self.timeout = timeout if timeout is not None else settings.PROVIDER_TIMEOUT

    def classify_error(self, response: requests.Response, body: Any) -> ProviderError | None:
        """A typed error for a non-2xx answer in this provider's dialect, or None for the default."""
        return None

    def _request(self, method: str, url: str, *, role: str, **kwargs: Any) -> Any:
        """Send one call and return its JSON body, or raise a ``ProviderError``.

        The typed error never carries the ``requests`` exception: its message, and its
        request and response objects, hold the full URL (a GET token endpoint puts
        ``client_secret``, ``code`` and ``fb_exchange_token`` in the query) and a traceback or
        a Celery failure log would print it. The typed error is raised from a ``TransportError``
        that names the failure and the host only, outside the ``except`` block, so the
        original is not even its ``__context__``.
        """
        kwargs.setdefault("timeout", self.timeout)
        # The provider app's budget is the fleet's (socialsite.quota): spent, this raises
        # ProviderRateLimited with the wait, and the task requeues itself.
        if role not in UNBUDGETED_ROLES:
            quota.spend(self.provider)
        response, failure = self._send(method, url, role=role, **kwargs)
        if failure is not None:
            raise failure[0] from failure[1]
        assert response is not None
        body, malformed = self._json(response)
        if malformed and response.ok:
            raise ProviderUnavailable(
                f"{self.provider} {role}: malformed JSON", provider=self.provider, status=response.status_code
            ) from TransportError(f"{_host(url)}: the answer is not JSON")
        if response.ok:
            return body
        typed = self.classify_error(response, body)
        if typed is None:
            typed = self._default_error(response, role)
        if isinstance(typed, ProviderRateLimited) and typed.scope == "app":
            quota.pause(self.provider, typed.retry_after)  # everyone backs off, not this task only
        logger.warning(
            "provider call failed: provider=%s role=%s status=%s error=%s",
            self.provider,
            role,
            response.status_code,
            typed.code,
        )
        raise typed

    def _send(
        self, method: str, url: str, *, role: str, **kwargs: Any
    ) -> tuple[requests.Response | None, tuple[ProviderError, TransportError] | None]:
        try:
            return self.session.request(method, url, **kwargs), None
        except requests.Timeout as error:
            typed = ProviderUnavailable(f"{self.provider} {role}: timed out", provider=self.provider)
            return None, (typed, TransportError.of(error, url))
        except requests.RequestException as error:
            typed = ProviderUnavailable(
                f"{self.provider} {role}: {type(error).__name__}", provider=self.provider
            )
            return None, (typed, TransportError.of(error, url))

    @staticmethod
    def _json(response: requests.Response) -> tuple[Any, bool]:
        """The body as JSON and whether it was malformed (then the body is None)."""
        try:
            return (response.json() if response.content else {}), False
        except ValueError:
            return None, True

    def _default_error(self, response: requests.Response, role: str) -> ProviderError:
        status = response.status_code
        message = f"{self.provider} {role}: HTTP {status}"
        if status == 429:
            return ProviderRateLimited(
                message, provider=self.provider, status=status, retry_after=_retry_after(response)
            )
        if status == 401:
            return ProviderAuthError(message, provider=self.provider, status=status)
        return ProviderUnavailable(message, provider=self.provider, status=status)
