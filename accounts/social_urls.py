"""Sign-in URLs (social-auth's ``social`` namespace): begin and callback, nothing else.

social-django's own URL module is not mounted: its ``/disconnect/<backend>/`` deletes a
link without revoking the grant at the provider. Disconnecting has one path,
``/account/disconnect/<provider>/`` (revoke, then delete). Its IdP- and app-launch bridges
are not used here either.
"""

from django.urls import path

from accounts import views

app_name = "social"

urlpatterns = [
    path("login/<str:backend>/", views.login_begin, name="begin"),
    path("complete/<str:backend>/", views.login_complete, name="complete"),
]
