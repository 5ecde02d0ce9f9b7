from django.urls import URLPattern, URLResolver, path

from accounts import views
from providers import registry

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("account/", views.account, name="account"),
    path("account/disconnect/<str:provider>/", views.disconnect, name="disconnect"),
    path("account/findable/", views.findable, name="findable"),
    path("account/delete/", views.delete_account, name="delete_account"),
    path("logout/", views.logout_view, name="logout"),
    path("healthz/", views.healthz, name="healthz"),
]
# Each enabled provider's own routes (callbacks its servers make), by their own names.
urlpatterns += registry.urlpatterns()
