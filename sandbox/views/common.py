"""Helpers shared by both emulated providers."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from sandbox.models import SandboxPerson


def redirect_uri_ok(redirect_uri: str, *, callback_suffix: str) -> bool:
    """An http(s) URL whose path is the app's social-auth callback for this provider.

    The real providers compare against the app's registered redirect URIs; the sandbox's
    registration is "any host, this callback path", which covers the dev server and the
    live test server on a random port.
    """
    parts = urlsplit(redirect_uri)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and parts.path.endswith(callback_suffix)


def redirect_back(redirect_uri: str, params: dict[str, str], *, fragment: str = "") -> HttpResponseRedirect:
    """302 to the client's redirect_uri with ``params`` added to its query string."""
    separator = "&" if "?" in redirect_uri else "?"
    location = redirect_uri + separator + urlencode(params)
    if fragment:
        location += "#" + fragment
    return HttpResponseRedirect(location)


def error_page(
    request: HttpRequest, *, provider: str, title: str, detail: str, status: int = 400
) -> HttpResponse:
    """A provider error page: a bad client or redirect_uri never redirects (open redirector)."""
    context = {"provider": provider, "title": title, "detail": detail}
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
