"""Google People API ``GET /v1/people/me/connections``: the person's contacts.

https://developers.google.com/people/api/rest/v1/people.connections/list
A full sync asks for a sync token (``requestSyncToken=true``), handed out on the last page;
the next sync sends it back (``syncToken``) and gets only what changed, deletions as
``metadata.deleted``. Sync tokens expire after seven days: the API then answers 400 with
reason ``EXPIRED_SYNC_TOKEN`` and the caller starts over with a full sync.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import requests
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from accounts.clients.base import ProviderClient
from accounts.clients.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderPermissionError,
    ProviderUnavailable,
)
from friends.clients.backoff import BackoffMixin

PERSON_FIELDS = "names,emailAddresses,photos"
MAX_PAGE_SIZE = 1000


class ExpiredSyncToken(ProviderError):
    """The sync token is too old (seven days): run a full sync without it."""

    code = "expired_sync_token"


@dataclass(frozen=True)
class Contact:
    resource_name: str  # people/c…
    etag: str
    name: str
    emails: tuple[str, ...]  # lowercased, in the order Google lists them
    photo_url: str
    deleted: bool  # only in incremental syncs: the contact is gone


@dataclass(frozen=True)
class ContactsPage:
    contacts: list[Contact]
    next_sync_token: str | None  # on the last page, when a sync token was asked for or used
    total_items: int | None


def _reasons(error: dict[str, Any]) -> set[str]:
    details = error.get("details")
    if not isinstance(details, list):
        return set()
    return {d["reason"] for d in details if isinstance(d, dict) and isinstance(d.get("reason"), str)}


def _first(entries: Any) -> dict[str, Any]:
    """The primary entry of a People field (``metadata.primary``), else the first."""
    if not isinstance(entries, list):
        return {}
    entries = [e for e in entries if isinstance(e, dict)]
    for entry in entries:
        if isinstance(entry.get("metadata"), dict) and entry["metadata"].get("primary"):
            return entry
    return entries[0] if entries else {}


def _contact(person: Any) -> Contact:
    if not isinstance(person, dict) or not isinstance(person.get("resourceName"), str):
        raise ProviderUnavailable("people connections: a person without resourceName", provider="google")
    metadata: dict[str, Any] = person["metadata"] if isinstance(person.get("metadata"), dict) else {}
    name = _first(person.get("names"))
    display = name.get("displayName") or " ".join(
        part for part in (name.get("givenName"), name.get("familyName")) if isinstance(part, str) and part
    )
    emails: list[str] = []
    for entry in person.get("emailAddresses") or []:
        value = entry.get("value") if isinstance(entry, dict) else None
        if isinstance(value, str) and value.strip() and value.strip().lower() not in emails:
            emails.append(value.strip().lower())
    return Contact(
        resource_name=person["resourceName"],
        etag=str(person.get("etag") or ""),
        name=str(display or ""),
        emails=tuple(emails),
        photo_url=str(_first(person.get("photos")).get("url") or ""),
        deleted=bool(metadata.get("deleted")),
    )


class PeopleClient(BackoffMixin, ProviderClient):
    """Pages through ``people/me/connections``, full or incremental, backing off on 429."""

    provider = "google"

    def classify_error(self, response: requests.Response, body: Any) -> ProviderError | None:
        # Google's error model: {"error": {"code", "message", "status", "details": [ErrorInfo]}}
        # https://cloud.google.com/apis/design/errors
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return None
        status = response.status_code
        name = error.get("status")
        kwargs: dict[str, Any] = {"provider": "google", "status": status, "detail": str(name or "")}
        if status == 400 and (
            "EXPIRED_SYNC_TOKEN" in _reasons(error)
            or "sync token is expired" in str(error.get("message")).lower()
        ):
            return ExpiredSyncToken("people connections: sync token expired", **kwargs)
        if status == 401:
            return ProviderAuthError("people connections: token rejected", **kwargs)
        if status == 403 and name == "PERMISSION_DENIED":
            return ProviderPermissionError("people connections: contacts scope not granted", **kwargs)
        return None  # 429 and the rest: the base's defaults (rate limited with Retry-After, unavailable)

    @sensitive_variables("access_token")
    def iter_pages(
        self, access_token: str, *, sync_token: str | None = None, page_size: int = 1000
    ) -> Iterator[ContactsPage]:
        """Every page of contacts: all live ones, or with ``sync_token`` only those changed
        since (deleted ones with ``deleted=True``). The last page carries the next sync
        token. Raises ``ExpiredSyncToken`` and the ``ProviderError`` family."""
        params: dict[str, Any] = {
            "personFields": PERSON_FIELDS,
            "pageSize": max(1, min(page_size, MAX_PAGE_SIZE)),
        }
        if sync_token:
            params["syncToken"] = sync_token
        else:
            params["requestSyncToken"] = "true"
        url = f"{settings.GOOGLE_PEOPLE_API_URL}/v1/people/me/connections"
        headers = {"Authorization": f"Bearer {access_token}"}
        page_token: str | None = None
        while True:
            # With pageToken, every other parameter must match the first call's.
            query = {**params, **({"pageToken": page_token} if page_token else {})}
            body = self._with_backoff(
                partial(self._request, "GET", url, role="connections", params=query, headers=headers)
            )
            if not isinstance(body, dict):
                raise ProviderUnavailable("people connections: answer is not an object", provider="google")
            people = body.get("connections") or []  # Google leaves empty lists out
            if not isinstance(people, list):
                raise ProviderUnavailable("people connections: connections is not a list", provider="google")
            next_page = body.get("nextPageToken") or None
            total = body.get("totalItems")
            yield ContactsPage(
                contacts=[_contact(person) for person in people],
                next_sync_token=None if next_page else (body.get("nextSyncToken") or None),
                total_items=total if isinstance(total, int) else None,
            )
            if not next_page:
                return
            if next_page == page_token:
                raise ProviderUnavailable("people connections: paging did not advance", provider="google")
            page_token = next_page
