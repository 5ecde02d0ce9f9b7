"""The admin site: Django's, with its password sign-in locked after repeated failures.

``ADMIN_LOGIN_FAILURE_LIMIT`` failed sign-ins from one client address, or for one
username, within ``ADMIN_LOGIN_LOCKOUT_SECONDS`` lock that address or username out of
``/admin/login/`` for ``ADMIN_LOGIN_LOCKOUT_SECONDS`` from the last of them (a 429 page,
even with the right password). The counts and the locks live in the Django cache (Redis in
production), counted by django-ratelimit like the site's other limits.

Why not django-axes: it hooks every ``authenticate()`` call and login signal site-wide, so
it would also record provider sign-ins (and a failed callback's query string, with its
authorization code) in its tables. The admin is the only password form here, so the
lockout sits on that one view.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

import redis
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django_ratelimit.core import get_usage

from socialsite.ratelimits import client_address, too_many_requests

logger = logging.getLogger(__name__)


def _keys(request: HttpRequest) -> dict[str, str]:
    """What a failure counts against: the client address and the username tried."""
    keys = {"address": client_address(request), "username": request.POST.get("username", "").strip().lower()}
    return {scope: value for scope, value in keys.items() if value}


def _lock_key(scope: str, value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()
    return f"{settings.RATELIMIT_CACHE_PREFIX}admin-login-lock:{scope}:{digest}"


def _locked_for(request: HttpRequest) -> int:
    """Seconds the address or username is still locked out (0: not locked)."""
    now = time.time()
    try:
        cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
        until = [cache.get(_lock_key(scope, value)) or 0 for scope, value in _keys(request).items()]
    except (redis.RedisError, OSError) as error:
        # Operators must still get in while the cache is down; the outage is in the log.
        logger.warning("admin sign-in lockout not checked, cache unavailable: %s", error)
        return 0
    return max([int(u - now) for u in until if u > now], default=0)


def _count_failure(request: HttpRequest) -> None:
    """Count a failed sign-in; at the limit, lock that address or username out for the whole period."""
    limit, period = settings.ADMIN_LOGIN_FAILURE_LIMIT, settings.ADMIN_LOGIN_LOCKOUT_SECONDS
    try:
        cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
        for scope, value in _keys(request).items():
            usage = get_usage(
                request,
                group=f"admin_login_failures:{scope}",
                key=lambda _group, _request, value=value: value,
                rate=f"{limit}/{period}s",
                increment=True,
            )
            if usage is not None and usage["count"] >= limit:
                cache.set(_lock_key(scope, value), time.time() + period, timeout=period)
                logger.warning("admin sign-in locked: %s after %s failures", scope, usage["count"])
    except (redis.RedisError, OSError) as error:
        logger.warning("admin sign-in failure not counted, cache unavailable: %s", error)


class AdminSite(admin.AdminSite):
    site_header = "socialsite administration"
    site_title = "socialsite admin"

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.method != "POST":
            return super().login(request, extra_context)
        locked_for = _locked_for(request)
        if locked_for:
            logger.warning("admin sign-in refused, locked out: address=%s", client_address(request))
            return too_many_requests(
                request,
                retry_after=locked_for,
                title="Too many failed sign-ins",
                explanation="There were too many wrong passwords for this account or from your "
                "connection, so admin sign-in is paused for a while.",
            )
        response = super().login(request, extra_context)
        if response.status_code == 200:  # the form came back with an error: a failed attempt
            logger.info("admin sign-in failed: address=%s", client_address(request))
            _count_failure(request)
        return response


class AdminConfig(DjangoAdminConfig):
    default_site = "accounts.admin_site.AdminSite"
