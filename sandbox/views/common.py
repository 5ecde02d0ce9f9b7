"""Helpers shared by every emulated provider."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_plus, urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.debug import sensitive_variables

from providers import registry
from sandbox.models import SandboxPerson


def redirect_uri_registered(redirect_uri: str, *, provider: str) -> bool:
    """Is ``redirect_uri`` one of the URIs the app registered with ``provider``, exactly?

    Both providers compare the whole string: scheme, host, port, path, and no query or
    fragment the registration does not have; no prefix or "same path" matching.
    Google: "Error 400: redirect_uri_mismatch" unless it matches an authorized redirect URI
    exactly (https://developers.google.com/identity/protocols/oauth2/web-server#authorization-errors-redirect-uri-mismatch).
    Meta: with Strict Mode (on for every app since 2018) only exact matches of the "Valid
    OAuth Redirect URIs" pass (https://developers.facebook.com/docs/facebook-login/security/#strict_mode,
    https://developers.facebook.com/blog/post/2017/12/18/strict-uri-matching/).
    The registrations are ``settings.SANDBOX_REDIRECT_URIS`` (``SANDBOX_REGISTERED_SITES``).
    """
    registered: dict[str, list[str]] = getattr(settings, "SANDBOX_REDIRECT_URIS", {})
    return bool(redirect_uri) and redirect_uri in registered.get(provider, ())


def redirect_back(redirect_uri: str, params: dict[str, str], *, fragment: str = "") -> HttpResponseRedirect:
    """302 to the client's redirect_uri with ``params`` added to its query string."""
    separator = "&" if "?" in redirect_uri else "?"
    location = redirect_uri + separator + urlencode(params)
    if fragment:
        location += "#" + fragment
    return HttpResponseRedirect(location)


def error_page(
    request: HttpRequest,
    *,
    provider: str,
    title: str,
    detail: str,
    status: int = 400,
    redirect_uri: str = "",
) -> HttpResponse:
    """A provider error page: a bad client or redirect_uri never redirects (open redirector).

    ``redirect_uri`` is shown as the request detail, as Google's page does, beside the URIs
    the sandbox has registered, so a developer sees what to register.
    """
    registered: dict[str, list[str]] = getattr(settings, "SANDBOX_REDIRECT_URIS", {})
    known = registry.any_provider(provider)
    emulator = known.emulator()
    context = {
        "provider": provider,
        "provider_label": known.label,
        "heading": emulator.dialog_heading if emulator is not None else known.label,
        "title": title,
        "detail": detail,
        "redirect_uri": redirect_uri,
        "registered": registered.get(provider, []) if redirect_uri else [],
    }
    return render(request, "sandbox/error.html", context, status=status)


def avatar_url(request: HttpRequest, person: SandboxPerson) -> str:
    """An absolute URL of the person's sandbox-served SVG avatar (no external host)."""
    return request.build_absolute_uri(reverse("sandbox:avatar", args=[person.pk]))


def chosen_person(request: HttpRequest) -> SandboxPerson | None:
    """The person whose "Continue as …" button was pressed."""
    raw = request.POST.get("person", "")
    if not raw.isdigit():
        return None
    return SandboxPerson.objects.filter(pk=int(raw)).first()


@sensitive_variables("secret", "decoded")
def client_credentials(request: HttpRequest, *, form_encoded: bool) -> tuple[str, str] | None:
    """``(client_id, client_secret)`` from HTTP Basic (``client_secret_basic``) or the form
    (``client_secret_post``); None for a Basic header that does not decode.

    ``form_encoded``: each half of the Basic credentials is form-urlencoded before joining, as
    RFC 6749 §2.3.1 has it (an OAuth 2.0 server such as Google's); GitHub reads them raw.
    """
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return request.POST.get("client_id", ""), request.POST.get("client_secret", "")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, _, secret = decoded.partition(":")
    if form_encoded:
        client_id, secret = unquote_plus(client_id), unquote_plus(secret)
    return client_id, secret
