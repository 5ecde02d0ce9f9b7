"""Re-encrypt every stored token under the newest key: ``manage.py rotate_token_keys``.

Batched, idempotent and resumable: rows already under the newest key are skipped, so an
interrupted run is simply run again. The count of what is left is taken by re-reading the
whole table after the pass (a refresh running meanwhile may have written a row back), and
the command exits non-zero while anything is left or unreadable.

``--check`` changes nothing: it counts which configured key opens each ciphertext. An old
key can be removed from TOKEN_ENCRYPTION_KEYS once it opens none and none is unreadable.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts import vault
from accounts.exceptions import TokenUnreadable
from accounts.models import CIPHERTEXT_FIELDS, ProviderGrant
from socialsite.progress import Progress

UNREADABLE = None


class Command(BaseCommand):
    help = "Re-encrypt every stored token under the first key in TOKEN_ENCRYPTION_KEYS (--check: only count)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--max-batches",
            type=int,
            default=None,
            help="Stop after this many batches (run again to resume).",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing: count the ciphertexts each configured key opens.",
        )

    def handle(
        self, *args: Any, batch_size: int, max_batches: int | None, check: bool, **options: Any
    ) -> None:
        if not check:
            self._rotate(batch_size, max_batches)
        positions = self._census(batch_size)
        old = sum(count for position, count in positions.items() if position not in (0, UNREADABLE))
        unreadable = positions[UNREADABLE]
        if check:
            self._report(positions)
        else:
            self.stdout.write(f"{old + unreadable} left to do (whole table re-checked)")
        if old or unreadable:
            raise CommandError(
                f"{old} ciphertext(s) still under an old key, {unreadable} unreadable: "
                "keep every old key in TOKEN_ENCRYPTION_KEYS"
                + (" and run rotate_token_keys again." if old else ".")
                + (" Unreadable ones need the key that wrote them." if unreadable else ""),
                returncode=1,
            )

    def _rotate(self, batch_size: int, max_batches: int | None) -> None:
        total = ProviderGrant.objects.count()
        progress = Progress(self.stdout, total, "rotating")
        rotated = current = unreadable = batches = 0
        last_pk = 0
        while max_batches is None or batches < max_batches:
            with transaction.atomic():
                # Locked while rewritten: a refresh's write-back waits for this batch to commit.
                batch = list(
                    ProviderGrant.objects.select_for_update()
                    .filter(pk__gt=last_pk)
                    .order_by("pk")
                    .only("pk", *CIPHERTEXT_FIELDS)[:batch_size]
                )
                if not batch:
                    break
                for grant in batch:
                    changed = []
                    for field in CIPHERTEXT_FIELDS:
                        ciphertext = getattr(grant, field)
                        if not ciphertext or vault.is_current(ciphertext):
                            continue
                        try:
                            setattr(grant, field, vault.rotate_ciphertext(ciphertext))
                        except TokenUnreadable:
                            unreadable += 1
                            continue
                        changed.append(field)
                    if changed:
                        grant.save(update_fields=changed)
                        rotated += 1
                    else:
                        current += 1
                last_pk = batch[-1].pk
            batches += 1
            progress.step(len(batch))
        progress.close()
        self.stdout.write(
            f"{rotated} rotated, {current} already current, {unreadable} unreadable (no key opens them)"
        )

    def _census(self, batch_size: int) -> Counter[int | None]:
        """How many ciphertexts each key position opens (``None``: none does). Reads only."""
        positions: Counter[int | None] = Counter({0: 0, UNREADABLE: 0})
        rows = ProviderGrant.objects.order_by("pk").values_list(*CIPHERTEXT_FIELDS)
        for ciphertexts in rows.iterator(chunk_size=batch_size):
            for ciphertext in ciphertexts:
                if ciphertext:
                    positions[vault.key_position(ciphertext)] += 1
        return positions

    def _report(self, positions: Counter[int | None]) -> None:
        for index in range(len(settings.TOKEN_ENCRYPTION_KEYS)):
            name = f"key {index + 1}" + (" (newest)" if index == 0 else "")
            self.stdout.write(f"{name}: {positions[index]}")
        self.stdout.write(f"unreadable: {positions[UNREADABLE]}")
