from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("accounts.social_urls", namespace="social")),
    path("friends/", include("friends.urls")),
    path("admin/", admin.site.urls),
]

if settings.SANDBOX:
    urlpatterns.append(path("sandbox/", include("sandbox.urls")))
