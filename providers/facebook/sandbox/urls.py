"""Facebook's emulator routes, mounted in the sandbox's namespace under /sandbox/.

``facebook/`` is the dialog host and ``graph/`` the Graph API host, so the app's settings
point at them exactly as at www.facebook.com and graph.facebook.com.
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path, register_converter

from providers.facebook.sandbox import actions, friends, views


class GraphVersionConverter:
    """A Graph API version in a path: ``v24.0``."""

    regex = r"v\d+\.\d+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(GraphVersionConverter, "graphversion")

urlpatterns: list[URLPattern | URLResolver] = [
    path("facebook/<graphversion:version>/dialog/oauth", views.dialog, name="facebook-dialog"),
    path("graph/<graphversion:version>/oauth/access_token", views.access_token, name="graph-token"),
    path("graph/<graphversion:version>/me", views.me, name="graph-me"),
    path("graph/<graphversion:version>/<str:uid>/permissions", views.permissions, name="graph-permissions"),
    # Token inspection, and what a person does on Facebook to cut socialsite off.
    path("graph/debug_token", views.debug_token, name="graph-debug-token"),
    path("graph/<graphversion:version>/debug_token", views.debug_token, name="graph-debug-token-versioned"),
    path("people/<int:person_id>/facebook/remove-app/", actions.app_remove, name="person-app-remove"),
    path(
        "people/<int:person_id>/facebook/expire-data-access/",
        actions.data_access_expire,
        name="person-data-access-expire",
    ),
    # Graph's friends edge.
    path("graph/<graphversion:version>/me/friends", friends.friends, name="graph-friends"),
]
