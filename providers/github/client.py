"""GitHub's token calls (refresh, revoke) and the REST API call that lists whom a person follows.

Every call goes through ``providers.http.client.ProviderClient`` (one session, one timeout,
typed errors). GitHub specifics handled here:

- The token endpoint answers errors as **HTTP 200** with ``error`` in the body
  (``bad_verification_code``, ``incorrect_client_credentials``, ``bad_refresh_token``):
  https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors
- A GitHub-App user token expires after 8 hours; its refresh token (about 6 months) is
  single use: refreshing returns a new access **and** refresh token and the old pair dies.
  https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens
- A revoked token answers ``401 {"message": "Bad credentials"}``: reconnect.
- Rate limits: ``x-ratelimit-remaining`` 0 means wait until ``x-ratelimit-reset`` (epoch
  seconds); a secondary limit (403 or 429) says ``retry-after``, else at least a minute.
  https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
- Conditional requests: ``If-None-Match`` with a stored ETag; a 304 does not count against
  the primary rate limit.
  https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from providers.http.client import ProviderClient, TransportError
from providers.http.errors import (
    ProviderAuthError,
    ProviderConfigurationError,
    ProviderError,
    ProviderPermissionError,
    ProviderRateLimited,
    ProviderUnavailable,
)
from providers.http.paging import PageChain
from socialsite import quota

PROVIDER = "github"
API_VERSION = "2022-11-28"
# GitHub's REST API lists at most 100 items per page.
MAX_PAGE_SIZE = 100
# "If you receive a secondary rate limit error ... [without retry-after] you should wait for
# at least one minute before retrying" (Rate limits for the REST API).
SECONDARY_LIMIT_WAIT = 60.0

# The token endpoint's error codes, sent as HTTP 200 with ``error`` in the body.
CREDENTIAL_ERRORS = frozenset({"incorrect_client_credentials", "redirect_uri_mismatch"})
GRANT_ERRORS = frozenset({"bad_refresh_token", "bad_verification_code", "unverified_user_email"})


def github_url(path: str) -> str:
    return f"{settings.GITHUB_URL.rstrip('/')}/{path.lstrip('/')}"


def api_url(path: str) -> str:
    return f"{settings.GITHUB_API_URL.rstrip('/')}/{path.lstrip('/')}"


def api_headers(access_token: str | None = None) -> dict[str, str]:
    """The headers GitHub asks every REST call to carry (a User-Agent is required)."""
    headers = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
        "User-Agent": "socialsite",
    }
    if access_token is not None:
        headers["Authorization"] = f"Bearer {access_token}"
    return headers


def token_error(body: Any) -> ProviderError | None:
    """The typed error for a token endpoint answer carrying ``error`` (GitHub sends them as 200)."""
    if not isinstance(body, dict) or not body.get("error"):
        return None
    code = str(body["error"])
    message = f"github token: {code}"
    if code in CREDENTIAL_ERRORS:
        return ProviderConfigurationError(
            message,
            provider=PROVIDER,
            status=200,
            detail=code,
            action="Check GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET and the app's callback URL on GitHub.",
        )
    if code in GRANT_ERRORS:
        return ProviderAuthError(message, provider=PROVIDER, status=200, detail=code)
    return ProviderUnavailable(message, provider=PROVIDER, status=200, detail=code)


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


class GitHubClient(ProviderClient):
    """Base for GitHub calls: rate-limit headers and ``Bad credentials`` become typed errors."""

    provider = PROVIDER

    def __init__(self, *, clock: Callable[[], float] = time.time, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clock = clock  # epoch seconds; the seam tests use for x-ratelimit-reset

    def wait_for_reset(self, response: requests.Response) -> float | None:
        """Seconds until ``x-ratelimit-reset`` when ``x-ratelimit-remaining`` is 0, else None."""
        if response.headers.get("x-ratelimit-remaining") != "0":
            return None
        reset = _number(response.headers.get("x-ratelimit-reset"))
        if reset is None:
            return SECONDARY_LIMIT_WAIT
        return max(0.0, reset - self.clock())

    def classify_error(self, response: requests.Response, body: Any) -> ProviderError | None:
        status = response.status_code
        message = body.get("message") if isinstance(body, dict) else None
        if status == 401:
            # "Bad credentials": the token was revoked (or the grant removed) at GitHub.
            return ProviderAuthError(
                f"github: HTTP 401 {message or ''}".strip(), provider=PROVIDER, status=401
            )
        if status in (403, 429):
            retry_after = _number(response.headers.get("retry-after"))
            if retry_after is None:
                retry_after = self.wait_for_reset(response)
            secondary = isinstance(message, str) and "rate limit" in message.lower()
            if retry_after is not None or secondary or status == 429:
                wait = retry_after if retry_after is not None else SECONDARY_LIMIT_WAIT
                # GitHub counts per user token: this person's sync waits, the fleet goes on.
                return ProviderRateLimited(
                    f"github: HTTP {status} rate limited",
                    provider=PROVIDER,
                    status=status,
                    retry_after=wait,
                    scope="user",
                    reset_at=self.clock() + wait,
                )
            return ProviderPermissionError(f"github: HTTP {status}", provider=PROVIDER, status=status)
        return None


class GitHubTokenClient(GitHubClient):
    """Refresh (GitHub-App user tokens) and revocation of the whole grant."""

    @sensitive_variables("refresh_token")
    def refresh(self, refresh_token: str) -> dict[str, Any]:
        """``{"access_token", "refresh_token", "expires_in", …}``: a new pair; the old pair dies.

        An OAuth-app token never expires and has no refresh token: this is never called for it.
        """
        body = self._request(
            "POST",
            github_url("login/oauth/access_token"),
            role="refresh",
            headers={"Accept": "application/json"},
            data={
                "client_id": settings.GITHUB_CLIENT_ID,
                "client_secret": settings.GITHUB_CLIENT_SECRET,
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
            },
        )
        typed = token_error(body)
        if typed is not None:
            raise typed
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise ProviderUnavailable("github refresh: answer without access_token", provider=PROVIDER)
        return body

    @sensitive_variables("access_token")
    def revoke(self, access_token: str) -> None:
        """``DELETE /applications/{client_id}/grant``: the authorization and all its tokens go.

        Basic auth with the app's client id and secret; 204 when done. 404/422 mean the
        token is already invalid, which is what we wanted.
        https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-authorization
        """
        try:
            self._request(
                "DELETE",
                api_url(f"applications/{settings.GITHUB_CLIENT_ID}/grant"),
                role="revoke",
                auth=(settings.GITHUB_CLIENT_ID, settings.GITHUB_CLIENT_SECRET),
                headers=api_headers(),
                json={"access_token": access_token},
            )
        except ProviderError as error:
            if error.status in (404, 422):
                return
            raise


@dataclass(frozen=True)
class FollowedUser:
    uid: str  # GitHub's numeric user id, as a string: the uid of their GitHub login here
    login: str
    avatar_url: str


@dataclass
class FollowingListing:
    """What ``/user/following`` said: ``unchanged`` (every page answered 304) or the full list."""

    unchanged: bool
    people: list[FollowedUser] = field(default_factory=list)
    by_page: list[list[FollowedUser]] = field(default_factory=list)  # ``people``, page by page
    etags: list[str] = field(default_factory=list)  # one per page, for the next conditional pass
    pages: int = 0


_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


def next_link(response: requests.Response) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header, if any."""
    match = _NEXT.search(response.headers.get("Link", ""))
    return match.group(1) if match else None


def _followed(node: Any) -> FollowedUser:
    if not isinstance(node, dict) or not isinstance(node.get("id"), int):
        raise ProviderUnavailable("github following: a user without a numeric id", provider=PROVIDER)
    return FollowedUser(
        uid=str(node["id"]), login=str(node.get("login") or ""), avatar_url=str(node.get("avatar_url") or "")
    )


class GitHubFollowingClient(GitHubClient):
    """``GET /user/following``, paged by ``Link``, conditional on the ETags of the last pass.

    https://docs.github.com/en/rest/users/followers#list-the-people-the-authenticated-user-follows
    """

    @sensitive_variables("access_token")
    def listing(
        self, access_token: str, *, etags: list[str] | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> FollowingListing:
        """Whom the person follows; ``unchanged`` when every known page answered 304.

        With ETags from the last pass, pages 1..n are asked conditionally first: 304s are
        free, so an unchanged list costs nothing against the rate limit. The first page that
        changed ends that, and the list is read in full (pages that answered 304 have no body).
        """
        page_size = max(1, min(page_size, MAX_PAGE_SIZE))
        if etags and self._unchanged(access_token, etags, page_size):
            return FollowingListing(unchanged=True, etags=list(etags), pages=len(etags))
        return self._full(access_token, page_size)

    def _first_url(self, page_size: int, page: int = 1) -> str:
        return api_url(f"user/following?per_page={page_size}&page={page}")

    @sensitive_variables("access_token")
    def _get(self, url: str, access_token: str, etag: str | None = None) -> requests.Response:
        headers = api_headers(access_token)
        if etag:
            headers["If-None-Match"] = etag
        # Every call, a 304 too, takes from the app's budget shared by the fleet (socialsite.quota):
        # the schedule sizes its batches on it.
        quota.spend(self.provider)
        response, failure = self._send("GET", url, role="following", headers=headers, timeout=self.timeout)
        if failure is not None:
            raise failure[0] from failure[1]
        assert response is not None
        if response.status_code == 304 or response.ok:
            return response
        body, _ = self._json(response)
        typed = self.classify_error(response, body) or self._default_error(response, "following")
        raise typed

    @sensitive_variables("access_token")
    def _unchanged(self, access_token: str, etags: list[str], page_size: int) -> bool:
        for number, etag in enumerate(etags, start=1):
            response = self._get(self._first_url(page_size, number), access_token, etag)
            if response.status_code != 304:
                return False
            if number == len(etags) and next_link(response):
                return False  # a page more than last time
        return True

    @sensitive_variables("access_token")
    def _full(self, access_token: str, page_size: int) -> FollowingListing:
        listing = FollowingListing(unchanged=False)
        chain = PageChain(provider=PROVIDER, role="following")
        url: str | None = self._first_url(page_size)
        while url is not None:
            response = self._get(url, access_token)
            body, malformed = self._json(response)
            if malformed or not isinstance(body, list):
                raise ProviderUnavailable(
                    "github following: the answer is not a list",
                    provider=PROVIDER,
                    status=response.status_code,
                ) from TransportError("the answer is not a JSON list")
            page = [_followed(node) for node in body]
            listing.people.extend(page)
            listing.by_page.append(page)
            listing.etags.append(response.headers.get("ETag", ""))
            listing.pages += 1
            url = next_link(response)
            if url is None:
                break
            chain.follow(url)
            # Out of requests for this hour: stop before GitHub has to say so.
            wait = self.wait_for_reset(response)
            if wait is not None:
                raise ProviderRateLimited(
                    "github following: primary rate limit used up",
                    provider=PROVIDER,
                    status=200,
                    retry_after=wait,
                    scope="user",
                    reset_at=self.clock() + wait,
                )
        if not all(listing.etags):
            listing.etags = []  # no ETag on some page: next time, read in full
        return listing
