"""Sandbox routes, mounted under /sandbox/ when settings.SANDBOX is on.

The core (index, faults, switches, avatars, revoking a grant) is here; each enabled
provider adds its emulator's routes (``Provider.sandbox_urlpatterns``) in this namespace.
"""

from django.urls import URLPattern, URLResolver, path

from providers import registry
from sandbox.views import pages, revocation

app_name = "sandbox"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", pages.index, name="index"),
    path("faults/arm/", pages.fault_arm, name="fault-arm"),
    path("faults/clear/", pages.fault_clear, name="fault-clear"),
    path("switches/<str:provider>/<str:name>/", pages.switch_set, name="switch-set"),
    path("avatars/<int:person_id>.svg", pages.avatar, name="avatar"),
    # What a person does at the provider to cut socialsite off.
    path(
        "people/<int:person_id>/<str:provider>/revoke/", revocation.grant_revoke, name="person-grant-revoke"
    ),
]
urlpatterns += registry.sandbox_urlpatterns()
