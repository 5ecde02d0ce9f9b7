"""Answer shapes every emulator shares: no-store, OAuth 2.0 errors, a truncated body.

Each provider's own envelopes live in its package (``providers/<name>/sandbox/wire.py``),
so its endpoints and its fault answers look identical.
"""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse


def no_store(response: HttpResponse) -> HttpResponse:
    """Token answers must not be cached (RFC 6749 §5.1)."""
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def oauth_error(error: str, description: str | None = None, *, status: int = 400) -> JsonResponse:
    """OAuth 2.0 error body (RFC 6749 §5.2), the shape Google's token endpoint uses."""
    body = {"error": error}
    if description is not None:
        body["error_description"] = description
    return JsonResponse(body, status=status)


def malformed_json() -> HttpResponse:
    """A 200 whose JSON body stops half-way, as a dropped proxy connection leaves it."""
    return HttpResponse(b'{"sandbox": "this body is trunc', content_type="application/json; charset=UTF-8")
