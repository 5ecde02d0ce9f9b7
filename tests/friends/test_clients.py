"""The friends API clients' edge cases against a faked provider (``responses``).

Real flows against the sandbox are exercised by the sync tests; here each provider
misbehaviour is one row of data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.conf import settings
from django.core.management import call_command

from providers.facebook.friends import FriendsPage, GraphFriend, GraphFriendsClient
from providers.google.contacts import Contact, ExpiredSyncToken, PeopleClient
from providers.http.errors import (
    ProviderAuthError,
    ProviderConfigurationError,
    ProviderDataAccessExpired,
    ProviderPermissionError,
    ProviderRateLimited,
    ProviderUnavailable,
)
from providers.http.paging import PagingError
from sandbox import services
from sandbox.models import SandboxPerson, TokenKind

GRAPH = "https://graph.test"
PEOPLE = "https://people.test"
FRIENDS_URL = f"{GRAPH}/v24.0/me/friends"
CONNECTIONS_URL = f"{PEOPLE}/v1/people/me/connections"
FB_TOKEN = "sbx-fb-at-secret-token-value"
G_TOKEN = "sbx-g-at-secret-token-value"


@pytest.fixture(autouse=True)
def hosts(settings):
    settings.FACEBOOK_GRAPH_URL = GRAPH
    settings.FACEBOOK_GRAPH_VERSION = "v24.0"
    settings.FACEBOOK_APP_SECRET = "app-secret"
    settings.GOOGLE_PEOPLE_API_URL = PEOPLE


@pytest.fixture
def provider():
    """The faked provider; any URL not registered raises (and the client maps that to unavailable)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
    # No token ever travels in a URL (URLs end up in logs, proxies and Referer headers).
    for call in mock.calls:
        assert FB_TOKEN not in call.request.url and G_TOKEN not in call.request.url


class RecordingGraph(GraphFriendsClient):
    def __init__(self) -> None:
        super().__init__(timeout=2)


class RecordingPeople(PeopleClient):
    def __init__(self) -> None:
        super().__init__(timeout=2)


def params_of(call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


Answer = tuple[int, dict[str, str], dict]


def serve(provider, url: str, answers: list[Answer] | Callable[[dict[str, str]], Answer]) -> None:
    """Answer calls of ``url`` in turn from ``answers``, or by asking it with the query."""
    queue = list(answers) if isinstance(answers, list) else None

    def reply(request):
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
        status, headers, body = queue.pop(0) if queue is not None else answers(query)
        return status, headers, json.dumps(body)

    provider.add_callback(responses.GET, url, callback=reply)


# --- Graph /me/friends ---------------------------------------------------------------------


def friend(n: int) -> dict:
    return {
        "id": f"10{n:05d}",
        "name": f"Friend {n}",
        "picture": {"data": {"url": f"https://pics.test/{n}.jpg"}},
    }


def graph_pages(count: int, per_page: int, *, total: int, next_host: str = FRIENDS_URL):
    """A callback serving ``count`` pages by ``after`` cursor, ``next`` on all but the last."""

    def answer(query: dict[str, str]) -> Answer:
        index = int(query.get("after", "c0")[1:])
        data = [friend(index * per_page + i) for i in range(per_page)]
        paging: dict = {"cursors": {"before": f"b{index}", "after": f"c{index + 1}"}}
        if index + 1 < count:
            paging["next"] = f"{next_host}?limit={per_page}&after=c{index + 1}&access_token=leaked"
        return 200, {}, {"data": data, "paging": paging, "summary": {"total_count": total}}

    return answer


def graph_error(code: int, status: int = 400, headers: dict | None = None) -> Answer:
    return status, headers or {}, {"error": {"message": f"(#{code})", "type": "OAuthException", "code": code}}


def test_graph_follows_after_cursors_across_pages(provider):
    serve(provider, FRIENDS_URL, graph_pages(3, 2, total=412))

    pages = list(RecordingGraph().iter_pages(FB_TOKEN, page_size=2))

    assert [len(page.friends) for page in pages] == [2, 2, 2]
    assert pages[0] == FriendsPage(
        friends=[
            GraphFriend(uid="1000000", name="Friend 0", picture_url="https://pics.test/0.jpg"),
            GraphFriend(uid="1000001", name="Friend 1", picture_url="https://pics.test/1.jpg"),
        ],
        total_count=412,
    )
    assert [params_of(call).get("after") for call in provider.calls] == [None, "c1", "c2"]
    for call in provider.calls:
        assert call.request.headers["Authorization"] == f"Bearer {FB_TOKEN}"
        assert len(params_of(call)["appsecret_proof"]) == 64
        assert params_of(call)["limit"] == "2"


def test_graph_never_requests_a_next_url_on_another_host(provider):
    serve(
        provider, FRIENDS_URL, graph_pages(3, 1, total=3, next_host="https://evil.example/v24.0/me/friends")
    )

    pages = list(RecordingGraph().iter_pages(FB_TOKEN, page_size=1))

    assert len(pages) == 3
    assert {urlsplit(call.request.url).netloc for call in provider.calls} == {"graph.test"}


def test_graph_stops_without_next_even_if_a_cursor_is_there(provider):
    page = {
        "data": [friend(1)],
        "paging": {"cursors": {"before": "b", "after": "c1"}},
        "summary": {"total_count": 9},
    }
    serve(provider, FRIENDS_URL, [(200, {}, page)])

    pages = list(RecordingGraph().iter_pages(FB_TOKEN))

    assert len(pages) == 1 and len(provider.calls) == 1


def test_graph_empty_answer_is_one_empty_page(provider):
    serve(provider, FRIENDS_URL, [(200, {}, {"data": [], "summary": {"total_count": 412}})])

    assert list(RecordingGraph().iter_pages(FB_TOKEN)) == [FriendsPage(friends=[], total_count=412)]


def test_graph_page_size_is_capped_at_5000(provider):
    serve(provider, FRIENDS_URL, [(200, {}, {"data": [], "summary": {"total_count": 0}})])

    list(RecordingGraph().iter_pages(FB_TOKEN, page_size=100_000))

    assert params_of(provider.calls[0])["limit"] == "5000"


def test_graph_cursor_that_does_not_advance_is_an_error(provider):
    stuck = {"data": [friend(1)], "paging": {"cursors": {"after": "c1"}, "next": FRIENDS_URL}}
    serve(provider, FRIENDS_URL, [(200, {}, stuck), (200, {}, stuck)])

    with pytest.raises(PagingError):
        list(RecordingGraph().iter_pages(FB_TOKEN))
    assert len(provider.calls) == 2


def test_graph_cursor_that_comes_back_later_is_an_error(provider):
    """A, B, A: a cursor seen earlier in the chain ends the listing, however far back."""
    cursors = iter(["cA", "cB", "cA", "cB", "cA"])

    def reply(query):
        return 200, {}, {"data": [friend(1)], "paging": {"cursors": {"after": next(cursors)}, "next": "n"}}

    serve(provider, FRIENDS_URL, reply)

    with pytest.raises(PagingError):
        list(RecordingGraph().iter_pages(FB_TOKEN))
    assert [params_of(call).get("after") for call in provider.calls] == [None, "cA", "cB"]


def test_graph_more_pages_than_the_bound_is_an_error(provider, settings):
    settings.FRIENDS_SYNC_MAX_PAGES = 3
    serve(provider, FRIENDS_URL, graph_pages(5, 1, total=5))

    pages = RecordingGraph().iter_pages(FB_TOKEN, page_size=1)
    assert len([next(pages) for _ in range(3)]) == 3
    with pytest.raises(PagingError):
        next(pages)
    assert len(provider.calls) == 3  # the fourth page is never asked for


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (graph_error(190), ProviderAuthError),
        (graph_error(200, status=403), ProviderPermissionError),
        (graph_error(10), ProviderPermissionError),
        (graph_error(2, status=500), ProviderUnavailable),
        ((200, {}, {"no": "data"}), ProviderUnavailable),
    ],
)
def test_graph_errors_are_typed_and_not_retried(provider, answer, error):
    serve(provider, FRIENDS_URL, [answer])

    with pytest.raises(error):
        list(RecordingGraph().iter_pages(FB_TOKEN))
    assert len(provider.calls) == 1


def test_graph_data_access_expired_is_its_own_auth_error(provider):
    """190/493 as Graph sends it once data access lapsed (field: MrSwitch/hello.js#548)."""
    body = {
        "error": {
            "message": "The access token is invalid since the user hasn't engaged the app "
            "in longer than 90 days.",
            "type": "OAuthException",
            "code": 190,
            "error_subcode": 493,
            "fbtrace_id": "Hib/71nvuXv",
        }
    }
    serve(provider, FRIENDS_URL, [(400, {}, body)])

    with pytest.raises(ProviderDataAccessExpired) as raised:
        list(RecordingGraph().iter_pages(FB_TOKEN))
    assert isinstance(raised.value, ProviderAuthError) and raised.value.code == "data_access_expired"


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_graph_throttling_is_raised_at_once_for_the_task_to_wait(provider, code):
    """No retry and no sleep inside the client: the task re-queues itself with a countdown."""
    serve(provider, FRIENDS_URL, [graph_error(code)] * 5)

    with pytest.raises(ProviderRateLimited) as raised:
        list(RecordingGraph().iter_pages(FB_TOKEN))
    assert len(provider.calls) == 1
    assert raised.value.retry_after is None  # Graph sends no Retry-After: the task waits a minute


# --- People connections --------------------------------------------------------------------


def person(n: int, *, email: str | None = None) -> dict:
    meta = {"primary": True, "source": {"type": "CONTACT", "id": f"c{n}"}}
    body = {
        "resourceName": f"people/c{n}",
        "etag": f"%e{n}",
        "names": [
            {"metadata": meta, "displayName": f"Contact {n}", "givenName": "Contact", "familyName": str(n)}
        ],
        "photos": [{"metadata": meta, "url": f"https://photos.test/{n}", "default": True}],
    }
    if email:
        body["emailAddresses"] = [{"metadata": meta, "value": email}, {"value": email.lower()}]
    return body


def people_pages(count: int, per_page: int, *, sync: bool = True):
    def answer(query: dict[str, str]) -> Answer:
        index = int(query.get("pageToken", "p0")[1:])
        body: dict = {
            "connections": [
                person(index * per_page + i, email=f"C{index}.{i}@Example.COM") for i in range(per_page)
            ],
            "totalItems": count * per_page,
        }
        if index + 1 < count:
            body["nextPageToken"] = f"p{index + 1}"
        elif sync:
            body["nextSyncToken"] = "sync-2"
        return 200, {}, body

    return answer


def google_error(status: int, name: str, reason: str | None = None, headers: dict | None = None) -> Answer:
    error: dict = {"code": status, "message": name.lower(), "status": name}
    if reason:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason}]
    return status, headers or {}, {"error": error}


EXPIRED = (
    400,
    {},
    {
        "error": {
            "code": 400,
            "message": "Sync token is expired. Clear local cache and retry call without the sync token.",
            "status": "FAILED_PRECONDITION",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "EXPIRED_SYNC_TOKEN"}
            ],
        }
    },
)


def test_people_full_sync_pages_and_asks_for_a_sync_token(provider):
    serve(provider, CONNECTIONS_URL, people_pages(3, 2))

    pages = list(RecordingPeople().iter_pages(G_TOKEN, page_size=2))

    assert [len(page.contacts) for page in pages] == [2, 2, 2]
    assert [page.next_sync_token for page in pages] == [None, None, "sync-2"]
    assert pages[0].total_items == 6
    assert pages[0].contacts[0] == Contact(
        resource_name="people/c0",
        etag="%e0",
        name="Contact 0",
        emails=("c0.0@example.com",),  # lowercased, duplicates folded
        photo_url="https://photos.test/0",
        deleted=False,
    )
    sent = [params_of(call) for call in provider.calls]
    assert [p.get("pageToken") for p in sent] == [None, "p1", "p2"]
    for p in sent:
        # metadata: the only way an incremental sync sees metadata.deleted.
        assert p["personFields"] == "metadata,names,emailAddresses,photos"
        assert p["pageSize"] == "2"
        assert p["requestSyncToken"] == "true" and "syncToken" not in p
    assert all(call.request.headers["Authorization"] == f"Bearer {G_TOKEN}" for call in provider.calls)


def test_people_default_page_size_is_1000(provider):
    serve(provider, CONNECTIONS_URL, [(200, {}, {"totalItems": 0, "nextSyncToken": "s"})])

    pages = list(RecordingPeople().iter_pages(G_TOKEN))

    assert params_of(provider.calls[0])["pageSize"] == "1000"
    assert pages[0].contacts == [] and pages[0].next_sync_token == "s"


def test_people_incremental_sync_sends_the_token_and_parses_deletions(provider):
    tombstone = {"resourceName": "people/c7", "etag": "%gone", "metadata": {"deleted": True}}
    body = {"connections": [person(3, email="New@Example.com"), tombstone], "nextSyncToken": "sync-3"}
    serve(provider, CONNECTIONS_URL, [(200, {}, body)])

    (page,) = list(RecordingPeople().iter_pages(G_TOKEN, sync_token="sync-2"))

    assert page.contacts[1] == Contact(
        resource_name="people/c7", etag="%gone", name="", emails=(), photo_url="", deleted=True
    )
    assert page.contacts[0].emails == ("new@example.com",) and not page.contacts[0].deleted
    assert page.next_sync_token == "sync-3" and page.total_items is None
    sent = params_of(provider.calls[0])
    assert sent["syncToken"] == "sync-2" and "requestSyncToken" not in sent


def test_people_expired_sync_token(provider):
    serve(provider, CONNECTIONS_URL, [EXPIRED])
    client = RecordingPeople()

    with pytest.raises(ExpiredSyncToken) as raised:
        list(client.iter_pages(G_TOKEN, sync_token="old"))
    assert raised.value.code == "expired_sync_token"
    assert len(provider.calls) == 1


def test_people_expired_sync_token_as_410(provider):
    """Google's guide sample checks 410 for an expired sync token; observed answers say 400."""
    _, headers, body = EXPIRED
    serve(provider, CONNECTIONS_URL, [(410, headers, {"error": {**body["error"], "code": 410}})])

    with pytest.raises(ExpiredSyncToken):
        list(RecordingPeople().iter_pages(G_TOKEN, sync_token="old"))


def test_people_410_with_another_reason_is_not_an_expired_sync_token(provider):
    serve(provider, CONNECTIONS_URL, [google_error(410, "GONE", "SOMETHING_ELSE")])

    with pytest.raises(ProviderUnavailable):
        list(RecordingPeople().iter_pages(G_TOKEN, sync_token="old"))


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (google_error(401, "UNAUTHENTICATED"), ProviderAuthError),
        (google_error(403, "PERMISSION_DENIED", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"), ProviderPermissionError),
        (google_error(403, "PERMISSION_DENIED", "SERVICE_DISABLED"), ProviderConfigurationError),
        (google_error(403, "PERMISSION_DENIED", "BILLING_DISABLED"), ProviderConfigurationError),
        (google_error(403, "PERMISSION_DENIED"), ProviderConfigurationError),
        (google_error(403, "PERMISSION_DENIED", "RATE_LIMIT_EXCEEDED"), ProviderRateLimited),
        (google_error(400, "INVALID_ARGUMENT"), ProviderUnavailable),
        (google_error(500, "INTERNAL"), ProviderUnavailable),
    ],
)
def test_people_errors_are_typed_and_not_retried(provider, answer, error):
    serve(provider, CONNECTIONS_URL, [answer])

    with pytest.raises(error):
        list(RecordingPeople().iter_pages(G_TOKEN))
    assert len(provider.calls) == 1


# A People API call from a Cloud project where the API is not enabled: Google's error model
# (https://cloud.google.com/apis/design/errors) with ErrorInfo SERVICE_DISABLED
# (https://github.com/googleapis/googleapis/blob/master/google/api/error_reason.proto); the
# activationUrl key as live answers carry it (field: NoeFabris/opencode-antigravity-auth#478).
ACTIVATION = "https://console.developers.google.com/apis/api/people.googleapis.com/overview?project=123"
SERVICE_DISABLED = {
    "error": {
        "code": 403,
        "message": f"People API has not been used in project 123 before or it is disabled. Enable it by "
        f"visiting {ACTIVATION} then retry.",
        "status": "PERMISSION_DENIED",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "SERVICE_DISABLED",
                "domain": "googleapis.com",
                "metadata": {
                    "consumer": "projects/123",
                    "service": "people.googleapis.com",
                    "activationUrl": ACTIVATION,
                },
            }
        ],
    }
}


def test_people_service_disabled_tells_the_operator_what_to_enable(provider):
    serve(provider, CONNECTIONS_URL, [(403, {}, SERVICE_DISABLED)])

    with pytest.raises(ProviderConfigurationError) as raised:
        list(RecordingPeople().iter_pages(G_TOKEN))

    assert not isinstance(raised.value, ProviderPermissionError)  # granting a scope again won't help
    assert raised.value.action == (
        f"Enable the People API (people.googleapis.com) in Google Cloud project projects/123: {ACTIVATION}"
    )


def test_people_service_disabled_from_the_help_link_or_the_legacy_reason(provider):
    """The older shape: ErrorInfo without activationUrl but a Help link (mxrch/GHunt#382), and
    the legacy ``errors[].reason`` accessNotConfigured (ThomasHabets/cmdg#93)."""
    help_only = {
        "error": {
            "code": 403,
            "message": "People API has not been used in project 123 before or it is disabled.",
            "status": "PERMISSION_DENIED",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.Help", "links": [{"url": ACTIVATION}]},
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "SERVICE_DISABLED",
                    "metadata": {"consumer": "projects/123", "service": "people.googleapis.com"},
                },
            ],
        }
    }
    legacy = {
        "error": {
            "code": 403,
            "message": "Access Not Configured.",
            "errors": [{"domain": "usageLimits", "reason": "accessNotConfigured", "message": "..."}],
        }
    }
    serve(provider, CONNECTIONS_URL, [(403, {}, help_only), (403, {}, legacy)])

    with pytest.raises(ProviderConfigurationError) as first:
        list(RecordingPeople().iter_pages(G_TOKEN))
    with pytest.raises(ProviderConfigurationError) as second:
        list(RecordingPeople().iter_pages(G_TOKEN))

    assert first.value.action.endswith(ACTIVATION)
    assert "Enable the People API" in second.value.action


@pytest.mark.parametrize(
    ("headers", "details", "retry_after"),
    [
        ({}, [], None),  # nothing said: the task waits at least a minute
        ({"Retry-After": "3"}, [], 3),  # the provider's word
        ({}, [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "42s"}], 42),
    ],
)
def test_people_429_is_raised_at_once_with_the_wait_google_asked_for(provider, headers, details, retry_after):
    """No retry and no sleep inside the client: the task re-queues itself with a countdown."""
    status, _, body = google_error(429, "RESOURCE_EXHAUSTED", "RATE_LIMIT_EXCEEDED")
    body["error"]["details"] += details
    serve(provider, CONNECTIONS_URL, [(status, headers, body)] * 5)

    with pytest.raises(ProviderRateLimited) as raised:
        list(RecordingPeople().iter_pages(G_TOKEN))
    assert len(provider.calls) == 1
    assert raised.value.retry_after == retry_after


def test_people_page_token_that_comes_back_is_an_error(provider):
    tokens = iter(["pA", "pB", "pA", "pB"])

    def reply(query):
        return 200, {}, {"connections": [person(1)], "nextPageToken": next(tokens)}

    serve(provider, CONNECTIONS_URL, reply)

    with pytest.raises(PagingError):
        list(RecordingPeople().iter_pages(G_TOKEN))
    assert [params_of(call).get("pageToken") for call in provider.calls] == [None, "pA", "pB"]


def test_people_more_pages_than_the_bound_is_an_error(provider, settings):
    settings.FRIENDS_SYNC_MAX_PAGES = 2
    serve(provider, CONNECTIONS_URL, people_pages(4, 1))

    with pytest.raises(PagingError):
        list(RecordingPeople().iter_pages(G_TOKEN, page_size=1))
    assert len(provider.calls) == 2


def test_people_malformed_json_is_unavailable(provider):
    provider.add(responses.GET, CONNECTIONS_URL, body='{"connections": [', content_type="application/json")

    with pytest.raises(ProviderUnavailable):
        list(RecordingPeople().iter_pages(G_TOKEN))


# --- Against the sandbox over real HTTP ---------------------------------------------------


@pytest.fixture
def sandbox_hosts(settings, live_server):
    """Both clients pointed at the sandbox served by the live test server."""
    settings.FACEBOOK_GRAPH_URL = f"{live_server.url}/sandbox/graph"
    settings.FACEBOOK_APP_SECRET = "sandbox-facebook-secret"
    settings.GOOGLE_PEOPLE_API_URL = f"{live_server.url}/sandbox/people"
    return live_server


def _sandbox_token(provider: str, person, scopes: str) -> str:
    client_id = settings.FACEBOOK_APP_ID if provider == "facebook" else settings.GOOGLE_CLIENT_ID
    return services.token_issue(
        provider=provider,
        kind=TokenKind.ACCESS,
        person=person,
        client_id=client_id,
        scopes=scopes.split(),
        lifetime=600,
    ).value


@pytest.mark.django_db(transaction=True)
def test_both_clients_against_the_sandbox(sandbox_hosts):
    call_command("seed_sandbox", people=30, friends_per_person=25, contacts_per_person=30, stdout=StringIO())
    ada = SandboxPerson.objects.get(email="ada@sandbox.example")

    fb = _sandbox_token("facebook", ada, "public_profile user_friends")
    friend_pages = list(GraphFriendsClient().iter_pages(fb, page_size=10))
    assert [len(page.friends) for page in friend_pages] == [10, 10, 5]
    assert friend_pages[0].total_count == 32  # 25 generated + the 7 named, who never signed in here

    google = _sandbox_token("google", ada, "openid https://www.googleapis.com/auth/contacts.readonly")
    full = list(PeopleClient().iter_pages(google, page_size=7))
    assert sum(len(page.contacts) for page in full) == 30
    sync_token = full[-1].next_sync_token
    assert sync_token and all(page.next_sync_token is None for page in full[:-1])

    gone = ada.contacts.order_by("id").first()
    services.contact_delete(contact=gone)
    (changes,) = list(PeopleClient().iter_pages(google, sync_token=sync_token))
    assert [(c.resource_name, c.deleted) for c in changes.contacts] == [(gone.resource_name, True)]
