"""``manage.py prepare``: make this checkout ready to serve; ``make run`` and ``make serve`` call it.

What it does follows from the settings, never from the caller guessing the mode:

- ``migrate``, always;
- ``collectstatic`` when static files are served from ``STATIC_ROOT`` (``DEBUG`` off: WhiteNoise
  serves the hashed files its manifest names, and pages cannot render without it);
- the sandbox roster (``seed_sandbox --if-empty``) when the sandbox is installed (``SANDBOX``
  on). With real provider credentials the sandbox is off and not installed, and there is
  nothing of it to seed.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from providers import registry


class Command(BaseCommand):
    help = "Migrate, collect static files when DEBUG is off, and seed the sandbox when it is on."

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        call_command("migrate", interactive=False, verbosity=verbosity)
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=verbosity)
        if apps.is_installed("sandbox"):
            call_command("seed_sandbox", if_empty=True, verbosity=verbosity)
            self.stdout.write(f"Providers: the sandbox, under {settings.SITE_URL}/sandbox/")
        else:
            hosts = ", ".join(
                f"{registry.get(name).label} at {getattr(settings, next(iter(urls)))}"
                for name in registry.enabled_names()
                if (urls := registry.settings_module(name).SANDBOX_URLS)
            )
            self.stdout.write(f"Providers: {hosts} (sandbox off)")
