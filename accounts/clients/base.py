"""One base for every provider client: one session, one timeout, typed errors.

Subclasses name each call's role (``role=`` appears in logs instead of the URL, which may
carry secrets) and translate provider error bodies with ``classify_error``.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from django.conf import settings

from accounts.clients.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
)

logger = logging.getLogger(__name__)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


class ProviderClient:
    provider = ""

    def __init__(self, *, session: requests.Session | None = None, timeout: float | None = None):
        self.session = session or requests.Session()
        self.timeout = timeout if timeout is not None else settings.PROVIDER_TIMEOUT

    def classify_error(self, response: requests.Response, body: Any) -> ProviderError | None:
        """A typed error for a non-2xx answer in this provider's dialect, or None for the default."""
        return None

    def _request(self, method: str, url: str, *, role: str, **kwargs: Any) -> Any:
        """Send one call and return its JSON body, or raise a ``ProviderError``."""
        kwargs.setdefault("timeout", self.timeout)
        try:
            response = self.session.request(method, url, **kwargs)
        except requests.Timeout as error:
            raise ProviderUnavailable(f"{self.provider} {role}: timed out", provider=self.provider) from error
        except requests.RequestException as error:
            raise ProviderUnavailable(
                f"{self.provider} {role}: {type(error).__name__}", provider=self.provider
            ) from error
        try:
            body = response.json() if response.content else {}
        except ValueError as error:
            if response.ok:
                raise ProviderUnavailable(
                    f"{self.provider} {role}: malformed JSON",
                    provider=self.provider,
                    status=response.status_code,
                ) from error
            body = None
        if response.ok:
            return body
        typed = self.classify_error(response, body)
        if typed is None:
            typed = self._default_error(response, role)
        logger.warning(
            "provider call failed: provider=%s role=%s status=%s error=%s",
            self.provider,
            role,
            response.status_code,
            typed.code,
        )
        raise typed

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
