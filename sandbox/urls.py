"""Sandbox routes, mounted under /sandbox/ when settings.SANDBOX is on.

``facebook/`` is the dialog host, ``graph/`` the Graph API host and ``google/`` the OpenID
issuer, so the app's settings point at them exactly as at www.facebook.com,
graph.facebook.com and accounts.google.com.
"""

from django.urls import include, path, register_converter

from sandbox.views import facebook, friends, google, pages, people, revocation


class GraphVersionConverter:
    """A Graph API version in a path: ``v24.0``."""

    regex = r"v\d+\.\d+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(GraphVersionConverter, "graphversion")

app_name = "sandbox"

urlpatterns = [
    path("", pages.index, name="index"),
    path("faults/arm/", pages.fault_arm, name="fault-arm"),
    path("faults/clear/", pages.fault_clear, name="fault-clear"),
    path("switches/<str:provider>/<str:name>/", pages.switch_set, name="switch-set"),
    path("avatars/<int:person_id>.svg", pages.avatar, name="avatar"),
    # Facebook
    path("facebook/<graphversion:version>/dialog/oauth", facebook.dialog, name="facebook-dialog"),
    path("graph/<graphversion:version>/oauth/access_token", facebook.access_token, name="graph-token"),
    path("graph/<graphversion:version>/me", facebook.me, name="graph-me"),
    path(
        "graph/<graphversion:version>/<str:uid>/permissions", facebook.permissions, name="graph-permissions"
    ),
    # Google
    path("google/.well-known/openid-configuration", google.discovery, name="google-discovery"),
    path("google/o/oauth2/v2/auth", google.authorize, name="google-authorize"),
    path("google/token", google.token, name="google-token"),
    path("google/userinfo", google.userinfo, name="google-userinfo"),
    path("google/certs", google.certs, name="google-certs"),
    path("google/revoke", google.revoke, name="google-revoke"),
]

# Token life cycle: inspection, and what a person does at the provider to cut socialsite off.
urlpatterns += [
    path("graph/debug_token", facebook.debug_token, name="graph-debug-token"),
    path(
        "graph/<graphversion:version>/debug_token", facebook.debug_token, name="graph-debug-token-versioned"
    ),
    path(
        "people/<int:person_id>/<str:provider>/revoke/",
        revocation.grant_revoke,
        name="person-grant-revoke",
    ),
    path("people/<int:person_id>/facebook/remove-app/", revocation.app_remove, name="person-app-remove"),
    path(
        "people/<int:person_id>/facebook/expire-data-access/",
        revocation.data_access_expire,
        name="person-data-access-expire",
    ),
]

# Social graph: Graph's friends edge and the People API's connections (the People API host
# is ``people/``, so GOOGLE_PEOPLE_API_URL points here as at people.googleapis.com).
urlpatterns += [
    path("graph/<graphversion:version>/me/friends", friends.friends, name="graph-friends"),
    path("people/v1/people/me/connections", people.connections, name="people-connections"),
    path("avatars/contacts/<str:initials>.svg", people.contact_photo, name="contact-photo"),
]

# GitHub: its web flow (github.com) and REST API (api.github.com) hosts.
urlpatterns.append(path("", include("providers.github.sandbox.urls")))  # type: ignore[arg-type]
