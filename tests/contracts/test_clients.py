"""Our clients against the providers' documented answers (served by ``responses``).

Each documented answer must parse into what it says, and each documented error must map
to the typed error that makes the product do the right thing (reconnect, grant permission,
back off, tell the operator).
"""

from __future__ import annotations

import pytest
import responses
from django.core.cache import cache
from social_django.utils import load_strategy

from providers.facebook.client import FacebookTokenClient
from providers.facebook.friends import GraphFriendsClient
from providers.google.backend import CONTACTS_SCOPE, GoogleBackend
from providers.google.client import GoogleOAuthClient, token_endpoint_auth_method
from providers.google.contacts import ExpiredSyncToken, PeopleClient
from providers.http.errors import (
    ProviderAuthError,
    ProviderConfigurationError,
    ProviderPermissionError,
    ProviderRateLimited,
)
from tests.contracts import load

GRAPH = "https://graph.facebook.com"
ISSUER = "https://accounts.google.com"
PEOPLE = "https://people.googleapis.com"
VERSION = "v24.0"
FRIENDS_URL = f"{GRAPH}/{VERSION}/me/friends"
CONNECTIONS_URL = f"{PEOPLE}/v1/people/me/connections"
TOKEN = "EAAtoken"


@pytest.fixture(autouse=True)
def real_hosts(settings):
    """The providers' own hosts, as the documentation names them."""
    settings.FACEBOOK_GRAPH_URL = GRAPH
    settings.FACEBOOK_GRAPH_VERSION = VERSION
    settings.FACEBOOK_APP_ID, settings.FACEBOOK_APP_SECRET = "1234", "app-secret"
    settings.GOOGLE_OIDC_ISSUER = ISSUER
    settings.GOOGLE_PEOPLE_API_URL = PEOPLE
    settings.GOOGLE_CLIENT_ID, settings.GOOGLE_CLIENT_SECRET = "client.apps.googleusercontent.com", "secret"
    settings.GOOGLE_TOKEN_ENDPOINT_AUTH_METHOD = ""
    cache.clear()  # the discovery document is cached per issuer
    yield
    cache.clear()


@pytest.fixture
def provider():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def serve(mock: responses.RequestsMock, method: str, url: str, name: str, **changes) -> None:
    contract = load(name)
    body = contract.answer()
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)  # an answer without this (optional) key
        else:
            body[key] = value
    mock.add(method, url, json=body, status=contract.status)


class NoSleep:
    """Backoff without waiting (the clients' ``_sleep`` seam)."""

    def _sleep(self, seconds: float) -> None:
        pass


class People(NoSleep, PeopleClient):
    pass


class Friends(NoSleep, GraphFriendsClient):
    pass


# --- Facebook ---------------------------------------------------------------------------


def test_long_lived_token_answer(provider):
    serve(provider, "GET", f"{GRAPH}/{VERSION}/oauth/access_token", "facebook/token")

    answer = FacebookTokenClient().exchange_for_long_lived(TOKEN)

    assert answer["access_token"] == "{long-lived-user-access-token}"
    assert answer["expires_in"] == 5183944


def test_friends_page(provider):
    serve(provider, "GET", FRIENDS_URL, "facebook/me_friends")
    last = load("facebook/me_friends").answer()
    del last["paging"]["next"]
    last["data"] = []
    provider.add("GET", FRIENDS_URL, json=last)

    pages = list(Friends().iter_pages(TOKEN))

    first = pages[0]
    assert first.total_count == 412
    assert [(f.uid, f.name) for f in first.friends] == [("10100000000000001", "Grace Hopper")]
    assert first.friends[0].picture_url.startswith("https://platform-lookaside.fbsbx.com/")
    # The second request asked for the page after the documented cursor.
    assert "after=MTAxNTExOTQ1MjAwNzI5NDE%3D" in provider.calls[1].request.url


@pytest.mark.parametrize("name", ["facebook/error_190_460", "facebook/error_190_463"])
def test_graph_token_errors_mean_reconnect(provider, name):
    serve(provider, "GET", FRIENDS_URL, name)

    with pytest.raises(ProviderAuthError) as caught:
        list(Friends().iter_pages(TOKEN))
    subcode = load(name).body["error"]["error_subcode"]
    assert caught.value.detail == f"code=190 subcode={subcode}"


# --- Google: OpenID Connect and OAuth ------------------------------------------------------


def google_backend() -> GoogleBackend:
    return GoogleBackend(load_strategy())



def test_discovery_document_and_the_auth_method_it_implies(provider):
    serve(provider, "GET", f"{ISSUER}/.well-known/openid-configuration", "google/discovery")

    document = GoogleOAuthClient().discovery()

    assert document["token_endpoint"] == "https://oauth2.googleapis.com/token"
    assert document["revocation_endpoint"] == "https://oauth2.googleapis.com/revoke"
    assert token_endpoint_auth_method(document) == "client_secret_basic"


def test_an_issuer_offering_only_client_secret_post_gets_it():
    document = load("google/discovery").answer()
    document["token_endpoint_auth_methods_supported"] = ["client_secret_post"]

    assert token_endpoint_auth_method(document) == "client_secret_post"


def test_refresh_answer(provider):
    serve(provider, "GET", f"{ISSUER}/.well-known/openid-configuration", "google/discovery")
    # Without the (optional) id_token: the fixture's is a placeholder no key signs, and an
    # id_token that comes is validated (tests/accounts/test_google_client.py).
    serve(provider, "POST", "https://oauth2.googleapis.com/token", "google/refresh", id_token=None)

    answer = GoogleOAuthClient().refresh("1//refresh", subject="110169484474386276334")

    assert answer["access_token"] == "1/fFAGRNJru1FTz70BzhT3Zg"
    assert answer["expires_in"] == 3920
    assert "refresh_token" not in answer  # Google does not rotate it: the stored one stays


def test_token_answer_scopes_are_what_the_person_granted():
    answer = load("google/token").answer()
    granted, _ = google_backend().granted_scopes(answer)

    assert granted == answer["scope"].split()


def test_token_answer_with_email_and_profile_in_url_form_declines_nothing():
    answer = load("google/token").answer()
    answer["scope"] = " ".join(
        [
            "openid",
            "https://www.googleapis.com/auth/userinfo.email",
            "https://www.googleapis.com/auth/userinfo.profile",
            CONTACTS_SCOPE,
        ]
    )
    _, declined = google_backend().granted_scopes(answer)

    assert declined == []


# --- Google: People API ----------------------------------------------------------------


def test_connections_page(provider):
    serve(provider, "GET", CONNECTIONS_URL, "google/connections_list", nextPageToken=None)

    (page,) = list(People().iter_pages(TOKEN))

    grace, gone = page.contacts
    assert (grace.resource_name, grace.name, grace.emails) == (
        "people/c7142462727258425368",
        "Grace Hopper",
        ("grace@example.com",),
    )
    assert grace.photo_url == "https://lh3.googleusercontent.com/cm/AOxyz" and not grace.deleted
    assert gone.resource_name == "people/c2451237887209547411" and gone.deleted
    assert page.next_sync_token == "EOv8yq2QMxIBAA"
    assert page.total_items == 2


def test_missing_scope_means_grant_permission(provider):
    serve(provider, "GET", CONNECTIONS_URL, "google/error_403_scope_insufficient")

    with pytest.raises(ProviderPermissionError):
        list(People().iter_pages(TOKEN))


def test_disabled_people_api_is_not_a_missing_scope(provider):
    serve(provider, "GET", CONNECTIONS_URL, "google/error_403_service_disabled")

    with pytest.raises(ProviderConfigurationError) as caught:
        list(People().iter_pages(TOKEN))
    assert not isinstance(caught.value, ProviderPermissionError)
    assert not isinstance(caught.value, ProviderAuthError)


def test_quota_exhausted_means_back_off(provider):
    contract = load("google/error_429")
    provider.add("GET", CONNECTIONS_URL, json=contract.answer(), status=contract.status)

    with pytest.raises(ProviderRateLimited) as caught:
        list(People().iter_pages(TOKEN))
    assert caught.value.retry_after is None  # none documented: the client picks its own wait


def test_expired_sync_token_means_full_sync(provider):
    serve(provider, "GET", CONNECTIONS_URL, "google/error_400_expired_sync_token")

    with pytest.raises(ExpiredSyncToken):
        list(People().iter_pages(TOKEN, sync_token="EOv8yq2QMxIBAA"))
