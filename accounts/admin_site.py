"""The admin site: Django's, with its password sign-in locked after repeated failures.

``ADMIN_LOGIN_FAILURE_LIMIT`` failed sign-ins from one client address, or for one
username, within ``ADMIN_LOGIN_LOCKOUT_SECONDS`` lock that address or username out of
``/admin/login/`` (a 429 page, even with the right password) until the window ends. The
counts live in the Django cache (Redis in production), through django-ratelimit like the
site's other limits. Why not django-axes: it hooks every ``authenticate()`` call and login
signal site-wide, so it would also record provider sign-ins (and a failed callback's query
string, with its authorization code) in its tables; the admin is the only password form
here, so the lockout sits on that one view.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.http import HttpRequest, HttpResponse
from django_ratelimit.core import get_usage

from socialsite.ratelimits import client_address, too_many_requests

logger = logging.getLogger(__name__)


def _failure_counts(request: HttpRequest, *, increment: bool) -> list[dict[str, Any]]:
    rate = f"{settings.ADMIN_LOGIN_FAILURE_LIMIT}/{settings.ADMIN_LOGIN_LOCKOUT_SECONDS}s"
    username = request.POST.get("username", "").strip().lower()
    keys = {"address": client_address(request), "username": username}
    usages = []
    for scope, value in keys.items():
        if not value:
            continue
        try:
            usage = get_usage(
                request,
                group=f"admin_login_failures:{scope}",
                key=lambda _group, _request, value=value: value,
                rate=rate,
                increment=increment,
            )
        except (redis.RedisError, OSError) as error:
            # Operators must still get in while the cache is down; the outage is in the log.
            logger.warning("admin sign-in lockout not checked, cache unavailable: %s", error)
            continue
        if usage is not None:
            usages.append(usage)
    return usages


class AdminSite(admin.AdminSite):
    site_header = "socialsite administration"
    site_title = "socialsite admin"

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.method != "POST":
            return super().login(request, extra_context)
        locked = [u for u in _failure_counts(request, increment=False) if u["count"] >= u["limit"]]
        if locked:
            logger.warning("admin sign-in refused, locked out: address=%s", client_address(request))
            return too_many_requests(
                request,
                retry_after=max(1, max(int(u["time_left"]) for u in locked)),
                title="Too many failed sign-ins",
                explanation="There were too many wrong passwords for this account or from your "
                "connection, so admin sign-in is paused for a while.",
            )
        response = super().login(request, extra_context)
        if response.status_code == 200:  # the form came back with an error: a failed attempt
            _failure_counts(request, increment=True)
            logger.info("admin sign-in failed: address=%s", client_address(request))
        return response


class AdminConfig(DjangoAdminConfig):
    default_site = "accounts.admin_site.AdminSite"
