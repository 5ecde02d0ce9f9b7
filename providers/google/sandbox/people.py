"""Emulated Google People API: ``GET /v1/people/me/connections``.

https://developers.google.com/people/api/rest/v1/people.connections/list
Served under ``<site>/sandbox/people``, the default ``GOOGLE_PEOPLE_API_URL`` in the sandbox.

``personFields`` is a field mask, required, and honoured as Google does: each person carries
``resourceName`` and ``etag`` and only the fields asked for. ``metadata`` included, so a
deleted contact in an incremental sync shows ``metadata.deleted`` only to a client that
asked for ``metadata`` (Google's sync samples ask for "metadata,names,emailAddresses":
https://developers.google.com/people/v1/contacts#list_the_users_contacts_that_have_changed).
"""

from __future__ import annotations

import zlib

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from providers.google.sandbox import services as g_services
from providers.google.sandbox import wire as g_wire
from providers.google.sandbox.views import _bearer_token
from sandbox import faults, services, social
from sandbox.models import SandboxContact, SandboxPerson

# Person fields the real API accepts in ``personFields``; the sandbox fills the first three.
# https://developers.google.com/people/api/rest/v1/people/get#query-parameters
PERSON_FIELDS = frozenset(
    {
        "addresses", "ageRanges", "biographies", "birthdays", "calendarUrls", "clientData",
        "coverPhotos", "emailAddresses", "events", "externalIds", "genders", "imClients",
        "interests", "locales", "locations", "memberships", "metadata", "miscKeywords", "names",
        "nicknames", "occupations", "organizations", "phoneNumbers", "photos", "relations",
        "sipAddresses", "skills", "urls", "userDefined",
    }
)  # fmt: skip


def _page_size(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return social.CONNECTIONS_DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        return None
    return size if 1 <= size <= social.CONNECTIONS_MAX_PAGE_SIZE else None


def _person(contact: SandboxContact, fields: set[str], avatar: str) -> dict[str, object]:
    """One Person with only the masked ``fields`` (resourceName and etag always)."""
    source = {"type": "CONTACT", "id": contact.resource_name.removeprefix("people/")}
    person: dict[str, object] = {"resourceName": contact.resource_name, "etag": contact.etag}
    if contact.deleted_at is not None:
        # An incremental sync reports a deletion as a tombstone: PersonMetadata.deleted, seen
        # only through the ``metadata`` field.
        if "metadata" in fields:
            person["metadata"] = {"deleted": True}
        return person
    if "metadata" in fields:
        # PersonMetadata: https://developers.google.com/people/api/rest/v1/people#personmetadata
        person["metadata"] = {"sources": [{**source, "etag": contact.etag}], "objectType": "PERSON"}
    meta = {"primary": True, "source": source}
    if "names" in fields and contact.display_name:
        name = {"metadata": meta, "displayName": contact.display_name, "givenName": contact.given_name}
        if contact.family_name:
            name["familyName"] = contact.family_name
        person["names"] = [name]
    if "emailAddresses" in fields and contact.email:
        person["emailAddresses"] = [{"metadata": meta, "value": contact.email}]
    if "photos" in fields:
        if contact.photo_url:
            person["photos"] = [{"metadata": meta, "url": contact.photo_url}]
        else:
            # Google always answers a photo; without one it is a generated initials picture.
            person["photos"] = [{"metadata": meta, "url": avatar.format(contact.initials), "default": True}]
    return person


@csrf_exempt
@require_GET
def connections(request: HttpRequest) -> HttpResponse:
    """``people/me/connections``: page and sync tokens, tombstones on incremental syncs."""
    mode = faults.take("google", "connections")
    canned = faults.answer("google", "connections", mode)
    if canned is not None:
        return canned
    access = _bearer_token(request)
    if access is None:
        return g_wire.google_unauthenticated()
    if mode == "access_token_expired":
        services.token_expire(token=access)
        return g_wire.google_unauthenticated()
    if not g_services.CONTACTS_SCOPES & set(access.scope_list):
        return g_wire.google_scope_insufficient()

    raw_fields = request.GET.get("personFields", "")
    if not raw_fields:
        return g_wire.google_invalid_argument(
            "personFields mask is required. Please specify one or more valid paths. Valid paths are "
            "documented at https://developers.google.com/people/api/rest/v1/people.connections/list."
        )
    fields = {f.strip() for f in raw_fields.split(",") if f.strip()}
    if unknown := sorted(fields - PERSON_FIELDS):
        return g_wire.google_invalid_argument(f'Invalid personFields mask path: "{unknown[0]}".')
    page_size = _page_size(request.GET.get("pageSize"))
    if page_size is None:
        return g_wire.google_invalid_argument("Page size must be between 1 and 1000.")

    try:
        page = social.connections_slice(
            owner=access.person,
            page_size=page_size,
            page_token=request.GET.get("pageToken") or None,
            sync_token=request.GET.get("syncToken") or None,
            request_sync_token=request.GET.get("requestSyncToken", "").lower() == "true",
        )
    except social.SyncTokenExpired:
        return g_wire.google_expired_sync_token()
    except social.BadToken as error:
        return g_wire.google_invalid_argument(f"The {error.args[0]} token is invalid.")

    avatar = request.build_absolute_uri(reverse("sandbox:contact-photo", args=["XX"])).replace("XX", "{}")
    body: dict[str, object] = {}
    if page.contacts:
        # Google leaves empty lists out of its JSON altogether.
        body["connections"] = [_person(c, fields, avatar) for c in page.contacts]
    next_page_token = page.next_page_token
    if mode == "paging_loop":
        next_page_token = _looping_page_token(request, access.person) or next_page_token
    if next_page_token:
        body["nextPageToken"] = next_page_token
    if page.next_sync_token and not next_page_token:
        body["nextSyncToken"] = page.next_sync_token
    body["totalPeople"] = body["totalItems"] = page.total_items
    return JsonResponse(body)


def _looping_page_token(request: HttpRequest, owner: SandboxPerson) -> str | None:
    """The ``paging_loop`` fault: page tokens that go round, A, B, A, … (A leads past the
    first contact, B past the second), whichever page was asked for."""
    sync_token = request.GET.get("syncToken") or None
    wants_sync = request.GET.get("requestSyncToken", "").lower() == "true"
    first = social.connections_slice(
        owner=owner, page_size=1, sync_token=sync_token, request_sync_token=wants_sync
    ).next_page_token
    if not first:
        return None
    second = social.connections_slice(owner=owner, page_size=1, page_token=first).next_page_token
    if not second:
        return None
    return second if request.GET.get("pageToken") == first else first


# Google's default contact photos are a letter on a coloured disc.
_PHOTO_COLOURS = ("#5c6bc0", "#26a69a", "#ef5350", "#ab47bc", "#8d6e63", "#42a5f5", "#ffa726", "#78909c")


@require_GET
@cache_control(max_age=86400, public=True)
def contact_photo(request: HttpRequest, initials: str) -> HttpResponse:
    """The default photo of a contact without one: up to two letters on a disc (SVG)."""
    if not 1 <= len(initials) <= 2:
        raise Http404
    colour = _PHOTO_COLOURS[zlib.crc32(initials.encode()) % len(_PHOTO_COLOURS)]
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="50" height="50" viewBox="0 0 50 50">'
        f'<rect width="50" height="50" rx="25" fill="{colour}"/>'
        '<text x="25" y="31" font-family="system-ui,Arial,sans-serif" font-size="18" font-weight="600" '
        f'fill="#fff" text-anchor="middle">{escape(initials)}</text></svg>'
    )
    return HttpResponse(svg, content_type="image/svg+xml")
