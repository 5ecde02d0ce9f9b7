"""The emulated GitHub's routes, mounted under /sandbox/: ``github/`` is the web-flow host
(github.com) and ``github-api/`` the REST API host (api.github.com)."""

from django.urls import URLPattern, URLResolver, path

from providers.github.sandbox import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("github/login/oauth/authorize", views.authorize, name="github-authorize"),
    path("github/login/oauth/access_token", views.access_token, name="github-token"),
    path("github-api/user", views.user, name="github-user"),
    path("github-api/user/emails", views.emails, name="github-emails"),
    path("github-api/user/following", views.following, name="github-following"),
    path("github-api/applications/<str:client_id>/grant", views.grant_delete, name="github-grant"),
]
