"""``manage.py seed_sandbox [--if-empty] [--people N] [--friends-per-person F] [--contacts-per-person C]``.

Without options: put the named roster (and its small social graph) in place. The sizing
options build a social graph of any size for benchmarks and demos, e.g.
``seed_sandbox --people 5000 --friends-per-person 5000 --contacts-per-person 25000``.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sandbox import seeding, services
from sandbox.faults import emulators
from sandbox.models import SandboxPerson


class Command(BaseCommand):
    help = (
        "Seed the sandbox providers' roster of people (Ada Lovelace, Grace Hopper, …) and, "
        "optionally, a large social graph for them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Seed only when there is nobody yet, quietly otherwise; `make run` uses this.",
        )
        parser.add_argument(
            "--people",
            type=int,
            default=0,
            metavar="N",
            help="Generated people beyond the named roster (Sandbox Person 00001 …), all using the app.",
        )
        parser.add_argument(
            "--friends-per-person",
            type=int,
            default=0,
            metavar="F",
            help="Friends each named person gets, drawn from the generated people.",
        )
        parser.add_argument(
            "--contacts-per-person",
            type=int,
            default=0,
            metavar="C",
            help="Address-book contacts each named person gets (about 5%% carry a sandbox person's email).",
        )
        # Each emulator's own graph options (Emulator.add_seed_arguments).
        for emulator in emulators().values():
            emulator.add_seed_arguments(parser)

    def handle(
        self,
        *args: Any,
        if_empty: bool = False,
        people: int = 0,
        friends_per_person: int = 0,
        contacts_per_person: int = 0,
        **options: Any,
    ) -> None:
        if min(people, friends_per_person, contacts_per_person) < 0:
            raise CommandError("--people, --friends-per-person and --contacts-per-person cannot be negative.")
        # Without --if-empty, top the roster up (people deleted by hand come back).
        added = services.ensure_roster() if if_empty else services.roster_fill()
        if added:
            self.stdout.write(self.style.SUCCESS(f"Sandbox roster seeded with {added} people."))
        elif not if_empty and not (people or friends_per_person or contacts_per_person):
            count = services.roster().count()
            self.stdout.write(f"Sandbox roster already has {count} people; nothing to do.")

        if people:
            self._step("generated people", lambda: seeding.people_generate(count=people))
        if friends_per_person:
            if not SandboxPerson.objects.filter(generated=True).exists():
                raise CommandError("--friends-per-person draws from generated people: add --people N.")
            self._step("friendships", lambda: seeding.friends_generate(per_person=friends_per_person))
        if contacts_per_person:
            self._step("contacts", lambda: seeding.contacts_generate(per_person=contacts_per_person))
        for emulator in emulators().values():
            emulator.seed(options, self._step)

    def _step(self, what: str, run: Any) -> None:
        started = time.perf_counter()
        added = run()
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Added {added:,} {what} in {elapsed:.1f} s."))
