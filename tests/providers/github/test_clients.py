"""GitHub's clients against a faked GitHub (``responses``): one misbehaviour per test.

Wire details: docs.github.com pages cited in providers/github/client.py.
"""

from __future__ import annotations

import json

import pytest
import responses

from providers.github.client import GitHubFollowingClient, GitHubTokenClient
from providers.github.provider import GitHubFollowing, etags_marker
from providers.http.errors import (
    ProviderAuthError,
    ProviderConfigurationError,
    ProviderPermissionError,
    ProviderRateLimited,
    ProviderUnavailable,
)
from providers.http.paging import PagingError
from tests.contracts import load

WEB = "https://github.test"
API = "https://api.github.test"
FOLLOWING = f"{API}/user/following"
TOKEN = "sbx-gho_secret-token-value"
NOW = 1_700_000_000.0


@pytest.fixture(autouse=True)
def hosts(settings):
    settings.GITHUB_URL = WEB
    settings.GITHUB_API_URL = API
    settings.GITHUB_CLIENT_ID = "client-id"
    settings.GITHUB_CLIENT_SECRET = "client-secret"


@pytest.fixture
def github():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
    for call in mock.calls:  # no token in a URL, ever
        assert TOKEN not in call.request.url


def client() -> GitHubFollowingClient:
    return GitHubFollowingClient(clock=lambda: NOW)


def user(number: int) -> dict:
    return {
        "login": f"user{number}",
        "id": number,
        "avatar_url": f"https://avatars.test/{number}",
        "type": "User",
    }


def page_url(page: int, per_page: int = 100) -> str:
    return f"{FOLLOWING}?per_page={per_page}&page={page}"


def add_page(
    github, page: int, users: list[dict], *, last: int, etag: str, status: int = 200, **headers
) -> None:
    link = (
        {"Link": f'<{page_url(page + 1)}>; rel="next", <{page_url(last)}>; rel="last"'} if page < last else {}
    )
    github.add(
        responses.GET,
        page_url(page),
        body="" if status == 304 else json.dumps(users),
        status=status,
        headers={"ETag": etag, **link, **headers},
        match=[responses.matchers.query_param_matcher({"per_page": "100", "page": str(page)})],
    )


def test_the_list_is_read_page_by_page_from_the_link_header_with_github_s_headers(github):
    add_page(github, 1, [user(1), user(2)], last=2, etag='W/"a"')
    add_page(github, 2, [user(3)], last=2, etag='W/"b"')

    listing = client().listing(TOKEN)

    assert [p.uid for p in listing.people] == ["1", "2", "3"]
    assert listing.etags == ['W/"a"', 'W/"b"'] and listing.pages == 2 and not listing.unchanged
    first = github.calls[0].request
    assert first.headers["Authorization"] == f"Bearer {TOKEN}"
    assert first.headers["Accept"] == "application/vnd.github+json"
    assert first.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert first.headers["User-Agent"]
    assert "If-None-Match" not in first.headers


def test_304_on_every_known_page_means_unchanged(github):
    add_page(github, 1, [], last=2, etag='W/"a"', status=304)
    add_page(github, 2, [], last=2, etag='W/"b"', status=304)

    listing = client().listing(TOKEN, etags=['W/"a"', 'W/"b"'])

    assert listing.unchanged and listing.people == []
    assert [c.request.headers["If-None-Match"] for c in github.calls] == ['W/"a"', 'W/"b"']


def test_a_changed_page_means_the_list_is_read_again_in_full(github):
    github.add(responses.GET, page_url(1), status=304, headers={"ETag": 'W/"a"'})
    github.add(responses.GET, page_url(2), json=[user(4)], headers={"ETag": 'W/"c"'})
    github.add(
        responses.GET,
        page_url(1),
        json=[user(1)],
        headers={"ETag": 'W/"a"', "Link": f'<{page_url(2)}>; rel="next"'},
    )
    github.add(responses.GET, page_url(2), json=[user(4)], headers={"ETag": 'W/"c"'})

    listing = client().listing(TOKEN, etags=['W/"a"', 'W/"b"'])

    assert not listing.unchanged
    assert [p.uid for p in listing.people] == ["1", "4"] and listing.etags == ['W/"a"', 'W/"c"']


def test_the_friends_hook_turns_an_unchanged_list_into_a_page_that_is_not_full(github):
    add_page(github, 1, [], last=1, etag='W/"a"', status=304)
    marker = etags_marker(['W/"a"'])

    pages = list(GitHubFollowing().pages(client(), TOKEN, marker=marker))

    assert len(pages) == 1 and not pages[0].full and pages[0].people == [] and pages[0].marker == marker


def test_the_friends_hook_keys_people_on_the_numeric_id(github):
    add_page(github, 1, [user(583231)], last=1, etag='W/"a"')

    (page,) = GitHubFollowing().pages(client(), TOKEN)

    assert page.full and page.people[0].external_id == "583231" and page.people[0].name == "user583231"
    assert page.marker == etags_marker(['W/"a"'])


def test_bad_credentials_means_reconnect(github):
    contract = load("github/error_401")
    github.add(responses.GET, page_url(1), json=contract.answer(), status=401)

    with pytest.raises(ProviderAuthError):
        client().listing(TOKEN)


def test_primary_limit_used_up_waits_until_the_reset(github):
    github.add(
        responses.GET,
        page_url(1),
        json={"message": "API rate limit exceeded for user."},
        status=403,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 1200)},
    )

    with pytest.raises(ProviderRateLimited) as error:
        client().listing(TOKEN)

    assert error.value.retry_after == 1200


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_limit_honours_retry_after(github, status):
    github.add(
        responses.GET,
        page_url(1),
        json={"message": "You have exceeded a secondary rate limit."},
        status=status,
        headers={"retry-after": "90"},
    )

    with pytest.raises(ProviderRateLimited) as error:
        client().listing(TOKEN)

    assert error.value.retry_after == 90


def test_secondary_limit_without_retry_after_waits_at_least_a_minute(github):
    github.add(
        responses.GET, page_url(1), json={"message": "You have exceeded a secondary rate limit."}, status=403
    )

    with pytest.raises(ProviderRateLimited) as error:
        client().listing(TOKEN)

    assert error.value.retry_after == 60


def test_a_plain_403_is_a_permission_problem_not_a_rate_limit(github):
    github.add(
        responses.GET, page_url(1), json={"message": "Resource not accessible by integration"}, status=403
    )

    with pytest.raises(ProviderPermissionError):
        client().listing(TOKEN)


def test_the_last_request_of_the_hour_stops_paging_before_github_refuses(github):
    add_page(
        github, 1, [user(1)], last=3, etag='W/"a"',
        **{"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 300)},
    )  # fmt: skip

    with pytest.raises(ProviderRateLimited) as error:
        client().listing(TOKEN)

    assert error.value.retry_after == 300 and len(github.calls) == 1


def test_a_link_that_leads_back_stops_the_paging(github):
    github.add(
        responses.GET,
        page_url(1),
        json=[user(1)],
        headers={"ETag": "a", "Link": f'<{page_url(2)}>; rel="next"'},
    )
    github.add(
        responses.GET,
        page_url(2),
        json=[user(2)],
        headers={"ETag": "b", "Link": f'<{page_url(2)}>; rel="next"'},
    )

    with pytest.raises(PagingError):
        client().listing(TOKEN)


@pytest.mark.parametrize(
    "body", ["not json", json.dumps({"message": "an object"}), json.dumps([{"login": "x"}])]
)
def test_an_answer_we_cannot_use_is_unavailable(github, body):
    github.add(responses.GET, page_url(1), body=body, content_type="application/json")

    with pytest.raises(ProviderUnavailable):
        client().listing(TOKEN)


# --- token client ---------------------------------------------------------------------------


def test_refresh_returns_the_documented_pair(github):
    github.add(responses.POST, f"{WEB}/login/oauth/access_token", json=load("github/refresh").answer())

    answer = GitHubTokenClient().refresh("sbx-ghr_old")

    assert answer["access_token"].startswith("ghu_") and answer["refresh_token"].startswith("ghr_")
    request = github.calls[0].request
    assert request.headers["Accept"] == "application/json"
    assert "grant_type=refresh_token" in request.body and "sbx-ghr_old" not in request.url


@pytest.mark.parametrize(
    ("error", "typed"),
    [
        ("bad_refresh_token", ProviderAuthError),
        ("incorrect_client_credentials", ProviderConfigurationError),
        ("something_new", ProviderUnavailable),
    ],
)
def test_a_refresh_error_arrives_as_http_200_and_is_typed(github, error, typed):
    github.add(responses.POST, f"{WEB}/login/oauth/access_token", json={"error": error}, status=200)

    with pytest.raises(typed):
        GitHubTokenClient().refresh("sbx-ghr_old")


def test_revoke_deletes_the_grant_with_basic_client_credentials(github):
    github.add(responses.DELETE, f"{API}/applications/client-id/grant", status=204)

    GitHubTokenClient().revoke(TOKEN)

    request = github.calls[0].request
    assert request.headers["Authorization"].startswith("Basic ")
    assert json.loads(request.body) == {"access_token": TOKEN}


@pytest.mark.parametrize("status", [404, 422])
def test_revoking_a_token_github_no_longer_knows_is_done(github, status):
    github.add(
        responses.DELETE, f"{API}/applications/client-id/grant", json={"message": "Not Found"}, status=status
    )

    GitHubTokenClient().revoke(TOKEN)  # no error: the grant is gone either way
