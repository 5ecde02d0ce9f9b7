"""The callbacks Facebook's servers call (set in the app dashboard): deauthorize and data deletion."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from providers.facebook import callbacks

urlpatterns: list[URLPattern | URLResolver] = [
    path("facebook/deauthorize/", callbacks.deauthorize, name="facebook_deauthorize"),
    path("facebook/data-deletion/", callbacks.data_deletion, name="facebook_data_deletion"),
    path("facebook/data-deletion/<str:code>/", callbacks.data_deletion_status, name="data_deletion_status"),
]
