"""The emulated People API ``people/me/connections``: page tokens, sync tokens, tombstones."""

from __future__ import annotations

import pytest

from sandbox import services
from sandbox.models import SandboxContact, SandboxPerson
from tests.sandbox.flows import g_token_request, g_tokens

pytestmark = pytest.mark.django_db

CONNECTIONS = "/sandbox/people/v1/people/me/connections"
FIELDS = "names,emailAddresses,photos"
SYNC_FIELDS = "metadata,names,emailAddresses,photos"


def connections(client, token: str, **params):
    params = {"personFields": FIELDS, **params}
    return client.get(CONNECTIONS, params, HTTP_AUTHORIZATION=f"Bearer {token}")


def list_all(client, token: str, **params) -> tuple[list[dict], list[dict]]:
    """Follow nextPageToken to the end; every entry, and each page's body."""
    entries, bodies, page_token = [], [], None
    while True:
        extra = {"pageToken": page_token} if page_token else {}
        response = connections(client, token, **params, **extra)
        assert response.status_code == 200, response.content
        body = response.json()
        bodies.append(body)
        entries += body.get("connections", [])
        page_token = body.get("nextPageToken")
        if not page_token:
            return entries, bodies


@pytest.fixture
def token(client, ada) -> str:
    body, _ = g_tokens(client, ada)
    return body["access_token"]


@pytest.fixture
def book(ada) -> list[SandboxContact]:
    """Ada's six seeded contacts plus five more: eleven live contacts."""
    for index in range(5):
        services.contact_add(
            owner=ada, given_name=f"Extra{index}", family_name="Contact", email=f"X{index}@Example.COM"
        )
    return list(SandboxContact.objects.filter(owner=ada).order_by("id"))


def test_a_fresh_roster_has_a_small_address_book_with_roster_emails(ada, people):
    emails = set(ada.contacts.values_list("email", flat=True))

    assert ada.contacts.count() == 6
    assert len(emails & {p.email for p in people}) == 3
    assert None in emails  # one contact has no email at all


def test_answer_shape(client, token, ada):
    body = connections(client, token).json()

    first = body["connections"][0]
    contact = ada.contacts.order_by("id").first()
    assert first["resourceName"] == contact.resource_name and first["resourceName"].startswith("people/c")
    assert first["etag"] == contact.etag
    name = first["names"][0]
    assert (name["displayName"], name["givenName"], name["familyName"]) == (
        contact.display_name,
        contact.given_name,
        contact.family_name,
    )
    assert first["emailAddresses"][0]["value"] == contact.email
    assert first["photos"][0]["url"].startswith("http://testserver/sandbox/avatars/contacts/")
    assert body["totalItems"] == 6
    assert "nextPageToken" not in body and "nextSyncToken" not in body


def test_default_photo_is_served(client, token):
    url = connections(client, token).json()["connections"][0]["photos"][0]["url"]

    response = client.get(url.removeprefix("http://testserver"))

    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"


def test_pages_with_page_tokens_and_the_sync_token_comes_on_the_last_page(client, token, book):
    entries, bodies = list_all(client, token, pageSize=4, requestSyncToken="true")

    assert [len(body["connections"]) for body in bodies] == [4, 4, 3]
    assert [entry["resourceName"] for entry in entries] == [c.resource_name for c in book]
    assert ["nextSyncToken" in body for body in bodies] == [False, False, True]
    assert all(body["totalItems"] == 11 for body in bodies)


def test_no_sync_token_unless_asked(client, token, book):
    _, bodies = list_all(client, token, pageSize=4)

    assert not any("nextSyncToken" in body for body in bodies)


def test_incremental_sync_returns_changes_and_tombstones(client, token, ada, book):
    _, bodies = list_all(client, token, pageSize=4, requestSyncToken="true")
    sync_token = bodies[-1]["nextSyncToken"]
    changed, gone = book[0], book[1]
    old_etag = changed.etag
    services.contact_update(contact=changed, given_name="Augusta")
    services.contact_delete(contact=gone)
    added = services.contact_add(owner=ada, given_name="Newcomer", email="new@example.com")

    entries, bodies = list_all(client, token, pageSize=2, syncToken=sync_token, personFields=SYNC_FIELDS)

    by_name = {entry["resourceName"]: entry for entry in entries}
    assert set(by_name) == {changed.resource_name, gone.resource_name, added.resource_name}
    assert by_name[changed.resource_name]["names"][0]["givenName"] == "Augusta"
    assert by_name[changed.resource_name]["etag"] != old_etag
    assert by_name[gone.resource_name] == {
        "resourceName": gone.resource_name,
        "etag": SandboxContact.objects.get(pk=gone.pk).etag,
        "metadata": {"deleted": True},
    }
    next_token = bodies[-1]["nextSyncToken"]

    # Nothing changed since: an empty answer that still hands out a sync token.
    quiet = connections(client, token, syncToken=next_token, personFields=SYNC_FIELDS).json()
    assert "connections" not in quiet and quiet["nextSyncToken"]


def test_the_field_mask_is_honoured_as_google_does(client, token, ada, book):
    """Only the fields asked for, besides resourceName and etag; a deletion shows as
    metadata.deleted only to a client that asked for metadata.
    https://developers.google.com/people/api/rest/v1/people.connections/list#query-parameters"""
    sync_token = list_all(client, token, requestSyncToken="true")[1][-1]["nextSyncToken"]
    services.contact_delete(contact=book[1])

    names_only = connections(client, token, personFields="names").json()["connections"][0]
    with_metadata = connections(client, token, personFields="metadata").json()["connections"][0]
    blind = connections(client, token, syncToken=sync_token, personFields="names").json()["connections"]
    seen = connections(client, token, syncToken=sync_token, personFields="metadata").json()["connections"]

    assert set(names_only) == {"resourceName", "etag", "names"}
    assert set(with_metadata) == {"resourceName", "etag", "metadata"}
    assert with_metadata["metadata"]["sources"][0]["type"] == "CONTACT"
    assert "deleted" not in with_metadata["metadata"]
    assert blind == [{"resourceName": book[1].resource_name, "etag": blind[0]["etag"]}]
    assert seen == [
        {"resourceName": book[1].resource_name, "etag": blind[0]["etag"], "metadata": {"deleted": True}}
    ]


def test_without_person_fields_is_invalid_argument_as_at_google(client, token):
    response = client.get(CONNECTIONS, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    assert "personFields" in error["message"]


def test_a_full_sync_leaves_deleted_contacts_out(client, token, book):
    services.contact_delete(contact=book[0])

    entries, _ = list_all(client, token, pageSize=100)

    assert book[0].resource_name not in {entry["resourceName"] for entry in entries}
    assert len(entries) == 10


EXPIRED = {
    "error": {
        "code": 400,
        "message": "Sync token is expired. Clear local cache and retry call without the sync token.",
        "status": "FAILED_PRECONDITION",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "EXPIRED_SYNC_TOKEN",
                "domain": "people.googleapis.com",
                "metadata": {
                    "service": "people.googleapis.com",
                    "method": "google.people.v1.PeopleService.ListConnections",
                },
            }
        ],
    }
}


def test_sync_tokens_expire(client, token, settings):
    sync_token = connections(client, token, requestSyncToken="true").json()["nextSyncToken"]
    settings.SANDBOX_SYNC_TOKEN_SECONDS = 0

    response = connections(client, token, syncToken=sync_token)

    assert response.status_code == 400 and response.json() == EXPIRED


def test_expired_sync_token_on_demand(client, token, arm):
    sync_token = connections(client, token, requestSyncToken="true").json()["nextSyncToken"]
    arm("google", "connections", "expired_sync_token")

    response = connections(client, token, syncToken=sync_token)

    assert response.status_code == 400 and response.json() == EXPIRED
    assert connections(client, token, syncToken=sync_token).status_code == 200


def test_someone_elses_sync_token_is_refused(client, token, people):
    grace = SandboxPerson.objects.get(email="grace@sandbox.example")
    body, _ = g_tokens(client, grace)
    graces = connections(client, body["access_token"], requestSyncToken="true").json()["nextSyncToken"]

    response = connections(client, token, syncToken=graces)

    assert response.status_code == 400 and response.json()["error"]["status"] == "INVALID_ARGUMENT"


@pytest.mark.parametrize(
    "params",
    [{"personFields": ""}, {"personFields": "names,shoeSize"}, {"pageSize": "0"}, {"pageSize": "1001"}],
)
def test_bad_arguments(client, token, params):
    response = connections(client, token, **params)

    assert response.status_code == 400 and response.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_without_the_contacts_scope_is_permission_denied(client, ada):
    body, _ = g_tokens(client, ada, ticked=[])

    response = connections(client, body["access_token"])

    assert response.status_code == 403
    assert response.json()["error"]["status"] == "PERMISSION_DENIED"


def test_without_a_valid_token_is_unauthenticated(client, people):
    response = client.get(CONNECTIONS, {"personFields": FIELDS}, HTTP_AUTHORIZATION="Bearer sbx-g-at-nope")

    assert response.status_code == 401 and response.json()["error"]["status"] == "UNAUTHENTICATED"


def test_service_disabled_on_demand(client, token, arm):
    """The People API not enabled in the Cloud project: 403 with ErrorInfo SERVICE_DISABLED,
    as the API design guide and error_reason.proto describe it (see ``wire``)."""
    arm("google", "connections", "service_disabled")

    response = connections(client, token)

    assert response.status_code == 403
    error = response.json()["error"]
    assert (error["code"], error["status"]) == (403, "PERMISSION_DENIED")
    info = next(d for d in error["details"] if d["@type"] == "type.googleapis.com/google.rpc.ErrorInfo")
    assert (info["reason"], info["domain"]) == ("SERVICE_DISABLED", "googleapis.com")
    assert info["metadata"]["service"] == "people.googleapis.com"
    assert info["metadata"]["consumer"].startswith("projects/")
    assert info["metadata"]["activationUrl"].startswith(
        "https://console.developers.google.com/apis/api/people.googleapis.com/overview?project="
    )
    assert connections(client, token).status_code == 200


def test_access_token_expired_on_demand_kills_only_the_access_token(client, ada, arm):
    body, _ = g_tokens(client, ada)
    arm("google", "connections", "access_token_expired")

    assert connections(client, body["access_token"]).status_code == 401
    assert connections(client, body["access_token"]).status_code == 401  # dead for good
    refreshed = g_token_request(
        client, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    )
    assert refreshed.status_code == 200  # the refresh token lives on
    assert connections(client, refreshed.json()["access_token"]).status_code == 200


def test_paging_loop_on_demand_sends_page_tokens_round(client, token, book, arm):
    arm("google", "connections", "paging_loop", times=4)

    seen = []
    page_token = None
    for _ in range(4):
        extra = {"pageToken": page_token} if page_token else {}
        page_token = connections(client, token, pageSize=4, **extra).json()["nextPageToken"]
        seen.append(page_token)

    assert seen[0] == seen[2] and seen[1] == seen[3] and seen[0] != seen[1]


def test_rate_limited_on_demand(client, token, arm):
    arm("google", "connections", "rate_limited")

    response = connections(client, token)

    assert response.status_code == 429 and response["Retry-After"] == "1"
    assert response.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert connections(client, token).status_code == 200
