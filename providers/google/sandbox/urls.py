"""Google's emulator routes, mounted in the sandbox's namespace under /sandbox/.

``google/`` is the OpenID issuer and ``people/`` the People API host, so the app's settings
point at them exactly as at accounts.google.com and people.googleapis.com.
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from providers.google.sandbox import people, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("google/.well-known/openid-configuration", views.discovery, name="google-discovery"),
    path("google/o/oauth2/v2/auth", views.authorize, name="google-authorize"),
    path("google/token", views.token, name="google-token"),
    path("google/userinfo", views.userinfo, name="google-userinfo"),
    path("google/certs", views.certs, name="google-certs"),
    path("google/revoke", views.revoke, name="google-revoke"),
    path("people/v1/people/me/connections", people.connections, name="people-connections"),
    path("avatars/contacts/<str:initials>.svg", people.contact_photo, name="contact-photo"),
]
