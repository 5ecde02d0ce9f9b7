"""Google's scope spellings.

Google answers ``email`` and ``profile`` in their URL form
(``https://www.googleapis.com/auth/userinfo.email`` / ``…/userinfo.profile``), adds ``openid``
whether it was asked for or not, in any order.
- Token answer ``scope``: "The scopes of access granted by the access_token expressed as a list
  of space-delimited, case-sensitive strings."
  https://developers.google.com/identity/protocols/oauth2/web-server#exchange-authorization-code
- The short names are aliases of the Google OAuth2 API scopes ``openid``,
  ``…/auth/userinfo.email`` and ``…/auth/userinfo.profile``:
  https://developers.google.com/identity/protocols/oauth2/scopes#oauth2
- Field: requests-oauthlib#387 ("Scope has changed from "email profile" to "…userinfo.email …"").
"""

from __future__ import annotations

GOOGLE_USERINFO_EMAIL = "https://www.googleapis.com/auth/userinfo.email"
GOOGLE_USERINFO_PROFILE = "https://www.googleapis.com/auth/userinfo.profile"
CONTACTS_SCOPE = "https://www.googleapis.com/auth/contacts.readonly"

# URL form -> the short name socialsite asks for and stores.
SCOPE_ALIASES = {
    GOOGLE_USERINFO_EMAIL: "email",
    GOOGLE_USERINFO_PROFILE: "profile",
}
