"""Google People API ``GET /v1/people/me/connections``: the person's contacts.

https://developers.google.com/people/api/rest/v1/people.connections/list
A full sync asks for a sync token (``requestSyncToken=true``), handed out on the last page;
the next sync sends it back (``syncToken``) and gets only what changed, deletions as
``metadata.deleted``. Sync tokens expire after seven days: the API then answers with
ErrorInfo reason ``EXPIRED_SYNC_TOKEN`` (seen as 400; Google's own guide sample checks
410) and the caller starts over with a full sync.

Errors follow Google's error model (https://cloud.google.com/apis/design/errors): the
``reason`` of the ``google.rpc.ErrorInfo`` detail says what went wrong, and the reasons of
Google's own infrastructure are listed in ``error_reason.proto``
(https://github.com/googleapis/googleapis/blob/master/google/api/error_reason.proto).
A 403 is a missing scope only with reason ``ACCESS_TOKEN_SCOPE_INSUFFICIENT``; with
``SERVICE_DISABLED`` the People API is not enabled in our Cloud project, which the
operator must fix, not the person.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from providers.http.client import ProviderClient, _retry_after
from providers.http.errors import (
    ProviderAuthError,
    ProviderConfigurationError,
    ProviderError,
    ProviderPermissionError,
    ProviderRateLimited,
    ProviderUnavailable,
)
from providers.http.paging import PageChain

# The field mask: Google answers only these fields (plus resourceName and etag). ``metadata``
# is what carries ``deleted: true`` for a contact removed since the sync token was issued;
# Google's own sync samples ask for it ("metadata,names,emailAddresses").
# https://developers.google.com/people/api/rest/v1/people.connections/list#query-parameters
# https://developers.google.com/people/v1/contacts#list_the_users_contacts_that_have_changed
PERSON_FIELDS = "metadata,names,emailAddresses,photos"
MAX_PAGE_SIZE = 1000

ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo"
HELP_TYPE = "type.googleapis.com/google.rpc.Help"
RETRY_INFO_TYPE = "type.googleapis.com/google.rpc.RetryInfo"
# 403 reasons that mean the token lacks a scope: ErrorInfo's, and the legacy ``errors[]`` one.
SCOPE_REASONS = frozenset({"ACCESS_TOKEN_SCOPE_INSUFFICIENT", "insufficientPermissions"})
# 403 reasons that mean the API is not enabled for our project: ErrorInfo's, and the legacy
# ``errors[]`` one that older Google APIs (and clients) report.
SERVICE_DISABLED_REASONS = frozenset({"SERVICE_DISABLED", "accessNotConfigured"})
# Quota refusals that some Google APIs answer with 403 rather than 429 (ErrorInfo's reason,
# and the legacy ``errors[]`` ones, e.g. https://developers.google.com/admin-sdk/directory/v1/limits):
# a rate limit, whatever the status.
RATE_LIMIT_REASONS = frozenset({"RATE_LIMIT_EXCEEDED", "rateLimitExceeded", "userRateLimitExceeded"})


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


def _details(error: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    details = error.get("details")
    if not isinstance(details, list):
        return []
    return [d for d in details if isinstance(d, dict) and d.get("@type") == type_]


def _reasons(error: dict[str, Any]) -> set[str]:
    """Every reason the error names: its ErrorInfo details and the legacy ``errors[]`` list."""
    reasons = {d["reason"] for d in _details(error, ERROR_INFO_TYPE) if isinstance(d.get("reason"), str)}
    legacy = error.get("errors")
    if isinstance(legacy, list):
        reasons |= {e["reason"] for e in legacy if isinstance(e, dict) and isinstance(e.get("reason"), str)}
    return reasons


def _https(value: Any) -> str:
    """``value`` when it is an https URL of reasonable length, else ""."""
    return value if isinstance(value, str) and value.startswith("https://") and len(value) <= 300 else ""


def _service_disabled_action(error: dict[str, Any]) -> str:
    """What the operator must do, from the ErrorInfo metadata (``activationUrl``, ``consumer``)
    or, failing that, the ``google.rpc.Help`` link."""
    metadata: dict[str, Any] = {}
    for info in _details(error, ERROR_INFO_TYPE):
        if info.get("reason") == "SERVICE_DISABLED" and isinstance(info.get("metadata"), dict):
            metadata = info["metadata"]
    url = _https(metadata.get("activationUrl"))
    if not url:
        for help_ in _details(error, HELP_TYPE):
            links = help_.get("links")
            for link in links if isinstance(links, list) else []:
                url = url or _https(link.get("url") if isinstance(link, dict) else None)
    service = str(metadata.get("service") or "people.googleapis.com")[:64]
    consumer = str(metadata.get("consumer") or "")[:64]
    where = f" in Google Cloud project {consumer}" if consumer else " in the project of GOOGLE_CLIENT_ID"
    return f"Enable the People API ({service}){where}" + (f": {url}" if url else ".")


def _retry_delay(error: dict[str, Any]) -> float | None:
    """``google.rpc.RetryInfo.retryDelay`` ("30s"), when Google sends one."""
    for info in _details(error, RETRY_INFO_TYPE):
        delay = info.get("retryDelay")
        if isinstance(delay, str) and delay.endswith("s"):
            try:
                return max(0.0, float(delay[:-1]))
            except ValueError:
                return None
    return None


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


class PeopleClient(ProviderClient):
    """Pages through ``people/me/connections``, full or incremental.

    A 429 is raised at once as ``ProviderRateLimited``: waiting is the task's business (it
    re-queues itself with a countdown), never a sleep here.
    """

    provider = "google"

    def classify_error(self, response: requests.Response, body: Any) -> ProviderError | None:
        # Google's error model: {"error": {"code", "message", "status", "details": [ErrorInfo]}}
        # https://cloud.google.com/apis/design/errors
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return None
        status = response.status_code
        name = error.get("status")
        reasons = _reasons(error)
        kwargs: dict[str, Any] = {
            "provider": "google",
            "status": status,
            "detail": " ".join([str(name or ""), *sorted(reasons)]).strip()[:200],
        }
        # The reference documents only the reason; observed answers are 400, Google's guide
        # sample checks 410. Either status with the reason (or the observed message) counts.
        # https://developers.google.com/people/api/rest/v1/people.connections/list
        # https://developers.google.com/people/v1/other-contacts (the sample's 410)
        if status in (400, 410) and (
            "EXPIRED_SYNC_TOKEN" in reasons or "sync token is expired" in str(error.get("message")).lower()
        ):
            return ExpiredSyncToken("people connections: sync token expired", **kwargs)
        if status == 401:
            return ProviderAuthError("people connections: token rejected", **kwargs)
        if status == 429 or (status == 403 and reasons & RATE_LIMIT_REASONS):
            # Retry-After is not promised by Google; RetryInfo is its structured form.
            header = _retry_after(response)
            return ProviderRateLimited(
                "people connections: rate limited",
                retry_after=header if header is not None else _retry_delay(error),
                **kwargs,
            )
        if status == 403:
            message = str(error.get("message")).lower()
            if reasons & SCOPE_REASONS or (not reasons and "insufficient authentication scopes" in message):
                return ProviderPermissionError("people connections: contacts scope not granted", **kwargs)
            if reasons & SERVICE_DISABLED_REASONS:
                return ProviderConfigurationError(
                    "people connections: the People API is not enabled for this project",
                    action=_service_disabled_action(error),
                    **kwargs,
                )
            # Any other refusal (billing, suspended project, an organisation's policy) is
            # not something granting a scope again would fix.
            return ProviderConfigurationError(
                "people connections: refused",
                action=f"Google refused the People API call: 403 {kwargs['detail'] or 'without a reason'}.",
                **kwargs,
            )
        return None  # the rest: the base's defaults (unavailable)

    @sensitive_variables("access_token")
    def iter_pages(
        self, access_token: str, *, sync_token: str | None = None, page_size: int = 1000
    ) -> Iterator[ContactsPage]:
        """Every page of contacts: all live ones, or with ``sync_token`` only those changed
        since (deleted ones with ``deleted=True``). The last page carries the next sync
        token. Raises ``ExpiredSyncToken``, ``PagingError`` (a page token seen before, or
        more than ``FRIENDS_SYNC_MAX_PAGES`` pages) and the ``ProviderError`` family."""
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
        chain = PageChain(provider="google", role="connections")
        while True:
            # With pageToken, every other parameter must match the first call's.
            query = {**params, **({"pageToken": page_token} if page_token else {})}
            body = self._request("GET", url, role="connections", params=query, headers=headers)
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
            chain.follow(str(next_page))
            page_token = str(next_page)
