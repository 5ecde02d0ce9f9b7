"""The emulated Graph ``/me/friends``: cursor paging, the app-user visibility rule, permissions."""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from sandbox import services
from sandbox.models import Provider, SandboxPerson, TokenKind
from tests.sandbox.flows import FB_VERSION, fb_token, proof, query

pytestmark = pytest.mark.django_db

GRAPH = f"/sandbox/graph/{FB_VERSION}"


def friends(client, token: str, **params):
    """Token in the Authorization header, proof beside it: how socialsite's client calls."""
    return client.get(
        f"{GRAPH}/me/friends",
        {"appsecret_proof": proof(token), **params},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def uses_app(person: SandboxPerson, scopes: str = "public_profile user_friends"):
    """``person`` signed in to the app on Facebook with these scopes."""
    return services.token_issue(
        provider=Provider.FACEBOOK,
        kind=TokenKind.ACCESS,
        person=person,
        client_id=settings.FACEBOOK_APP_ID,
        scopes=scopes.split(),
        lifetime=3600,
    )


@pytest.fixture
def others(people, ada) -> list[SandboxPerson]:
    """Ada's seven roster friends, in id order (the order Graph lists them here)."""
    return [person for person in people if person.pk != ada.pk]


@pytest.fixture
def visible(others) -> list[SandboxPerson]:
    """Five of Ada's friends use the app with user_friends; Grace declined it, Alan revoked."""
    grace, alan, *rest = others
    uses_app(grace, "public_profile email")
    services.grant_revoke(
        provider=Provider.FACEBOOK, person=uses_app(alan).person, client_id=settings.FACEBOOK_APP_ID
    )
    for person in rest:
        uses_app(person)
    return rest


def test_the_roster_is_everyones_friend(client, ada, others):
    assert {friend.pk for friend in others} == set(ada.friendships.values_list("friend_id", flat=True))


def test_lists_only_friends_who_use_the_app_but_counts_all(client, ada, visible):
    body = friends(client, fb_token(client, ada), limit=25).json()

    assert [node["id"] for node in body["data"]] == [p.facebook_id for p in visible]
    assert body["summary"] == {"total_count": 7}
    first = body["data"][0]
    assert first["name"] == visible[0].name
    assert first["picture"]["data"]["url"] == f"http://testserver/sandbox/avatars/{visible[0].pk}.svg"
    assert "next" not in body["paging"]


def test_pages_with_after_cursors_until_no_next(client, ada, visible):
    token = fb_token(client, ada)
    seen, pages, after = [], [], None

    while True:
        params = {"limit": 2, **({"after": after} if after else {})}
        body = friends(client, token, **params).json()
        pages.append(len(body["data"]))
        seen += [node["id"] for node in body["data"]]
        assert body["summary"]["total_count"] == 7
        if "next" not in body["paging"]:
            break
        after = body["paging"]["cursors"]["after"]
        base64.urlsafe_b64decode(after + "=" * (-len(after) % 4))  # opaque, but base64

    assert pages == [2, 2, 1]
    assert seen == [p.facebook_id for p in visible]


def test_next_is_an_absolute_url_on_the_graph_host_without_the_token(client, ada, visible):
    token = fb_token(client, ada)

    body = friends(client, token, limit=2).json()

    next_url = body["paging"]["next"]
    assert urlsplit(next_url).netloc == "testserver"
    assert urlsplit(next_url).path == f"{GRAPH}/me/friends"
    assert query(next_url) == {"limit": "2", "after": body["paging"]["cursors"]["after"]}
    assert token not in next_url


def test_before_cursor_walks_back(client, ada, visible):
    token = fb_token(client, ada)
    second = friends(
        client, token, limit=2, after=friends(client, token, limit=2).json()["paging"]["cursors"]["after"]
    )

    back = friends(client, token, limit=2, before=second.json()["paging"]["cursors"]["before"]).json()

    assert [node["id"] for node in back["data"]] == [p.facebook_id for p in visible[:2]]


def test_fields_narrow_the_answer(client, ada, visible):
    body = friends(client, fb_token(client, ada), fields="id,name").json()

    assert set(body["data"][0]) == {"id", "name"}


def test_a_friend_who_revokes_disappears_but_still_counts(client, ada, visible):
    token = fb_token(client, ada)
    services.grant_revoke(provider=Provider.FACEBOOK, person=visible[0], client_id=settings.FACEBOOK_APP_ID)

    body = friends(client, token).json()

    assert visible[0].facebook_id not in [node["id"] for node in body["data"]]
    assert body["summary"]["total_count"] == 7


def test_unfriending_changes_both_sides(client, ada, others):
    grace = others[0]
    uses_app(grace)
    ada_token = fb_token(client, ada)

    assert services.friendship_remove(person=grace, friend=ada) is True

    assert friends(client, ada_token).json()["summary"]["total_count"] == 6
    assert not grace.friendships.filter(friend=ada).exists()
    assert services.friendship_add(person=ada, friend=grace) is True
    assert grace.friendships.filter(friend=ada).exists()


def test_without_user_friends_is_a_permission_error(client, ada, visible):
    response = friends(client, fb_token(client, ada, ticked=("email",)))

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["type"]) == (200, "OAuthException")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"appsecret_proof": "0" * 64}, 100),  # wrong proof
        ({"HTTP_AUTHORIZATION": "Bearer sbx-fb-at-unknown"}, 100),  # proof no longer matches the token
    ],
)
def test_token_and_proof_are_checked_like_me(client, ada, change, code):
    token = fb_token(client, ada)
    params = {"appsecret_proof": proof(token)}
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    for key, value in change.items():
        (headers if key.startswith("HTTP_") else params)[key] = value

    response = client.get(f"{GRAPH}/me/friends", params, **headers)

    assert response.json()["error"]["code"] == code


def test_revoked_token_is_error_190(client, ada):
    token = fb_token(client, ada)
    services.grant_revoke(provider=Provider.FACEBOOK, person=ada, client_id=settings.FACEBOOK_APP_ID)

    response = friends(client, token)

    assert response.status_code == 400 and response.json()["error"]["code"] == 190


def test_missing_token_is_error_2500(client, people):
    assert client.get(f"{GRAPH}/me/friends").json()["error"]["code"] == 2500


@pytest.mark.parametrize(("limit", "listed"), [("1", 1), ("99999", 5), ("", 5)])
def test_limit_is_capped(client, ada, visible, limit, listed):
    body = friends(client, fb_token(client, ada), limit=limit).json()

    assert len(body["data"]) == listed


def test_non_numeric_limit_and_bad_cursor_are_graph_errors(client, ada):
    token = fb_token(client, ada)

    assert friends(client, token, limit="ten").json()["error"]["code"] == 100
    assert friends(client, token, after="not-a-cursor").json()["error"]["code"] == 100


def test_rate_limited_fault(client, ada, arm):
    token = fb_token(client, ada)
    arm("facebook", "friends", "rate_limited")

    response = friends(client, token)

    assert response.status_code == 400 and response.json()["error"]["code"] == 4
    assert friends(client, token).status_code == 200
