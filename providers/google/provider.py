"""Google as socialsite sees it: the facts and hooks of ``providers.base.Provider``.

Tokens: access tokens live an hour; the refresh-token grant renews them server-side, so the
token service refreshes five minutes ahead. Revoking either token revokes the whole grant.
https://developers.google.com/identity/protocols/oauth2/web-server#offline
Contacts: the People API's ``people/me/connections``, incremental with a sync token; a
contact is matched by email against people here who verified it and are findable by it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.views.decorators.debug import sensitive_variables

from providers.base import ButtonStyle, Display, Friends, Match, PeoplePage, Person, Provider, TokenAnswer
from providers.google.scopes import CONTACTS_SCOPE, SCOPE_ALIASES

if TYPE_CHECKING:
    from django.urls import URLPattern, URLResolver

    from accounts.models import ProviderGrant

# Brand: the four-colour "G" on white, grey #747775 border, Roboto Medium.
# https://developers.google.com/identity/branding-guidelines
LOGO_SVG = '<svg viewBox="0 0 48 48" aria-hidden="true"><path fill="#EA4335" d="M24 9.5c3.54 0 6.71 1.22 9.21 3.6l6.85-6.85C35.9 2.38 30.47 0 24 0 14.62 0 6.51 5.38 2.56 13.22l7.98 6.19C12.43 13.72 17.74 9.5 24 9.5z"/><path fill="#4285F4" d="M46.98 24.55c0-1.57-.15-3.09-.38-4.55H24v9.02h12.94c-.58 2.96-2.26 5.48-4.78 7.18l7.73 6c4.51-4.18 7.09-10.36 7.09-17.65z"/><path fill="#FBBC05" d="M10.53 28.59c-.48-1.45-.76-2.99-.76-4.59s.27-3.14.76-4.59l-7.98-6.19C.92 16.46 0 20.12 0 24c0 3.88.92 7.54 2.56 10.78l7.97-6.19z"/><path fill="#34A853" d="M24 48c6.48 0 11.93-2.13 15.89-5.81l-7.73-6c-2.15 1.45-4.92 2.3-8.16 2.3-6.26 0-11.57-4.22-13.47-9.91l-7.98 6.19C6.51 42.62 14.62 48 24 48z"/></svg>'  # noqa: E501


class GoogleContacts(Friends):
    noun = "contacts"
    scope = CONTACTS_SCOPE
    permission_name = 'the "contacts" permission'
    match = Match.EMAIL
    shows_total = False
    empty_text = "Your Google contacts list is empty."
    unnamed = "Unnamed contact"

    def client(self) -> Any:
        from providers.google.contacts import PeopleClient

        return PeopleClient()

    @sensitive_variables("access_token")
    def pages(
        self, client: Any, access_token: str, *, marker: str = "", page_size: int | None = None
    ) -> Iterator[PeoplePage]:
        from providers.base import StaleMarker
        from providers.google.contacts import ExpiredSyncToken

        kwargs = {"page_size": page_size} if page_size else {}
        pages = client.iter_pages(access_token, sync_token=marker or None, **kwargs)
        try:
            for page in pages:
                yield PeoplePage(
                    people=[
                        Person(
                            external_id=contact.resource_name,
                            name=contact.name,
                            # The first address is the primary one; matching is case-insensitive.
                            email=(contact.emails[0] if contact.emails else "").strip().lower(),
                            picture_url=contact.photo_url or "",
                            removed=contact.deleted,
                        )
                        for contact in page.contacts
                    ],
                    full=not marker,
                    total=page.total_items,
                    marker=page.next_sync_token or "",
                )
        except ExpiredSyncToken as error:
            # Google keeps sync tokens for 7 days; after that only a full sync will do.
            # https://developers.google.com/people/api/rest/v1/people.connections/list
            raise StaleMarker(str(error)) from error


class GoogleProvider(Provider):
    name = "google"
    display = Display(
        label="Google",
        logo_svg=LOGO_SVG,
        button=ButtonStyle(
            background="#fff",
            text="#1f1f1f",
            border="#747775",
            hover_background="#f8f9fa",
            extra_css="font-family: Roboto, Arial, sans-serif; font-weight: 500;",
        ),
        badge=("#fff", "#1f1f1f", "#747775"),
        scope_labels={
            "openid": "sign-in",
            "email": "email address",
            "profile": "name and picture",
            CONTACTS_SCOPE: "contacts (read-only)",
        },
    )
    backend = "providers.google.backend.GoogleBackend"
    emulator_class = "providers.google.sandbox.emulator.GoogleEmulator"
    settings_module = "providers.google.settings"
    refresh_ahead = timedelta(minutes=5)  # access tokens live an hour
    friends = GoogleContacts()

    def canonical_scope(self, scope: str) -> str:
        return SCOPE_ALIASES.get(scope, scope)

    @sensitive_variables("answer")
    def refresh(self, grant: ProviderGrant) -> TokenAnswer:
        from providers.google.client import GoogleOAuthClient

        answer = GoogleOAuthClient().refresh(grant.get_refresh_token(), subject=grant.uid)
        rotated = answer.get("refresh_token")
        return TokenAnswer(
            access_token=answer["access_token"],
            refresh_token=rotated if isinstance(rotated, str) else "",
            expires_in=answer.get("expires_in"),
        )

    def revoke(self, grant: ProviderGrant) -> bool:
        from providers.google.client import GoogleOAuthClient

        # Revoking the refresh token revokes the whole grant; the access token does too.
        token = grant.get_refresh_token() if grant.has_refresh_token else grant.get_access_token()
        GoogleOAuthClient().revoke(token)
        return True

    def sandbox_urlpatterns(self) -> list[URLPattern | URLResolver]:
        from providers.google.sandbox.urls import urlpatterns

        return list(urlpatterns)
