"""Facebook as socialsite sees it: the facts and hooks of ``providers.base.Provider``.

Tokens: no server-side refresh. The short-lived login token is exchanged once, at sign-in,
for a long-lived one (about 60 days; ``backend.FacebookBackend.do_auth``); only a new
sign-in renews it, so pages show when access ends and offer "Keep Facebook connected".
https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived
Friends: Graph ``/me/friends`` lists only friends who use this app, by app-scoped id, the
same uid their Facebook sign-in here has, so they are matched by uid.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.views.decorators.debug import sensitive_variables

from providers.base import ButtonStyle, Display, Friends, Match, PeoplePage, Person, Provider

if TYPE_CHECKING:
    from django.urls import URLPattern, URLResolver

    from accounts.models import ProviderGrant

# Brand: the white "f" logo on Facebook blue #1877F2 (Facebook's Brand Resource Center, the
# "f" logo; the colours this site's button has always used).
LOGO_SVG = '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="#fff" d="M24 12.07C24 5.41 18.63 0 12 0S0 5.4 0 12.07C0 18.1 4.39 23.1 10.13 24v-8.44H7.08v-3.49h3.04V9.41c0-3.02 1.8-4.7 4.54-4.7 1.31 0 2.68.24 2.68.24v2.97h-1.5c-1.5 0-1.96.93-1.96 1.89v2.26h3.32l-.53 3.5h-2.8V24C19.62 23.1 24 18.1 24 12.07"/></svg>'  # noqa: E501


class FacebookFriends(Friends):
    noun = "friends"
    scope = "user_friends"
    permission_name = 'the "friends list" permission'
    match = Match.UID
    # summary.total_count: every friend the person has, on this app or not.
    shows_total = True
    empty_text = (
        "None of your Facebook friends use socialsite's Facebook app yet (Facebook lists only those who do)."
    )
    unnamed = "Unnamed friend"

    def client(self) -> Any:
        from providers.facebook.friends import GraphFriendsClient

        return GraphFriendsClient()

    @sensitive_variables("access_token")
    def pages(
        self, client: Any, access_token: str, *, marker: str = "", page_size: int | None = None
    ) -> Iterator[PeoplePage]:
        pages = (
            client.iter_pages(access_token, page_size=page_size)
            if page_size
            else client.iter_pages(access_token)
        )
        for page in pages:
            yield PeoplePage(
                people=[
                    Person(external_id=friend.uid, name=friend.name, picture_url=friend.picture_url)
                    for friend in page.friends
                ],
                full=True,
                total=page.total_count,
            )


class FacebookProvider(Provider):
    name = "facebook"
    display = Display(
        label="Facebook",
        logo_svg=LOGO_SVG,
        button=ButtonStyle(background="#1877f2", text="#fff", border="#1877f2", hover_background="#166fe5"),
        badge=("#1877f2", "#fff", "#1877f2"),
        scope_labels={
            "public_profile": "name and picture",
            "email": "email address",
            "user_friends": "friends who use socialsite",
        },
    )
    backend = "providers.facebook.backend.FacebookBackend"
    emulator_class = "providers.facebook.sandbox.emulator.FacebookEmulator"
    settings_module = "providers.facebook.settings"
    refresh_ahead = None  # only a new sign-in renews a Facebook token
    friends = FacebookFriends()

    def keep_connected_lead(self) -> timedelta:
        from django.conf import settings

        return timedelta(days=settings.FACEBOOK_KEEP_CONNECTED_DAYS)

    def revoke(self, grant: ProviderGrant) -> bool:
        from providers.facebook.client import FacebookTokenClient

        FacebookTokenClient().revoke(uid=grant.uid, access_token=grant.get_access_token())
        return True

    def urlpatterns(self) -> list[URLPattern | URLResolver]:
        from providers.facebook.urls import urlpatterns

        return list(urlpatterns)

    def sandbox_urlpatterns(self) -> list[URLPattern | URLResolver]:
        from providers.facebook.sandbox.urls import urlpatterns

        return list(urlpatterns)
