"""Scope names, as providers spell them and as socialsite compares them.

Google answers ``email`` and ``profile`` in their URL form
(``https://www.googleapis.com/auth/userinfo.email`` / ``…/userinfo.profile``), adds ``openid``
whether it was asked for or not, in any order; a scope list is a set, not a sequence.
- Token answer ``scope``: "The scopes of access granted by the access_token expressed as a list
  of space-delimited, case-sensitive strings."
  https://developers.google.com/identity/protocols/oauth2/web-server#exchange-authorization-code
- The short names are aliases of the Google OAuth2 API scopes ``openid``,
  ``…/auth/userinfo.email`` and ``…/auth/userinfo.profile``:
  https://developers.google.com/identity/protocols/oauth2/scopes#oauth2
- Field: requests-oauthlib#387 ("Scope has changed from "email profile" to "…userinfo.email …"").

Everything stored and compared here uses the short form, so a grant stored from either
spelling reads the same on every page.
"""

from __future__ import annotations

from collections.abc import Iterable

GOOGLE_USERINFO_EMAIL = "https://www.googleapis.com/auth/userinfo.email"
GOOGLE_USERINFO_PROFILE = "https://www.googleapis.com/auth/userinfo.profile"

# URL form -> the short name socialsite asks for and stores.
SCOPE_ALIASES = {
    GOOGLE_USERINFO_EMAIL: "email",
    GOOGLE_USERINFO_PROFILE: "profile",
}


def canonical_scope(scope: str) -> str:
    """The one spelling socialsite uses for ``scope``."""
    return SCOPE_ALIASES.get(scope, scope)


def canonical_scopes(scopes: Iterable[str]) -> list[str]:
    """``scopes`` in their short spelling, each once, in first-seen order."""
    seen: list[str] = []
    for scope in scopes:
        name = canonical_scope(scope)
        if name and name not in seen:
            seen.append(name)
    return seen


def scope_in(scope: str, scopes: Iterable[str] | None) -> bool:
    """Whether ``scope`` is among ``scopes``, whichever spelling either side uses."""
    return canonical_scope(scope) in {canonical_scope(s) for s in scopes or ()}
