"""Helpers shared by every emulated provider."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

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
