"""Remove abandoned sign-in state and expired sessions: ``manage.py clean_login_state``.

The worker runs the same every hour (``clean-login-state`` in the beat schedule).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from accounts import login_state


class Command(BaseCommand):
    help = "Delete abandoned sign-in state (nonces, associations, partials, codes) and expired sessions."

    def handle(self, *args: Any, **options: Any) -> None:
        removed = login_state.stale_clean()
        self.stdout.write(", ".join(f"{count} {kind}" for kind, count in removed.items()) + " removed")
