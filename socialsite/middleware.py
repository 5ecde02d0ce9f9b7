"""Pages shown to a signed-in person are never stored by a browser or a shared cache.

Django's ``never_cache`` on every view would do the same until someone forgets one; this
applies ``add_never_cache_headers`` (``Cache-Control: max-age=0, no-cache, no-store,
must-revalidate, private``) to every response for a person who is signed in when the
request starts or ends (sign-in callback, sign-out), whatever view or middleware made it.
``no-store`` is what keeps the Back button, after sign-out, from showing the friends list
from the browser's cache. Static files never get here: WhiteNoise answers them earlier.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers


def _signed_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class PrivatePagesNeverCachedMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        signed_in_before = _signed_in(request)
        response = self.get_response(request)
        if signed_in_before or _signed_in(request):
            add_never_cache_headers(response)
        return response
