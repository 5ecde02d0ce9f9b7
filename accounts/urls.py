from django.urls import path

from accounts import facebook_callbacks, views

urlpatterns = [
    path("", views.home, name="home"),
    path("account/", views.account, name="account"),
    path("account/disconnect/<str:provider>/", views.disconnect, name="disconnect"),
    path("account/findable/", views.findable, name="findable"),
    path("account/delete/", views.delete_account, name="delete_account"),
    path("account/deleting/<str:ticket>/", views.account_deleting, name="account_deleting"),
    path("logout/", views.logout_view, name="logout"),
    path("facebook/deauthorize/", facebook_callbacks.deauthorize, name="facebook_deauthorize"),
    path("facebook/data-deletion/", facebook_callbacks.data_deletion, name="facebook_data_deletion"),
    path(
        "facebook/data-deletion/<str:code>/",
        facebook_callbacks.data_deletion_status,
        name="data_deletion_status",
    ),
    path("healthz/", views.healthz, name="healthz"),
]
