"""``manage.py seed_sandbox [--if-empty]``: put the sandbox roster in place."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sandbox import services
from sandbox.models import SandboxPerson


class Command(BaseCommand):
    help = "Seed the sandbox providers' roster of people (Ada Lovelace, Grace Hopper, …)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Seed only when there is nobody yet, quietly otherwise; `make run` uses this.",
        )

    def handle(self, *args: Any, if_empty: bool = False, **options: Any) -> None:
        # Without --if-empty, top the roster up (people deleted by hand come back).
        added = services.ensure_roster() if if_empty else services.roster_fill()
        if added:
            self.stdout.write(self.style.SUCCESS(f"Sandbox roster seeded with {added} people."))
        elif not if_empty:
            count = SandboxPerson.objects.count()
            self.stdout.write(f"Sandbox roster already has {count} people; nothing to do.")
