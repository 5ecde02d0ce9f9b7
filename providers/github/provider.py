"""GitHub as socialsite sees it: the facts and hooks of ``providers.base.Provider``.

Tokens: an OAuth app's user token never expires (GitHub revokes it after a year unused); a
GitHub App's user token lasts 8 hours and comes with a single-use refresh token (about six
months): refreshing returns a new pair and the old pair dies. Both go through the same life
cycle: a grant without ``expires_at`` is never due, one with it is refreshed ahead.
https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens
Revocation drops the whole authorization: ``DELETE /applications/{client_id}/grant``.
https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-authorization
People: whom the person follows (``GET /user/following``), matched by GitHub's numeric user id
against people signed in here with GitHub; conditional on the last pass's ETags.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.views.decorators.debug import sensitive_variables

from providers.base import ButtonStyle, Display, Friends, Match, PeoplePage, Person, Provider, TokenAnswer

if TYPE_CHECKING:
    import requests
    from django.urls import URLPattern, URLResolver

    from accounts.models import ProviderGrant
    from providers.http.errors import ProviderError

# Brand: the Invertocat in white on GitHub's dark button (#24292f, as on github.com's own
# "Sign in with GitHub" buttons). https://github.com/logos
LOGO_SVG = '<svg viewBox="0 0 16 16" aria-hidden="true"><path fill="#fff" d="M8 0C3.58 0 0 3.58 0 8c0 3.54 2.29 6.53 5.47 7.59.4.07.55-.17.55-.38 0-.19-.01-.82-.01-1.49-2.01.37-2.53-.49-2.69-.94-.09-.23-.48-.94-.82-1.13-.28-.15-.68-.52-.01-.53.63-.01 1.08.58 1.23.82.72 1.21 1.87.87 2.33.66.07-.52.28-.87.51-1.07-1.78-.2-3.64-.89-3.64-3.95 0-.87.31-1.59.82-2.15-.08-.2-.36-1.02.08-2.12 0 0 .67-.21 2.2.82.64-.18 1.32-.27 2-.27.68 0 1.36.09 2 .27 1.53-1.04 2.2-.82 2.2-.82.44 1.1.16 1.92.08 2.12.51.56.82 1.27.82 2.15 0 3.07-1.87 3.75-3.65 3.95.29.25.54.73.54 1.48 0 1.07-.01 1.93-.01 2.2 0 .21.15.46.55.38A8.013 8.013 0 0016 8c0-4.42-3.58-8-8-8z"/></svg>'  # noqa: E501


def etags_marker(etags: list[str]) -> str:
    """The sync marker for a conditional pass next time: the ETag of every page, in order."""
    return json.dumps(etags, separators=(",", ":")) if etags else ""


def marker_etags(marker: str) -> list[str]:
    try:
        value = json.loads(marker) if marker else []
    except ValueError:
        return []
    return [str(etag) for etag in value] if isinstance(value, list) else []


class GitHubFollowing(Friends):
    noun = "people you follow"
    # /user/following needs no scope beyond signing in (read:user covers the profile).
    scope = ""
    match = Match.UID
    shows_total = False
    empty_text = "You don't follow anyone on GitHub yet."
    # Following goes one way: those who follow the person see them, not those they follow.
    found_by = (
        "People who follow you on GitHub and use socialsite see you either way: following is public there."
    )
    unnamed = "Unnamed account"

    def client(self) -> Any:
        from providers.github.client import GitHubFollowingClient

        return GitHubFollowingClient()

    @sensitive_variables("access_token")
    def pages(
        self, client: Any, access_token: str, *, marker: str = "", page_size: int | None = None
    ) -> Iterator[PeoplePage]:
        """Every page of whom the person follows, or one empty not-full page when nothing changed.

        The marker holds the last pass's ETags: asked with ``If-None-Match``, an unchanged list
        answers 304 on every page and costs nothing against the rate limit.
        """
        kwargs = {"page_size": page_size} if page_size else {}
        listing = client.listing(access_token, etags=marker_etags(marker), **kwargs)
        if listing.unchanged:
            yield PeoplePage(people=[], full=False, marker=marker)
            return
        last = len(listing.by_page) - 1
        for number, page in enumerate(listing.by_page):
            yield PeoplePage(
                people=[Person(external_id=p.uid, name=p.login, picture_url=p.avatar_url) for p in page],
                full=True,
                # The next pass's ETags come with the last page, once every page has answered.
                marker=etags_marker(listing.etags) if number == last else "",
            )


class GitHubProvider(Provider):
    name = "github"
    display = Display(
        label="GitHub",
        logo_svg=LOGO_SVG,
        button=ButtonStyle(background="#24292f", text="#fff", border="#24292f", hover_background="#32383f"),
        badge=("#24292f", "#fff", "#24292f"),
        scope_labels={"read:user": "profile (read-only)", "user:email": "email addresses (read-only)"},
    )
    backend = "providers.github.backend.GitHubBackend"
    settings_module = "providers.github.settings"
    emulator_class = "providers.github.sandbox.emulator.GitHubEmulator"
    # The emulator keeps tables of its own (the following graph, rate windows).
    sandbox_apps = ("providers.github.sandbox",)
    # Only GitHub-App user tokens expire (8 hours); OAuth-app tokens have no expiry, never due.
    refresh_ahead = timedelta(minutes=5)
    friends = GitHubFollowing()

    @sensitive_variables("answer")
    def refresh(self, grant: ProviderGrant) -> TokenAnswer:
        from providers.github.client import GitHubTokenClient

        answer = GitHubTokenClient().refresh(grant.get_refresh_token())
        rotated = answer.get("refresh_token")
        return TokenAnswer(
            access_token=answer["access_token"],
            # Single use: the new refresh token replaces the old, which no longer works.
            refresh_token=rotated if isinstance(rotated, str) else "",
            expires_in=answer.get("expires_in"),
        )

    def revoke(self, grant: ProviderGrant) -> bool:
        from accounts.tokens import access_token_for
        from providers.github.client import GitHubTokenClient

        # DELETE /applications/{client_id}/grant names the grant by one of its tokens: an
        # App user token past its 8 hours is unknown to GitHub (404), which would leave the
        # authorization and its refresh token alive. So a refreshable grant is refreshed first.
        token = access_token_for(grant) if grant.has_refresh_token else grant.get_access_token()
        GitHubTokenClient().revoke(token)
        return True

    def classify_error(self, response: requests.Response, body: Any) -> ProviderError | None:
        from providers.github.client import GitHubClient

        return GitHubClient().classify_error(response, body)

    def sandbox_urlpatterns(self) -> list[URLPattern | URLResolver]:
        from providers.github.sandbox.urls import urlpatterns

        return list(urlpatterns)
