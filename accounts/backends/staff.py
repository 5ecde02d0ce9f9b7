"""Password sign-in, for staff only: how operators get into ``/admin/``.

Everyone else signs in through a provider; socialsite has no password form for people, and
this backend refuses any non-staff account even if it has a password. It also keeps
Django's permission checks (groups and per-user permissions) working for staff.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend


class StaffPasswordBackend(ModelBackend):
    def user_can_authenticate(self, user: Any) -> bool:
        # Also applies to sessions this backend opened: staff status taken away ends them.
        return super().user_can_authenticate(user) and bool(getattr(user, "is_staff", False))
