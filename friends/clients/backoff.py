"""Bounded backoff for rate-limited calls, shared by the friends clients."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from accounts.clients.errors import ProviderRateLimited

T = TypeVar("T")

# Retries of one page after the first attempt; then the error goes up to the sync, which
# records it and tries again later.
RATE_LIMIT_RETRIES = 4
MAX_SLEEP_SECONDS = 30.0


class BackoffMixin:
    """``_with_backoff(call)``: retry a rate-limited call a bounded number of times.

    Sleeps go through ``_sleep`` so tests can subclass and record them instead.
    """

    def _sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def _with_backoff(self, call: Callable[[], T]) -> T:
        attempt = 0
        while True:
            try:
                return call()
            except ProviderRateLimited as error:
                attempt += 1
                if attempt > RATE_LIMIT_RETRIES:
                    raise
                # The provider's Retry-After when it gives one, else exponential: 2, 4, 8, 16 s.
                wait = error.retry_after if error.retry_after is not None else 2.0**attempt
                self._sleep(min(wait, MAX_SLEEP_SECONDS))
