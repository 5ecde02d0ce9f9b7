"""Rate limits on the endpoints a crawler or a script can hammer, per client address and per person.

Counting is django-ratelimit's (fixed windows in the Django cache: Redis in production, so
every web process shares the counts; the in-process cache in development). The rates are
``settings.RATE_LIMITS``, read at request time: ``{group: {"address": rate, "person": rate}}``
with django-ratelimit's rate syntax (``"30/m"``, ``"5/15m"``). A request over either limit
gets a 429 page in plain words with a "Try again" link and a ``Retry-After`` header.

The client address is the connection's (``REMOTE_ADDR``) unless ``TRUSTED_PROXY_COUNT``
says how many proxies in front of the web processes append to ``X-Forwarded-For``; then
it is the entry the outermost trusted proxy wrote. Entries to the left of it come from the
client and are never trusted. IPv6 addresses count per /64, as one host usually has a
whole /64.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]
IPV6_PREFIX = 64


def client_address(request: HttpRequest) -> str:
    """The address to count a request against (see the module docstring)."""
    address = request.META.get("REMOTE_ADDR", "") or ""
    trusted = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if trusted > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= trusted:
            address = hops[-trusted]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_PREFIX}", strict=False).network_address)
    return str(parsed)


@dataclass(frozen=True)
class Verdict:
    limited: bool
    retry_after: int = 0


def check(request: HttpRequest, group: str, *, increment: bool = True) -> Verdict:
    """Count this request in ``group`` for its address and its person; over either limit → limited.

    A cache that does not answer never locks people out: the request goes through and the
    failure is logged (the limits are a guard, not the product).
    """
    rates: dict[str, str] = settings.RATE_LIMITS.get(group, {})
    keys: dict[str, str] = {"address": client_address(request)}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        keys["person"] = str(user.pk)
    limited, retry_after = False, 0
    for scope, value in keys.items():
        rate = rates.get(scope)
        if not rate:
            continue
        try:
            usage = get_usage(
                request,
                group=f"{group}:{scope}",
                key=lambda _group, _request, value=value: value,
                rate=rate,
                increment=increment,
            )
        except (redis.RedisError, OSError) as error:
            logger.warning("rate limit not checked, cache unavailable: group=%s error=%s", group, error)
            continue
        if usage and usage["should_limit"]:
            limited = True
            retry_after = max(retry_after, int(usage["time_left"]))
    if limited:
        logger.warning("rate limited: group=%s address=%s", group, keys["address"])
    return Verdict(limited=limited, retry_after=max(retry_after, 1) if limited else 0)


def wait_words(seconds: int) -> str:
    """``90`` → "2 minutes", ``1`` → "1 second": how long to wait, rounded up."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def too_many_requests(
    request: HttpRequest, *, retry_after: int, title: str = "", explanation: str = ""
) -> HttpResponse:
    """The 429 page: what happened in plain words and a "Try again" link back to where the person was."""
    referer = request.META.get("HTTP_REFERER", "")
    same_site = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    try_again = referer if referer and same_site else reverse("home")
    response = render(
        request,
        "errors/rate_limited.html",
        {
            "title": title or "Too many attempts",
            "explanation": explanation
            or "That was tried too many times in a short while from your connection or your account, "
            "so we paused it to keep socialsite safe.",
            "wait": wait_words(retry_after),
            "try_again_url": try_again,
        },
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    add_never_cache_headers(response)
    return response


def rate_limited(group: str) -> Callable[[View], View]:
    """Decorate a view: each request counts in ``group``; over the limit it gets the 429 page."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            verdict = check(request, group)
            if verdict.limited:
                return too_many_requests(request, retry_after=verdict.retry_after)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
