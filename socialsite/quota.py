"""One request budget per provider app, shared by every worker; and a fleet-wide pause.

Every provider client asks here before each call (``spend``); a provider that says "too many
requests" pauses that provider for everyone (``pause``), not just for the task that heard it.

The budget is a token bucket: ``PROVIDER_CALLS_PER_MINUTE[provider]`` calls a minute, with a
small burst. The refill rate is ``(quota - burst) / 60`` a second, so any 60-second window
holds at most ``burst + (quota - burst) = quota`` calls: the configured quota is never
exceeded, whatever the window's alignment.

With REDIS_URL set, the bucket and the pause live in Redis and one Lua script takes a call
atomically (refill, check the pause, take): every worker process of the fleet draws from the
same bucket. Why a script of our own and not the ``limits`` library (alisaifee): ``limits``
answers "allowed or not" on fixed or moving windows, but the scheduler needs "how long until
the next call is allowed" (a requeue countdown) and one round trip that also honours the
pause key; and the simulated day needs a clock seam, which ``limits`` (``time.time()``
inside) does not offer. redis-py's scripting is maintained, and the script is 20 lines.

Without Redis (embedded defaults, ``make run``), ``LocalBudget`` does the same in-process.
A Redis that fails is logged and lets the call through: the provider's own 429 still stops
us, and the budget must not take the workers down with the cache.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from functools import cache
from typing import Protocol

from django.conf import settings

from providers.http.errors import ProviderRateLimited

logger = logging.getLogger(__name__)

# Where the buckets live in Redis (tests give each run its own prefix).
KEY_PREFIX_SETTING = "PROVIDER_BUDGET_PREFIX"
DEFAULT_PREFIX = "budget:"


def _prefix() -> str:
    return getattr(settings, KEY_PREFIX_SETTING, DEFAULT_PREFIX)


def calls_per_minute(provider: str) -> int | None:
    """The provider app's budget, or None when it has none (unbudgeted)."""
    return settings.PROVIDER_CALLS_PER_MINUTE.get(provider)


def bucket_shape(quota: int) -> tuple[float, float]:
    """(capacity, refill per second) for ``quota`` calls a minute: no 60 s window above quota."""
    burst = max(1.0, float(quota // 20))
    return burst, max(quota - burst, 1.0) / 60.0


class Budget(Protocol):
    def take(self, provider: str, quota: int) -> float:
        """Take one call; 0.0 when granted, else the seconds until one may be."""

    def pause(self, provider: str, seconds: float) -> None:
        """Nobody calls ``provider`` for ``seconds`` (a longer pause already set stands)."""

    def paused_for(self, provider: str) -> float:
        """Seconds left of ``provider``'s pause (0.0: not paused)."""


_TAKE = """
local pttl = redis.call('PTTL', KEYS[2])
if pttl > 0 then return tostring(pttl / 1000) end
local now
if ARGV[3] ~= '' then
  now = tonumber(ARGV[3])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local cap = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then tokens = cap; ts = now end
tokens = math.min(cap, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(cap / rate) + 60)
return tostring(wait)
"""

_PAUSE = """
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then redis.call('SET', KEYS[1], '1', 'PX', ms) end
return 1
"""


class RedisBudget:
    """The fleet's budget in Redis. ``clock``: None uses Redis's own TIME (one clock for all)."""

    def __init__(self, url: str, *, clock: Callable[[], float] | None = None):
        import redis

        self._redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self._take = self._redis.register_script(_TAKE)
        self._pause = self._redis.register_script(_PAUSE)
        self._clock = clock

    def take(self, provider: str, quota: int) -> float:
        capacity, rate = bucket_shape(quota)
        now = "" if self._clock is None else repr(self._clock())
        keys = [f"{_prefix()}{provider}:bucket", f"{_prefix()}{provider}:pause"]
        return float(self._take(keys=keys, args=[capacity, rate, now]))

    def pause(self, provider: str, seconds: float) -> None:
        self._pause(keys=[f"{_prefix()}{provider}:pause"], args=[max(1, int(seconds * 1000))])

    def paused_for(self, provider: str) -> float:
        left = int(self._redis.pttl(f"{_prefix()}{provider}:pause"))  # type: ignore[arg-type]
        return left / 1000 if left > 0 else 0.0


class LocalBudget:
    """The same bucket in this process: development without Redis, and the simulated day."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}
        self._paused_until: dict[str, float] = {}

    def take(self, provider: str, quota: int) -> float:
        key = _prefix() + provider
        capacity, rate = bucket_shape(quota)
        with self._lock:
            now = self._clock()
            left = self._paused_until.get(key, 0.0) - now
            if left > 0:
                return left
            tokens, stamp = self._buckets.get(key, (capacity, now))
            tokens = min(capacity, tokens + max(0.0, now - stamp) * rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / rate
            self._buckets[key] = (tokens, now)
            return wait

    def pause(self, provider: str, seconds: float) -> None:
        key = _prefix() + provider
        with self._lock:
            until = self._clock() + seconds
            self._paused_until[key] = max(until, self._paused_until.get(key, 0.0))

    def paused_for(self, provider: str) -> float:
        with self._lock:
            return max(0.0, self._paused_until.get(_prefix() + provider, 0.0) - self._clock())


_override: Budget | None = None


def use(budget: Budget | None) -> None:
    """Install ``budget`` for this process (the simulated day's clock seam); None: the default."""
    global _override
    _override = budget


@cache
def _default(redis_url: str) -> Budget:
    return RedisBudget(redis_url) if redis_url else LocalBudget()


def budget() -> Budget:
    return _override or _default(settings.REDIS_URL or "")


def spend(provider: str) -> None:
    """Take one call from ``provider``'s budget, or raise ``ProviderRateLimited`` (scope "app").

    The error carries the wait in ``retry_after``: the caller ends its task and requeues it
    with that countdown; no worker sleeps.
    """
    quota = calls_per_minute(provider)
    if quota is None:
        return
    try:
        wait = budget().take(provider, quota)
    except Exception:
        logger.warning("provider budget unavailable, call allowed: provider=%s", provider, exc_info=True)
        return
    if wait > 0:
        raise ProviderRateLimited(
            f"{provider}: the app's request budget is spent for now",
            provider=provider,
            retry_after=math.ceil(wait),
            scope="app",
        )


def pause(provider: str, retry_after: float | None) -> None:
    """The provider said "too many requests": every worker leaves it alone for a while."""
    seconds = float(retry_after) if retry_after else float(settings.PROVIDER_PAUSE_MIN_SECONDS)
    try:
        budget().pause(provider, seconds)
    except Exception:
        logger.warning("provider pause not recorded: provider=%s", provider, exc_info=True)
        return
    logger.warning("provider paused for the fleet: provider=%s seconds=%s", provider, int(seconds))


def paused_for(provider: str) -> float:
    try:
        return budget().paused_for(provider)
    except Exception:
        return 0.0
